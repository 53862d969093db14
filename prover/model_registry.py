"""From CLI options to a tactic generator: engine kinds as a lazy registry, one flat `ModelSpec`.

`ModelSpec` holds every model option the CLI offers; `build_generator(spec)` builds the engine,
puts a batcher in front (so concurrent searches share GPU calls) and returns a `ModelGenerator`.
Nothing here imports torch, vLLM, httpx or Ray.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lean_env.registry import Registry
from prover.batching import BatchConfig, Batcher
from prover.model_server import EngineSpec

# Engine kinds: "module:function" taking the kind's config dataclass and returning an Engine.
ENGINES: Registry = Registry(
    "model engine",
    {
        "hf": "prover.engines.hf:load_engine",
        "vllm": "prover.engines.vllm:load_engine",
        "openai": "prover.engines.openai_api:load_engine",
        "tiny": "prover.engines.tiny:load_engine",
    },
)


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """Every model option of the CLI, flat. Fields only matter to the engines that use them."""

    model: str  # hub id, local path, served model name, or a tiny shape ("tiny", "llama-7b")
    engine: str = "hf"  # a name in ENGINES
    prompt_format: str | None = None  # None/"auto": chosen from the model id and the backend
    temperature: float = 1.0
    top_p: float = 1.0
    beam: bool = False
    max_new_tokens: int = 128
    stop: tuple[str, ...] | None = None  # None: the prompt format's stop texts
    score: str = "sum"  # "sum" or "mean" token log-prob as Candidate.score
    # local engines (hf, vllm, tiny)
    dtype: str = "auto"
    device: str = "auto"
    device_map: str | None = None
    trust_remote_code: bool = False
    max_input_tokens: int = 4096
    tensor_parallel_size: int = 1
    gpu_memory_utilization: float = 0.9
    seed: int = 0
    # served endpoints (openai)
    endpoint: str = "http://127.0.0.1:8000/v1"
    api_key: str | None = None
    timeout_s: float = 60.0
    retries: int = 3
    # batching across concurrent searches
    batching: bool = True
    max_batch_size: int = 64
    max_wait_s: float = 0.01
    max_batch_sequences: int | None = None  # cap on requests x n per engine call (GPU memory)


def engine_spec(spec: ModelSpec) -> EngineSpec:
    """The picklable engine description (what a Ray worker builds remotely)."""
    if spec.engine == "hf":
        from prover.engines.hf import HFConfig

        return EngineSpec(
            "hf",
            HFConfig(
                spec.model,
                spec.dtype,
                spec.device,
                spec.device_map,
                spec.trust_remote_code,
                spec.max_input_tokens,
            ),
        )
    if spec.engine == "vllm":
        from prover.engines.vllm import VLLMConfig

        return EngineSpec(
            "vllm",
            VLLMConfig(
                spec.model,
                spec.dtype,
                spec.tensor_parallel_size,
                spec.gpu_memory_utilization,
                None,
                spec.trust_remote_code,
                spec.seed,
            ),
        )
    if spec.engine == "openai":
        from prover.engines.openai_api import OpenAIConfig

        return EngineSpec(
            "openai",
            OpenAIConfig(spec.endpoint, spec.model, spec.api_key, spec.timeout_s, spec.retries),
        )
    if spec.engine == "tiny":
        from prover.engines.tiny import TinyConfig

        device = "cpu" if spec.device == "auto" else spec.device
        dtype = "float32" if spec.dtype == "auto" else spec.dtype
        return EngineSpec(
            "tiny", TinyConfig(spec.model, spec.seed, dtype, device, spec.max_input_tokens)
        )
    ENGINES.get(spec.engine)  # raises UnknownName with suggestions
    raise ValueError(f"engine {spec.engine!r} is registered but has no ModelSpec mapping")


def generator_config(spec: ModelSpec) -> Any:
    from prover.engines.generator import GeneratorConfig

    return GeneratorConfig(
        spec.model,
        spec.prompt_format,
        spec.temperature,
        spec.top_p,
        spec.beam,
        spec.max_new_tokens,
        spec.stop,
        spec.score,
    )


def batch_config(spec: ModelSpec) -> BatchConfig:
    return BatchConfig(spec.max_batch_size, spec.max_wait_s, spec.max_batch_sequences)


def build_generator(
    spec: ModelSpec, *, engine: Any = None, screen: Any = None, name: str = "model"
) -> Any:
    """A `ModelGenerator` for `spec` (loads the model now). Pass `engine` to reuse one, e.g. a
    `prover.model_server.RayEngine`; it is used as is, without another batcher."""
    from prover.engines.generator import ModelGenerator

    if spec.prompt_format not in (None, "", "auto"):
        from prover.prompts import PROMPTS

        PROMPTS.get(spec.prompt_format)  # fail before loading a model
    if engine is None:
        from prover.model_server import build_engine

        engine = build_engine(engine_spec(spec))
        if spec.batching:
            engine = Batcher(engine, batch_config(spec))
    return ModelGenerator(engine, generator_config(spec), screen=screen, name=name)
