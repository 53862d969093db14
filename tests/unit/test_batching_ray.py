"""The worker as a Ray actor serving many clients, with a tiny random model built inside the actor."""

from __future__ import annotations

import pytest

ray = pytest.importorskip("ray")
pytest.importorskip("torch")
pytest.importorskip("transformers")

from lean_env.base import ProofState, Theorem
from prover.engines.base import GenRequest, SamplingSettings
from prover.engines.generator import GeneratorConfig, ModelGenerator
from prover.engines.tiny import TinyConfig
from prover.batching import BatchConfig
from prover.model_server import EngineSpec, RayEngine, start_model_server

pytestmark = [pytest.mark.ray, pytest.mark.slow]
THEOREM = Theorem("t", "", "theorem t : True", backend="lean")


def test_worker_as_a_ray_actor_batches_many_clients() -> None:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        actor = start_model_server(
            EngineSpec("tiny", TinyConfig(max_input_tokens=100)),
            BatchConfig(8, 0.2),
            num_gpus=0,
            num_cpus=1,
            max_concurrency=16,
        )
        assert ray.get(actor.ready.remote(), timeout=120)
        engine = RayEngine(actor, timeout_s=120)
        settings = SamplingSettings(temperature=0, max_new_tokens=3)
        results = engine.generate_batch(
            [GenRequest(f"p{i}", settings) for i in range(6)] + [GenRequest("x" * 300, settings)]
        )
        assert all(len(r) == 1 for r in results[:6])
        assert isinstance(results[6], ValueError) and "prompt has" in str(
            results[6]
        )  # its own error only
        gen = ModelGenerator(
            engine,
            GeneratorConfig("tiny", prompt_format="bfs-prover", temperature=0),
            screen=lambda b, t: None,
        )
        assert len(gen.generate(THEOREM, ProofState("t", (), (), "⊢ True"), 1)) == 1
        assert ray.get(actor.stats.remote())["batches"] < 8
    finally:
        ray.shutdown()
