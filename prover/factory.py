"""Build the tactic generator the user asked for: portfolio, tactic file, model, or a chain."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from lean_env.base import ProofState, Theorem
from prover.base import Candidate, TacticGenerator, dedupe


@dataclass(frozen=True, slots=True)
class GeneratorOptions:
    backend: str
    portfolio: bool = True  # the backend's automation list, tried first
    tactics_file: Path | None = None  # a user's tactic list
    model: str | None = None  # model id or path; None: no model
    engine: str = "hf"  # hf, vllm, openai
    prompt_format: str | None = None
    temperature: float = 0.0
    beam_search: bool = False
    max_new_tokens: int = 128
    device: str | None = None
    dtype: str = "auto"
    endpoint: str | None = None


class ChainGenerator:
    """Asks each generator in turn: earlier ones' candidates come first, whatever the scores.

    Scores are shifted so that the order survives a cumulative-score policy: every candidate of a
    later generator scores below every candidate of an earlier one.
    """

    def __init__(self, generators: Sequence[TacticGenerator]) -> None:
        self.generators = list(generators)
        self.name = "+".join(g.name for g in self.generators)

    def generate(self, theorem: Theorem, state: ProofState, k: int) -> list[Candidate]:
        out: list[Candidate] = []
        floor = 0.0
        for generator in self.generators:
            if len(out) >= k:
                break
            batch = dedupe(generator.generate(theorem, state, k - len(out)), k - len(out))
            batch = [c for c in batch if c.tactic not in {o.tactic for o in out}]
            if batch:
                shift = min(0.0, floor - max(c.score for c in batch))
                out.extend(Candidate(c.tactic, c.score + shift, c.source or generator.name) for c in batch)
                floor = min(c.score for c in out) - 1e-3
        return out[:k]


def make_generator(options: GeneratorOptions) -> TacticGenerator:
    """Raises ValueError (one line) for unusable options."""
    generators: list[TacticGenerator] = []
    if options.tactics_file is not None:
        from prover.tactic_file import TacticFileGenerator

        generators.append(TacticFileGenerator(options.tactics_file, options.backend))
    elif options.portfolio:
        from prover.portfolio import PortfolioGenerator

        generators.append(PortfolioGenerator(options.backend))
    if options.model is not None:
        from prover.model_factory import make_model_generator

        generators.append(make_model_generator(options))
    if not generators:
        raise ValueError("no tactic generator: give --model, --tactics, or keep the portfolio")
    return generators[0] if len(generators) == 1 else ChainGenerator(generators)
