"""Informal-to-formal proving (Draft-Sketch-Prove): draft -> sketch -> elaborate -> fill -> verify.

One loop for every backend. The informal proof comes from the data or is drafted by a model; a model
writes formal sketches with holes; the backend elaborates each sketch and returns its holes; a filler
closes them (tactic search for Coq and Lean, a hammer portfolio for Isabelle); the backend splices
the fills in, and the result is checked from scratch by `verify` on the ORIGINAL theorem, exactly
like any other proof. Only a proof that passes that check is reported as proved.

`prove_informal` is the backend-neutral loop; `run_informal` is the same on one `ProofEnv`, with the
sketch backend and hole filler that backend uses (`sketch_pipeline`). It lives here, not in the CLI,
so the evaluation harness (benchmarks/) can run it without importing the command line.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from lean_env.base import BadTheorem, ProofEnv, Theorem, Verification
from lean_env.sketch import (
    Elaboration,
    Fill,
    FillFailure,
    FillResult,
    HoleFiller,
    SketchBackend,
    SketchFailure,
    skipped,
)
from prover.base import TacticGenerator
from prover.sketch_prompts import InformalProblem
from search.best_first import SearchConfig, best_first_search

log = logging.getLogger(__name__)

Verifier = Callable[[Theorem, Sequence[str]], Verification]


@dataclass(frozen=True, slots=True)
class InformalConfig:
    num_sketches: int = 4  # sketches asked of the model; each is elaborated, filled, verified
    wall_time: float = 600.0  # seconds for the whole problem; checked between steps
    hole_search: SearchConfig = field(  # budget of the search on each hole
        default_factory=lambda: SearchConfig(max_expansions=16, num_samples=16, wall_time=30.0, tactic_timeout=5.0)
    )


class SearchFiller:
    """Fills each hole by best-first search on the hole's standalone lemma (Coq, Lean).

    A hole's proof is checked when the assembled proof is verified from scratch; checking each hole
    lemma on its own as well (`verify_holes`) costs a coqc run per hole (4-5 s with Reals here) but
    lets the search go on past a tactic-mode proof the kernel would refuse. Fills are cached by
    lemma statement: sampled sketches share many holes. `deadline` (time.monotonic()) ends every hole
    search by the problem's own wall-time limit, which the pipeline only checks between sketches.
    """

    def __init__(
        self, env: ProofEnv, generator: TacticGenerator, config: SearchConfig, verify_holes: bool = False,
        deadline: float | None = None,
    ) -> None:
        self.env, self.generator, self.config, self.deadline = env, generator, config, deadline
        self._search_env = env if verify_holes else _DeferredVerification(env)
        self._cache: dict[tuple[str, str], tuple[str, ...] | None] = {}

    def fill(self, elaboration: Elaboration) -> tuple[FillResult, ...]:
        out: list[FillResult] = []
        for hole in elaboration.holes:
            start = time.monotonic()
            if hole.lemma is None:
                out.append(FillFailure(hole.index, "the hole's goal cannot be stated as a lemma"))
            else:
                key = (hole.lemma.header, _unnamed(hole.lemma))
                if key not in self._cache:
                    self._cache[key] = self._search(hole.lemma)
                proof = self._cache[key]
                seconds = time.monotonic() - start
                if proof is None:
                    out.append(FillFailure(hole.index, f"no proof found for {hole.lemma.statement[:200]!r}", seconds))
                else:
                    out.append(Fill(hole.index, proof, "search", seconds))
            if isinstance(out[-1], FillFailure):
                return tuple(out) + skipped(elaboration.holes, hole.index + 1, "not tried: an earlier hole failed")
        return tuple(out)

    def _search(self, lemma: Theorem) -> tuple[str, ...] | None:
        config = self.config
        if self.deadline is not None:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                return None
            config = replace(config, wall_time=min(config.wall_time, remaining))
        try:
            result = best_first_search(self._search_env, self.generator, lemma, config)
        except BadTheorem as exc:
            log.info("hole lemma %s does not elaborate: %s", lemma.name, exc)
            return None
        return result.proof if result.proved else None


class _DeferredVerification:
    """A ProofEnv whose `verify` accepts tactic-mode proofs of hole lemmas unchecked: they are
    checked, spliced into the whole proof, by the pipeline's final verification."""

    def __init__(self, env: ProofEnv) -> None:
        self._env = env
        self.backend = env.backend

    def verify(self, theorem: Theorem, proof: Sequence[str]) -> Verification:
        return Verification(True, "", "(deferred to the assembled proof)")

    def __getattr__(self, name: str):
        return getattr(self._env, name)


