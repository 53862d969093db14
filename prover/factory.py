"""Build the tactic generator the user asked for: portfolio or tactic file, a retrieval index, a model,
or several chained in that order (automation first, then retrieval, then model candidates)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prover.base import TacticGenerator


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
    top_p: float | None = None
    stop: tuple[str, ...] | None = None  # None: the prompt format's stop texts
    score: str | None = None  # "sum" or "mean" token log-prob
    api_key: str | None = None
    max_batch_size: int | None = None
    max_wait_s: float | None = None  # how long the batcher waits to fill a batch
    batching: bool | None = None
    knn_index: str | None = None  # a `prover index` folder: retrieval tactics with the portfolio's
    combine: str = "chain"  # portfolio with retrieval: "chain" (portfolio first) or "interleave" (round robin)


def make_generator(options: GeneratorOptions, engine: Any = None) -> TacticGenerator:
    """Raises ValueError (one line) for unusable options.

    `engine`: an `Engine` for the model to use instead of loading one (e.g. a
    `prover.model_server.RayEngine` on a shared, batched model actor); it needs `options.model`."""
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
        elif options.combine in ("interleave", "chain"):
            generators.append(knn)
        else:
            raise ValueError(f"--combine must be interleave or chain, not {options.combine!r}")
    if options.model is not None:
        from prover.model_factory import make_model_generator

        generators.append(make_model_generator(options, engine=engine))
    if not generators:
        raise ValueError("no tactic generator: give --model, --tactics, or keep the portfolio")
    from prover.combined import ChainedGenerator

    chained = generators[0]
    for more in generators[1:]:
        chained = ChainedGenerator(chained, more)
    return chained
