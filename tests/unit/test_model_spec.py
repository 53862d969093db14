"""`ModelSpec`: validated when made, one default temperature per use, stored and read back whole."""

from __future__ import annotations

import json
import math

import pytest

from benchmarks.results import Budget, RunConfig, RunDir
from prover.factory import GeneratorOptions
from prover.model_spec import (
    DEFAULT_TEMPERATURE,
    SKETCHES,
    TACTICS,
    WHOLE_PROOFS,
    InvalidModelSpec,
    ModelSpec,
)


@pytest.mark.parametrize(("values", "field", "needle"), [
    ({"engine": "hff"}, "engine", "must be one of hf, vllm, openai, tiny"),
    ({"temperature": math.nan}, "temperature", "finite number >= 0"),
    ({"temperature": math.inf}, "temperature", "finite number >= 0"),
    ({"temperature": -0.5}, "temperature", "finite number >= 0"),
    ({"top_p": 0.0}, "top_p", "in (0, 1]"),
    ({"top_p": 1.5}, "top_p", "in (0, 1]"),
    ({"max_new_tokens": 0}, "max_new_tokens", ">= 1"),
    ({"score": "max"}, "score", "sum, mean"),
    ({"dtype": "fp8"}, "dtype", "auto, bfloat16"),
    ({"max_batch_size": 0}, "max_batch_size", ">= 1"),
    ({"max_wait_s": math.nan}, "max_wait_s", "finite"),
    ({"stop": ("",)}, "stop", "non-empty"),
    ({"model": " "}, "model", "must name a model"),
])
def test_a_bad_value_is_refused_when_the_spec_is_made(values, field, needle):
    with pytest.raises(InvalidModelSpec) as caught:
        ModelSpec(**{"model": "m", **values})
    assert caught.value.field == field and needle in str(caught.value)
    assert "\n" not in str(caught.value)


def test_each_use_has_one_default_temperature_and_an_explicit_zero_stays_zero():
    default = ModelSpec("m")
    assert [default.temperature_for(u) for u in (TACTICS, SKETCHES, WHOLE_PROOFS)] == [0.0, 0.8, 1.0]
    assert DEFAULT_TEMPERATURE == {TACTICS: 0.0, SKETCHES: 0.8, WHOLE_PROOFS: 1.0}
    zero = ModelSpec("m", temperature=0.0)
    assert [zero.temperature_for(u) for u in (TACTICS, SKETCHES, WHOLE_PROOFS)] == [0.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="unknown model use"):
        zero.temperature_for("poems")


def test_the_generator_config_gets_the_tactic_temperature():
    from prover.model_registry import generator_config

    assert generator_config(ModelSpec("m")).temperature == 0.0
    assert generator_config(ModelSpec("m", temperature=0.0)).temperature == 0.0
    assert generator_config(ModelSpec("m", temperature=0.7)).temperature == 0.7


def test_deterministic_decoding_cannot_give_several_different_samples():
    with pytest.raises(InvalidModelSpec, match="0 gives the same sketches every time, so --num-sketches 4"):
        ModelSpec("m", temperature=0).check_use(SKETCHES, 4, "--num-sketches 4")
    with pytest.raises(InvalidModelSpec, match="same tactics every time, so --attempts 2"):
        ModelSpec("m").check_use(TACTICS, 2, "--attempts 2")  # the tactic default is greedy
    with pytest.raises(InvalidModelSpec) as beam:
        ModelSpec("m", temperature=0.5, beam=True).check_use(TACTICS, 2, "--attempts 2")
    assert beam.value.field == "beam"
    ModelSpec("m").check_use(SKETCHES, 4)  # 0.8 by default: fine
    ModelSpec("m").check_use(WHOLE_PROOFS, 32)
    ModelSpec("m", temperature=0).check_use(WHOLE_PROOFS, 1)
    ModelSpec("m").check_use(TACTICS, 1)  # one search: beam search per expansion is fine


