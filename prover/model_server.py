"""One model, many searches: `ModelServer` owns an engine behind a `Batcher`; Ray wraps it.

The server is a plain class so it runs and tests without Ray. `start_model_server` turns it into an
actor with `max_concurrency` threads: every client request is its own actor call, and the server's
batcher merges calls from all clients into shared engine calls. `RayEngine` is the client side,
an `Engine` a `ModelGenerator` can use on any node.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from prover.engines.base import Completion, GenRequest, RequestResult
from prover.batching import BatchConfig, Batcher


@dataclass(frozen=True, slots=True)
class EngineSpec:
    """Which engine to build, picklable so a remote model server can build it where the GPU is."""

    kind: str  # a name in `prover.model_registry.ENGINES`: "hf", "vllm", "openai", "tiny"
    config: Any  # that engine's config dataclass (HFConfig, VLLMConfig, OpenAIConfig, TinyConfig)


def build_engine(spec: EngineSpec) -> Any:
    from prover.model_spec import ENGINES

    return ENGINES.get(spec.kind)(spec.config)


class ModelServer:
    """The model-serving actor: one engine behind a batcher, shared by many searches (the engine
    sees one thread)."""

    def __init__(
        self,
        spec: EngineSpec | None = None,
        batch: BatchConfig | None = None,
        *,
        engine: Any = None,
    ) -> None:
        if engine is None:
            if spec is None:
                raise ValueError("give an EngineSpec or an engine")
            engine = build_engine(spec)
        self.engine = engine
        self.batcher = Batcher(engine, batch or BatchConfig())

    def generate_batch(self, requests: Sequence[GenRequest]) -> list[RequestResult]:
        """Batch-first entry: results in order, a failed request's exception as its result."""
        return self.batcher.generate_batch(requests)

    def submit(self, request: GenRequest) -> list[Completion]:
        """One request; blocks until its batch ran. Raises that request's own error."""
        return self.batcher.submit(request).result()

    def stats(self) -> dict[str, float]:
        s = self.batcher.stats
        return {
            "batches": s.batches,
            "requests": s.requests,
            "mean_batch_size": s.mean_batch_size,
            "engine_seconds": s.engine_seconds,
        }

    def ready(self) -> bool:
        return True

    def close(self) -> None:
        self.batcher.close()


def start_model_server(
    spec: EngineSpec,
    batch: BatchConfig | None = None,
    *,
    num_gpus: float = 1.0,
    num_cpus: float = 1.0,
    max_concurrency: int = 256,
    **options: Any,
) -> Any:
    """Start a `ModelServer` as a Ray actor (needs `ray.init()` first); returns the handle.

    `max_concurrency` bounds how many client requests can wait in one batch at once: keep it at
    least `batch.max_batch_size`.
    """
    import ray

    actor_class = ray.remote(
        num_gpus=num_gpus, num_cpus=num_cpus, max_concurrency=max_concurrency, **options
    )(ModelServer)
    return actor_class.remote(spec, batch or BatchConfig())


class RayEngine:
    """The client side of a model-server actor, usable as any `Engine` (and from many threads)."""

    def __init__(self, actor: Any, timeout_s: float | None = None) -> None:
        self.actor = actor
        self.timeout_s = timeout_s

    def generate_batch(self, requests: Sequence[GenRequest]) -> list[RequestResult]:
        import ray

        refs = [self.actor.submit.remote(r) for r in requests]
        results: list[RequestResult] = []
        for ref in refs:
            try:
                results.append(ray.get(ref, timeout=self.timeout_s))
            except ray.exceptions.RayTaskError as error:
                results.append(error.as_instanceof_cause())
            except Exception as error:  # noqa: BLE001 - actor died or timed out: this request's failure
                results.append(error)
        return results
