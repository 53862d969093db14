"""From a `ModelSpec` to what runs it: the engine's own config, a batcher, a `ModelGenerator`.

`build_generator(spec)` builds the engine, puts a batcher in front (so concurrent searches share
GPU calls) and returns a `ModelGenerator`. Nothing here imports torch, vLLM, httpx or Ray.
"""

from __future__ import annotations

from typing import Any

from prover.batching import BatchConfig, Batcher
from prover.model_server import EngineSpec
from prover.model_spec import ENGINES, TACTICS, ModelSpec

__all__ = ["ENGINES", "ModelSpec", "batch_config", "build_generator", "engine_spec", "generator_config"]


def engine_spec(spec: ModelSpec) -> EngineSpec:
    """The picklable engine description (what a model server builds where the GPU is)."""
    if spec.engine == "hf":
        from prover.engines.hf import HFConfig

        return EngineSpec("hf", HFConfig(
            model=spec.model, dtype=spec.dtype, device=spec.device, device_map=spec.device_map,
            trust_remote_code=spec.trust_remote_code, max_input_tokens=spec.max_input_tokens))
    if spec.engine == "vllm":
        from prover.engines.vllm import VLLMConfig

        return EngineSpec("vllm", VLLMConfig(
            model=spec.model, dtype=spec.dtype, tensor_parallel_size=spec.tensor_parallel_size,
            gpu_memory_utilization=spec.gpu_memory_utilization, trust_remote_code=spec.trust_remote_code,
            seed=spec.seed))
    if spec.engine == "openai":
        from prover.engines.openai_api import OpenAIConfig

        return EngineSpec("openai", OpenAIConfig(
            base_url=spec.endpoint, model=spec.model, api_key=spec.api_key, timeout_s=spec.timeout_s,
            retries=spec.retries))
    if spec.engine == "tiny":
        from prover.engines.tiny import TinyConfig

        return EngineSpec("tiny", TinyConfig(
            shape=spec.model, seed=spec.seed, dtype="float32" if spec.dtype == "auto" else spec.dtype,
            device="cpu" if spec.device == "auto" else spec.device, max_input_tokens=spec.max_input_tokens))
    ENGINES.get(spec.engine)  # raises UnknownName with suggestions
    raise ValueError(f"engine {spec.engine!r} is registered but has no ModelSpec mapping")


def generator_config(spec: ModelSpec) -> Any:
    """Decoding and scoring for `ModelGenerator`: the spec's tactic temperature (explicit 0 kept)."""
    from prover.engines.generator import GeneratorConfig

    return GeneratorConfig(
        model=spec.model, prompt_format=spec.prompt_format, temperature=spec.temperature_for(TACTICS),
        top_p=spec.top_p, beam=spec.beam, max_new_tokens=spec.max_new_tokens, stop=spec.stop, score=spec.score)


def batch_config(spec: ModelSpec) -> BatchConfig:
    return BatchConfig(max_batch_size=spec.max_batch_size, max_wait_s=spec.max_wait_s,
                       max_batch_sequences=spec.max_batch_sequences)


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
