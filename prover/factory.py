"""Build the tactic generator the user asked for: portfolio or tactic file, a retrieval index, a model,
or several chained in that order (automation first, then retrieval, then model candidates)."""

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
    # portfolio with retrieval: "staged" (the portfolio's own search on 70% of the budget, then the
    # chain's), "chain" (portfolio first in every expansion), or "interleave" (round robin)
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
                   **({"combine": data["combine"]} if data.get("combine") else {}))  # older runs had no retrieval


def make_generator(options: GeneratorOptions, engine: Any = None) -> TacticGenerator:
    """Raises ValueError (one line) for unusable options.

    `engine`: an `Engine` for the model to use instead of loading one (e.g. a
    `prover.model_server.RayEngine` on a shared model server); it needs `options.model`."""
    if engine is not None and options.model is None:
        raise ValueError("an engine was given but no model")
    generators: list[TacticGenerator] = []
    if options.tactics_file is not None:
        from prover.tactic_file import TacticFileGenerator

        generators.append(TacticFileGenerator(options.tactics_file, options.backend))
    elif options.portfolio:
        from prover.portfolio import PortfolioGenerator

        generators.append(PortfolioGenerator(options.backend))
    if options.knn_index is not None:
        from prover.knn import KnnGenerator

        knn = KnnGenerator(Path(options.knn_index), options.backend)
        if generators and options.combine == "interleave":
            from prover.combined import InterleavedGenerator

            generators[-1] = InterleavedGenerator(generators[-1], knn)
        elif generators and options.combine == "staged":
            from prover.combined import StagedSearch

            generators[-1] = StagedSearch(generators[-1], knn)
        else:
            generators.append(knn)
    if options.model is not None:
        from prover.model_registry import build_generator

        generators.append(build_generator(options.model, engine=engine))
    if not generators:
        raise ValueError("no tactic generator: give --model, --tactics, or keep the portfolio")
    from prover.combined import ChainedGenerator

    chained = generators[0]
    for more in generators[1:]:
        chained = ChainedGenerator(chained, more)
    return chained
