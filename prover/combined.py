"""Portfolio first, model after: one `TacticGenerator` that chains two others (or stages them).

Cheap automation (the portfolio) often closes a goal outright, so its tactics are tried before the
model's. The returned list is the try order: all of `first`'s candidates, then `second`'s that are
new, at most k in total. `second`'s scores are shifted down (keeping their differences) so that
the order also survives a search that sorts by cumulative score.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from lean_env.base import ProofState, Theorem
from prover.base import Candidate, TacticGenerator

log = logging.getLogger(__name__)


class ChainedGenerator:
    """`first`'s candidates, then `second`'s (duplicates of earlier texts dropped), k in total.

    `second_k` is how many candidates to ask `second` for (default k): asking a sampler for more
    than the free slots keeps its best ones after duplicates are removed. A failure of one part is
    logged and the other part's candidates are returned; only when both fail does it raise.
    A part's failures are counted (`failures`, `last_error`) so that a caller can tell a search
    that ran as asked from one whose model kept failing behind a working portfolio.
    """

    def __init__(
        self,
        first: TacticGenerator,
        second: TacticGenerator,
        *,
        second_k: int | None = None,
        name: str | None = None,
    ) -> None:
        self.first = first
        self.second = second
        self.second_k = second_k
        self.name = name or f"{first.name}+{second.name}"
        self.failures = 0
        self.last_error = ""

    def generate(self, theorem: Theorem, state: ProofState, k: int) -> list[Candidate]:
        if k < 1:
            return []
        errors: list[Exception] = []
        head = self._try(self.first, theorem, state, k, errors)
        out = _merge([], head, k)
        if len(out) < k:
            tail = self._try(self.second, theorem, state, self.second_k or k, errors)
            if out and tail:
                shift = min(0.0, min(c.score for c in out) - 1e-3 - max(c.score for c in tail))
                tail = [Candidate(c.tactic, c.score + shift, c.source) for c in tail]
            out = _merge(out, tail, k)
        if len(errors) == 2:
            raise errors[0]
        return out

    def _try(
        self, gen: TacticGenerator, theorem: Theorem, state: ProofState, k: int, errors: list[Exception]
    ) -> Sequence[Candidate]:
        try:
            return gen.generate(theorem, state, k)
        except Exception as error:  # noqa: BLE001 - the other generator may still propose something
            log.warning("generator %s failed on %s: %s", gen.name, theorem.name, error)
            errors.append(error)
            self.failures += 1
            self.last_error = f"{gen.name}: {type(error).__name__}: {error}".splitlines()[0][:300]
            return []

    def close(self) -> None:
        for gen in (self.first, self.second):
            close = getattr(gen, "close", None)
            if callable(close):
                close()


def _merge(out: list[Candidate], more: Sequence[Candidate], k: int) -> list[Candidate]:
    seen = {c.tactic.strip() for c in out}
    out = list(out)
    for cand in more:
        text = cand.tactic.strip()
        if text and text not in seen and len(out) < k:
            seen.add(text)
            out.append(cand)
    return out


class InterleavedGenerator:
    """Round robin over two generators' candidates (`first`'s best, `second`'s best, ...), k in
    total, each text once, each candidate keeping its own score.

    For two cheap proposers whose best candidates are both worth trying early: a retrieval
    policy's top tactics should not wait behind the whole automation list when the wall-clock
    budget may run out before the list ends. A failure of one part is logged and the other
    part's candidates are returned; only when both fail does it raise.
    """

    def __init__(self, first: TacticGenerator, second: TacticGenerator, *, name: str | None = None) -> None:
        self.first = first
        self.second = second
        self.name = name or f"{first.name}|{second.name}"
        self.failures = 0  # as ChainedGenerator: failures of one part, the other still answering
        self.last_error = ""

    _try = ChainedGenerator._try

    def generate(self, theorem: Theorem, state: ProofState, k: int) -> list[Candidate]:
        if k < 1:
            return []
        errors: list[Exception] = []
        a = list(self._try(self.first, theorem, state, k, errors))
        b = list(self._try(self.second, theorem, state, k, errors))
        if len(errors) == 2:
            raise errors[0]
        mixed = [c for pair in zip(a, b) for c in pair] + a[len(b):] + b[len(a):]
        return _merge([], mixed, k)

    close = ChainedGenerator.close


class StagedSearch:
    """`first`'s own search first, on a share of the budget (wall time and expansions); only if it
    finds no proof, a fresh search with `first` and `second` chained, on what is left.

    Chained into every expansion, a second generator's children compete with the first's for the
    budget: retrieval's shallow children outrank the portfolio's five-step paths, and every
    expansion costs three times the tactic calls. Staged, what the first proves alone it still
    proves (it keeps its own search, its own node order), provided it does so within its share,
    and the second stage sees the problems the first could not prove. Implements
    `prover.base.StagedGenerator`; called directly, it is the chain.

    The first stage gets 70% by default: on miniF2F-rocq valid, 10 of retrieval's 12 proofs come
    after the portfolio ran out of states early (the second stage then has all that is left
    anyway), and a 70% share keeps the other two while the portfolio still finds its 41-expansion
    proof of mathd_algebra_110, which a half share cut short.
    """

    def __init__(self, first: TacticGenerator, second: TacticGenerator, *, first_share: float = 0.7,
                 name: str | None = None) -> None:
        if not 0 < first_share < 1:
            raise ValueError(f"the first stage's share of the budget must be in (0, 1), not {first_share}")
        self.chain = ChainedGenerator(first, second)
        self.stages: tuple[tuple[TacticGenerator, float], ...] = ((first, first_share), (self.chain, 1.0))
        self.name = name or f"{first.name}>{second.name}"

    def generate(self, theorem: Theorem, state: ProofState, k: int) -> list[Candidate]:
        return self.chain.generate(theorem, state, k)

    @property
    def failures(self) -> int:  # as ChainedGenerator: a part that failed behind a working one
        return self.chain.failures

    @property
    def last_error(self) -> str:
        return self.chain.last_error

    def close(self) -> None:
        self.chain.close()