def test_the_prompt_format_must_be_one_of_the_use():
    ModelSpec("m", prompt_format="reprover").check_use(TACTICS)
    ModelSpec("m", prompt_format="kimina-prover").check_use(WHOLE_PROOFS)
    with pytest.raises(InvalidModelSpec, match="prompt_format must be one of bfs-prover"):
        ModelSpec("m", prompt_format="kimina-prover").check_use(TACTICS)
    with pytest.raises(InvalidModelSpec, match="prompt_format must be one of coq-whole"):
        ModelSpec("m", prompt_format="reprover").check_use(WHOLE_PROOFS)


def test_json_round_trip_keeps_everything_but_the_api_key():
    spec = ModelSpec("org/m", engine="openai", temperature=0.0, top_p=0.9, stop=("\n", "---"), score="mean",
                     endpoint="http://h:1/v1", api_key="secret", batching=False, max_batch_size=8)
    data = spec.to_json()
    assert "api_key" not in data and "secret" not in json.dumps(data)
    back = ModelSpec.from_json(json.loads(json.dumps(data)))
    assert back == spec and back.temperature == 0.0 and back.stop == ("\n", "---") and back.api_key is None
    assert ModelSpec.from_json({"model": "m"}) == ModelSpec("m")  # fields added later take their defaults
    with pytest.raises(ValueError, match="unknown model spec field"):
        ModelSpec.from_json({"model": "m", "temprature": 0.5})
    with pytest.raises(InvalidModelSpec, match="temperature"):
        ModelSpec.from_json({"model": "m", "temperature": -1})
    assert "secret" not in repr(spec)


def _config(generator: GeneratorOptions) -> RunConfig:
    return RunConfig("minif2f-coq", "c0", "coq", "valid", ("a",), generator, Budget())


def test_the_run_config_stores_the_spec_typed_and_reads_it_back(tmp_path):
    spec = ModelSpec("tiny", engine="tiny", temperature=0.0, stop=(".",), api_key="k")
    config = _config(GeneratorOptions("coq", portfolio=False, model=spec, knn_index="/idx", combine="interleave"))
    run = RunDir(tmp_path / "run")
    run.create(config)
    stored = json.loads(run.config_path.read_text())
    assert stored["generator"]["model"]["temperature"] == 0.0 and "api_key" not in stored["generator"]["model"]
    back = run.load_config()
    assert isinstance(back.generator.model, ModelSpec) and back.generator.model == spec
    assert back == config and not back.differences(config)
    assert back.generator.model.temperature_for(SKETCHES) == 0.0
    other = _config(GeneratorOptions("coq", portfolio=False, model=ModelSpec("tiny", engine="tiny", temperature=0.5),
                                     knn_index="/idx", combine="interleave"))
    assert back.differences(other) == ["generator"]


def test_a_run_written_before_the_typed_spec_still_loads(tmp_path):
    run = RunDir(tmp_path / "old")
    run.create(_config(GeneratorOptions("coq")))
    data = json.loads(run.config_path.read_text())
    data["generator"] = {"backend": "coq", "portfolio": True, "tactics_file": None, "model": "tiny", "engine": "tiny",
                         "prompt_format": None, "temperature": 0.0, "beam_search": False, "max_new_tokens": 128,
                         "device": None, "dtype": "auto", "endpoint": None, "max_batch_size": 64,
                         "max_wait_s": 0.01, "knn_index": None}
    run.config_path.write_text(json.dumps(data))
    generator = run.load_config().generator
    assert generator.model == ModelSpec("tiny", engine="tiny", temperature=0.0) and generator.portfolio
    data["generator"] = {"backend": "coq", "portfolio": True, "model": None, "engine": "hf", "temperature": 0.0}
    run.config_path.write_text(json.dumps(data))
    assert run.load_config().generator == GeneratorOptions("coq", combine="chain")  # as runs then were
