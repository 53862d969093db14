"""The tactic-generator seam: given a proof state, propose up to k scored tactics.

Generators are untrusted: whatever they return is screened by the proof environment before it
reaches the proof assistant. Scores are log-probability-like: higher is better, 0 is certain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence, runtime_checkable

from lean_env.base import ProofState, Theorem


@dataclass(frozen=True, slots=True)
class Candidate:
    tactic: str  # the tactic text, possibly several sentences
    score: float  # log-prob-like: higher is better (sum of token log-probs for models)
    source: str = ""  # which generator proposed it ("portfolio", "model", ...)


@runtime_checkable
class TacticGenerator(Protocol):
    """Proposes tactics. Must be safe to call from one thread at a time."""

    name: str

    def generate(self, theorem: Theorem, state: ProofState, k: int) -> Sequence[Candidate]:
        """Return at most `k` distinct candidates, best first.

        Failures of the model are exceptions (the search records them and moves on); an empty list
        means the generator has nothing to propose for this state.
        """
        ...


@runtime_checkable
class StagedGenerator(Protocol):
    """A generator whose parts take turns as whole searches, not within one expansion: the search
    runs `stages` one after the other, each a fresh search with its generator, on at most its share
    of the budget, wall time and expansions (the last stage: all that is left), until one proves
    the theorem. Called directly (`generate`), it is its last stage's generator."""

    name: str
    stages: tuple[tuple[TacticGenerator, float], ...]

    def generate(self, theorem: Theorem, state: ProofState, k: int) -> Sequence[Candidate]: ...


def dedupe(candidates: Sequence[Candidate], k: int) -> list[Candidate]:
    """Merge identical tactic texts (keeping the best score) and return the best `k`."""
    best: dict[str, Candidate] = {}
    for cand in candidates:
        text = cand.tactic.strip()
        if not text:
            continue
        if text not in best or cand.score > best[text].score:
            best[text] = Candidate(text, cand.score, cand.source)
    return sorted(best.values(), key=lambda c: -c.score)[:k]