def _unnamed(lemma: Theorem) -> str:
    """The statement without its name, so equal goals of different sketches share a cache entry."""
    return lemma.statement.replace(lemma.name, "_", 1)


@dataclass(frozen=True, slots=True)
class Attempt:
    """What became of one sketch."""

    index: int
    sketch: str  # the model's text, as written
    outcome: str  # "proved", "sketch_failed", "hole_failed", "rejected" (verifier), "timeout"
    failure: SketchFailure | None = None  # why elaboration failed
    holes: int = 0
    fills: tuple[FillResult, ...] = ()
    proof: tuple[str, ...] = ()  # the assembled script (also when rejected)
    verification: Verification | None = None
    seconds: float = 0.0
    hole_texts: tuple[str, ...] = ()  # each hole as written, by index (to name the one that failed)

    def why(self) -> str | None:
        """One line saying why this sketch did not give a proof (None when it did)."""
        if self.failure is not None:
            return f"sketch {self.index}: {self.failure}"
        if self.outcome == "hole_failed":
            failed = next((f for f in self.fills if isinstance(f, FillFailure)), None)
            if failed is None:
                return f"sketch {self.index}: a hole was not filled"
            text = self.hole_texts[failed.hole] if failed.hole < len(self.hole_texts) else ""
            named = f" {' '.join(text.split())!r}" if text else ""
            return f"sketch {self.index}: hole {failed.hole + 1} of {self.holes}{named} not filled: {failed.message}"
        if self.outcome == "rejected" and self.verification is not None:
            return f"sketch {self.index}: the assembled proof was rejected by the verifier: {self.verification.message}"
        return None


@dataclass(frozen=True)
class InformalResult:
    problem: InformalProblem
    proved: bool
    proof: tuple[str, ...]  # verified script, () when not proved
    verification: Verification | None  # of the proof, or of the last rejected assembly
    draft: str  # the informal proof used (from the data or drafted)
    drafted: bool  # True when a model wrote the draft
    attempts: tuple[Attempt, ...]
    stop_reason: str  # "proved", "sketches" (all tried), "wall_time", "no_sketch"
    seconds: float = 0.0
    sketch_seconds: float = 0.0  # waiting for the model (draft and sketches)
    fill_seconds: float = 0.0

    @property
    def theorem(self) -> Theorem:
        return self.problem.theorem


def prove_informal(
    problem: InformalProblem,
    sketcher,  # prover.sketcher.Sketcher (draft + sketches from a text completer)
    backend: SketchBackend,
    filler: HoleFiller,
    verify: Verifier,
    config: InformalConfig = InformalConfig(),
) -> InformalResult:
    """Run the pipeline on one problem. Raises BadTheorem when the formal statement does not
    elaborate and EnvError when the assistant breaks; every other outcome is in the result."""
    start = time.monotonic()
    t0 = time.monotonic()
    draft, drafted = problem.informal_proof, False
    if not draft:
        draft, drafted = sketcher.draft(problem), True
    sketches = sketcher.sketch(problem, draft, config.num_sketches)
    model_seconds = time.monotonic() - t0
    attempts: list[Attempt] = []
    fill_seconds = 0.0
    last_check: Verification | None = None
    stop = "sketches" if sketches else "no_sketch"
    for i, text in enumerate(sketches):
        if time.monotonic() - start >= config.wall_time:
            stop = "wall_time"
            break
        a0 = time.monotonic()
        elaborated = backend.elaborate(problem.theorem, text)
        if isinstance(elaborated, SketchFailure):
            log.info("%s sketch %d: %s", problem.name, i, elaborated)
            attempts.append(Attempt(i, text, "sketch_failed", elaborated, seconds=time.monotonic() - a0))
            continue
        f0 = time.monotonic()
        fills = filler.fill(elaborated)
        fill_seconds += time.monotonic() - f0
        done = {f.hole: f for f in fills if isinstance(f, Fill)}
        if len(done) < len(elaborated.holes):
            attempts.append(
                Attempt(i, text, "hole_failed", None, len(elaborated.holes), fills, seconds=time.monotonic() - a0,
                        hole_texts=tuple(h.text for h in elaborated.holes))
            )
            continue
        proof = backend.assemble(elaborated, done)
        check = verify(problem.theorem, proof)  # from scratch, on the original statement
        last_check = check
        outcome = "proved" if check.ok else "rejected"
        attempts.append(
            Attempt(i, text, outcome, None, len(elaborated.holes), fills, proof, check, time.monotonic() - a0,
                    tuple(h.text for h in elaborated.holes))
        )
        if check.ok:
            return InformalResult(
                problem, True, proof, check, draft, drafted, tuple(attempts), "proved",
                time.monotonic() - start, model_seconds, fill_seconds,
            )
    return InformalResult(
        problem, False, (), last_check, draft, drafted, tuple(attempts), stop,
        time.monotonic() - start, model_seconds, fill_seconds,
    )


