"""ModelSpec -> generator through the engine registry, with a tiny random model."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from lean_env.base import ProofState, Theorem
from lean_env.registry import UnknownName
from prover.engines.generator import ModelGenerator
from prover.batching import Batcher
from prover.model_registry import ModelSpec, build_generator, engine_spec
from prover.model_spec import InvalidModelSpec

pytestmark = pytest.mark.hf
THEOREM = Theorem("t", "", "theorem t : True", backend="lean")


def test_build_generator_from_cli_options() -> None:
    spec = ModelSpec(
        "tiny",
        engine="tiny",
        prompt_format="reprover",
        temperature=0,
        max_new_tokens=4,
        max_wait_s=0.05,
    )
    gen = build_generator(spec, screen=lambda b, t: None)
    try:
        assert isinstance(gen, ModelGenerator) and isinstance(gen.engine, Batcher)
        states = [ProofState("t", (), (), f"⊢ goal {i}") for i in range(6)]
        with ThreadPoolExecutor(6) as pool:
            results = list(pool.map(lambda s: gen.generate(THEOREM, s, 3), states))
        for r in results:  # temperature 0 and k=3: beam search of width 3, distinct and ranked
            assert 1 <= len(r) <= 3 and len({c.tactic for c in r}) == len(r)
            assert [c.score for c in r] == sorted((c.score for c in r), reverse=True) and r[
                0
            ].score < 0
        assert gen.engine.stats.batches < 6
    finally:
        gen.close()


def test_unknown_engine_and_format_fail_before_loading() -> None:
    with pytest.raises(InvalidModelSpec, match="engine must be one of hf"):
        engine_spec(ModelSpec("m", engine="hff"))
    with pytest.raises(UnknownName, match="llemma"):
        build_generator(ModelSpec("tiny", engine="tiny", prompt_format="lemma"))
