"""Build the tactic generator the user asked for: portfolio or tactic file, a retrieval index, a model,
or several in that order (automation first, then retrieval, then model candidates), the automation
meeting the learned proposers as `combine` says."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prover.base import TacticGenerator
from prover.model_spec import ModelSpec


COMBINE = ("staged", "chain", "interleave")


@dataclass(frozen=True, slots=True)
class GeneratorOptions:
    """Which tactic generators to chain, and the model among them (a typed `ModelSpec`)."""

    backend: str
    portfolio: bool = True  # the backend's automation list, tried first
    tactics_file: Path | None = None  # a user's tactic list (replaces the portfolio)
    model: ModelSpec | None = None  # None: no model
    knn_index: str | None = None  # a `prover index` folder: retrieval tactics with the portfolio's
    # how the automation meets the learned proposers (retrieval, then the model): "staged" (the
    # automation's own search on 70% of the budget, then the chain's), "chain" (automation first
    # in every expansion), or "interleave" (round robin)
    combine: str = "staged"

    def __post_init__(self) -> None:
        if self.combine not in COMBINE:
            raise ValueError(f"--combine must be one of {', '.join(COMBINE)}, not {self.combine!r}")

    def to_json(self) -> dict[str, Any]:
        """Plain values for a run directory (the model spec without its API key)."""
        return {"backend": self.backend, "portfolio": self.portfolio,
                "tactics_file": str(self.tactics_file) if self.tactics_file is not None else None,
                "model": self.model.to_json() if self.model is not None else None,
                "knn_index": self.knn_index, "combine": self.combine}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GeneratorOptions:
        """What `to_json` wrote; ValueError (one line) for anything else."""
        unknown = sorted(set(data) - {"backend", "portfolio", "tactics_file", "model", "knn_index", "combine"})
        if unknown:
            raise ValueError(f"unknown generator field(s): {', '.join(unknown)}")
        model = data.get("model")
        if model is not None and not isinstance(model, dict):
            raise ValueError(f"generator model must be a model spec object, not {model!r}")
        tactics = data.get("tactics_file")
        return cls(backend=data["backend"], portfolio=bool(data.get("portfolio", True)),
                   tactics_file=Path(tactics) if tactics else None,
                   model=ModelSpec.from_json(model) if model is not None else None,
                   knn_index=data.get("knn_index"),
                   combine=data.get("combine") or "chain")  # runs before `combine` existed chained


def make_generator(options: GeneratorOptions, engine: Any = None) -> TacticGenerator:
    """Raises ValueError (one line) for unusable options.

    `engine`: an `Engine` for the model to use instead of loading one (e.g. a
    `prover.model_server.RayEngine` on a shared model server); it needs `options.model`."""
    if engine is not None and options.model is None:
        raise ValueError("an engine was given but no model")
    first: TacticGenerator | None = None  # the automation: the portfolio or the user's tactic list
    if options.tactics_file is not None:
        from prover.tactic_file import TacticFileGenerator

        first = TacticFileGenerator(options.tactics_file, options.backend)
    elif options.portfolio:
        from prover.portfolio import PortfolioGenerator

        first = PortfolioGenerator(options.backend)
    rest: list[TacticGenerator] = []  # the learned proposers, retrieval before the model
    if options.knn_index is not None:
        from prover.knn import KnnGenerator

        rest.append(KnnGenerator(Path(options.knn_index), options.backend))
    if options.model is not None:
        from prover.model_registry import build_generator

        rest.append(build_generator(options.model, engine=engine))
    if not rest:
        if first is None:
            raise ValueError("no tactic generator: give --model, --tactics, or keep the portfolio")
        return first
    from prover.combined import ChainedGenerator, InterleavedGenerator, StagedSearch

    learned = rest[0]
    for more in rest[1:]:
        learned = ChainedGenerator(learned, more)
    if first is None:
        return learned
    if options.combine == "staged":
        return StagedSearch(first, learned)
    if options.combine == "interleave":
        return InterleavedGenerator(first, learned)
    return ChainedGenerator(first, learned)