def sketch_backends() -> tuple[str, ...]:
    """The registered assistants that elaborate sketches."""
    from lean_env.registry import ASSISTANTS, assistant

    return tuple(name for name in ASSISTANTS.names() if assistant(name).sketches)


def sketch_pipeline(
    backend: str, env: ProofEnv, generator: TacticGenerator | None = None, hole_search: SearchConfig | None = None,
    deadline: float | None = None,
) -> tuple[SketchBackend, HoleFiller]:
    """(SketchBackend, HoleFiller) for `backend` sharing `env`. Holes are filled by the assistant's
    own filler when it has one (Isabelle: its hammers), else by search with `generator` (default:
    the assistant's portfolio), stopping at `deadline`. ValueError when `backend` has no sketches."""
    from lean_env.registry import assistant

    chosen = assistant(backend)
    sketcher = chosen.sketcher(env) if chosen.sketches else None
    if sketcher is None:
        raise ValueError(f"sketch elaboration for backend {backend!r} is not implemented yet")
    filler = chosen.hole_filler(env)
    if filler is None:
        from prover.portfolio import PortfolioGenerator

        config = hole_search or InformalConfig().hole_search
        filler = SearchFiller(env, generator or PortfolioGenerator(backend), config, deadline=deadline)
    return sketcher, filler


def run_informal(
    problem: InformalProblem,
    env: ProofEnv,
    completer,  # prover.sketcher.Completer: EngineCompleter over a model, or FixedCompleter over given sketches
    *,
    generator: TacticGenerator | None = None,
    num_sketches: int = 4,
    wall_time: float = 600.0,
    temperature: float = 0.8,
    hole_search: SearchConfig | None = None,
) -> InformalResult:
    """`prove_informal` on one problem with `env`'s backend: holes are searched with `generator`
    (default: the portfolio) under `hole_search`; no sketch starts and no hole search runs past
    `wall_time` seconds (the model's own sketching is not interrupted)."""
    from prover.sketcher import Sketcher, SketcherConfig

    backend = problem.theorem.backend
    hole_search = hole_search or InformalConfig().hole_search
    deadline = time.monotonic() + wall_time
    sketch_backend, filler = sketch_pipeline(backend, env, generator, hole_search, deadline)
    config = InformalConfig(num_sketches, wall_time, hole_search)
    sketcher = Sketcher(completer, backend, SketcherConfig(temperature=temperature))
    return prove_informal(problem, sketcher, sketch_backend, filler, env.verify, config)


def summary(result: InformalResult) -> dict:
    """A JSON-ready record of one problem (what `prover prove-informal --json` prints)."""
    counts: dict[str, int] = {}
    for a in result.attempts:
        counts[a.outcome] = counts.get(a.outcome, 0) + 1
    return {
        "name": result.problem.name,
        "backend": result.theorem.backend,
        "mode": "informal",
        "proved": result.proved,
        "proof": list(result.proof),
        "stop_reason": result.stop_reason,
        "drafted": result.drafted,
        "attempts": counts,
        "failures": [why for why in (a.why() for a in result.attempts) if why][:5],
        "seconds": round(result.seconds, 3),
        "sketch_seconds": round(result.sketch_seconds, 3),
        "fill_seconds": round(result.fill_seconds, 3),
    }
