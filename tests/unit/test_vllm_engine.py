"""VLLMEngine: against a stand-in `vllm` module shaped like its documented API, and the real one if installed."""

from __future__ import annotations

import os
import sys
import types
from dataclasses import dataclass, field

import pytest

from prover.engines.base import GenRequest, SamplingSettings
from prover.engines.vllm import VLLMConfig, VLLMEngine


@dataclass
class Logprob:
    logprob: float


@dataclass
class CompletionOutput:
    text: str
    token_ids: list[int]
    cumulative_logprob: float | None
    logprobs: list[dict[int, Logprob]] | None
    finish_reason: str


@dataclass
class BeamSequence:
    tokens: list[int]  # the prompt's tokens included, as vLLM returns them
    cum_logprob: float
    logprobs: list[dict[int, Logprob]] = field(default_factory=list)


class FakeTokenizer:
    eos_token_id = 0

    def __call__(self, text: str) -> types.SimpleNamespace:
        return types.SimpleNamespace(input_ids=[ord(c) for c in text])

    def decode(self, ids: list[int], skip_special_tokens: bool = True) -> str:
        return "".join(chr(i) for i in ids if i != 0)


class FakeLLM:
    def __init__(self) -> None:
        self.params: list[object] = []

    def get_tokenizer(self) -> FakeTokenizer:
        return FakeTokenizer()

    def generate(self, prompts: list[str], params: object, use_tqdm: bool = False) -> list[object]:
        self.params.append(params)
        outs = []
        for p in prompts:
            outputs = [
                CompletionOutput(f"{p}-a", [1, 2], -1.5, None, "stop"),
                CompletionOutput(f"{p}-b", [3], None, [{3: Logprob(-0.25)}], "length"),
            ]
            outs.append(types.SimpleNamespace(outputs=outputs))
        return outs

    def beam_search(self, prompts: list[dict], params: object) -> list[object]:
        self.params.append(params)
        outs = []
        for p in prompts:
            prompt_ids = [ord(c) for c in p["prompt"]]
            gen = [ord(c) for c in "ok--junk"]
            steps = [{t: Logprob(-1.0)} for t in gen]
            outs.append(
                types.SimpleNamespace(sequences=[BeamSequence(prompt_ids + gen, -8.0, steps)])
            )
        return outs


@pytest.fixture
def fake_vllm(monkeypatch: pytest.MonkeyPatch) -> FakeLLM:
    module = types.ModuleType("vllm")
    module.SamplingParams = lambda **kw: ("sampling", kw)
    sampling = types.ModuleType("vllm.sampling_params")
    sampling.BeamSearchParams = lambda **kw: ("beam", kw)
    monkeypatch.setitem(sys.modules, "vllm", module)
    monkeypatch.setitem(sys.modules, "vllm.sampling_params", sampling)
    return FakeLLM()


def test_sampling_goes_through_generate_with_logprobs(fake_vllm: FakeLLM) -> None:
    engine = VLLMEngine(VLLMConfig("m"), llm=fake_vllm)
    settings = SamplingSettings(n=2, temperature=0.7, max_new_tokens=5, stop=("---",))
    (result,) = engine.generate_batch([GenRequest("p", settings)])
    assert [(c.text, c.logprob, c.num_tokens, c.finish) for c in result] == [
        ("p-a", -1.5, 2, "stop"),
        ("p-b", -0.25, 1, "length"),
    ]
    kind, kw = fake_vllm.params[0]
    assert kind == "sampling" and kw["n"] == 2 and kw["stop"] == ["---"] and kw["logprobs"] == 0
    assert kw["temperature"] == 0.7 and kw["max_tokens"] == 5


def test_beam_search_uses_the_beam_api_and_cuts_at_the_stop(fake_vllm: FakeLLM) -> None:
    engine = VLLMEngine(VLLMConfig("m"), llm=fake_vllm)
    (result,) = engine.generate_batch(
        [GenRequest("pr", SamplingSettings(n=3, beam=True, stop=("--",)))]
    )
    (beam,) = result
    assert (beam.text, beam.num_tokens, beam.logprob, beam.finish) == ("ok", 4, -4.0, "stop")
    kind, kw = fake_vllm.params[0]
    assert kind == "beam" and kw["beam_width"] == 3


@pytest.mark.gpu
def test_real_vllm_generates_scored_samples_and_beams() -> None:
    pytest.importorskip("vllm")
    path = os.environ.get("PROVER_VLLM_MODEL")
    if not path:
        pytest.skip("set PROVER_VLLM_MODEL to a local model directory")
    engine = VLLMEngine(VLLMConfig(path, enforce_eager=True, gpu_memory_utilization=0.5))
    prompt = "theorem two : 1 + 1 = 2 := by\n"
    sampled, beams = engine.generate_batch(
        [
            GenRequest(prompt, SamplingSettings(n=2, max_new_tokens=8)),
            GenRequest(prompt, SamplingSettings(n=2, beam=True, max_new_tokens=8)),
        ]
    )
    for completions in (sampled, beams):
        assert len(completions) == 2
        assert all(c.logprob < 0 and 0 < c.num_tokens <= 8 for c in completions)
