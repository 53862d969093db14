"""vLLM engine (extra `prover[vllm]`): sampling via `LLM.generate`, beams via `LLM.beam_search`.

vLLM removed `use_beam_search` from `SamplingParams` (0.6.3), which broke the Llemma and ReProver
scripts; beam search now goes through `LLM.beam_search(prompts, BeamSearchParams(...))`, which has
no stop texts, so beams are cut at the first stop text afterwards using their per-token log-probs.
vLLM does its own continuous batching, so one `generate` call per settings group is enough.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from prover.engines.base import (
    Completion,
    GenRequest,
    RequestResult,
    SamplingSettings,
    cut_at_stop,
    group_by_settings,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class VLLMConfig:
    model: str  # hub id or local path
    dtype: str = "auto"
    tensor_parallel_size: int = 1
    gpu_memory_utilization: float = 0.9
    max_model_len: int | None = None
    trust_remote_code: bool = False
    seed: int = 0
    enforce_eager: bool = False
    load_format: str = "auto"  # "dummy": random weights from config.json (speed tests)


class VLLMEngine:
    """An `Engine` over `vllm.LLM` (imported here, never at module import)."""

    def __init__(self, config: VLLMConfig, llm: Any = None) -> None:
        self.config = config
        if llm is None:
            from vllm import LLM

            kwargs: dict[str, Any] = {
                "model": config.model,
                "dtype": config.dtype,
                "tensor_parallel_size": config.tensor_parallel_size,
                "gpu_memory_utilization": config.gpu_memory_utilization,
                "trust_remote_code": config.trust_remote_code,
                "seed": config.seed,
                "enforce_eager": config.enforce_eager,
                "load_format": config.load_format,
            }
            if config.max_model_len:
                kwargs["max_model_len"] = config.max_model_len
            llm = LLM(**kwargs)
        self.llm = llm
        self.tokenizer = llm.get_tokenizer()

    def generate_batch(self, requests: Sequence[GenRequest]) -> list[RequestResult]:
        results: list[RequestResult | None] = [None] * len(requests)
        for settings, indices in group_by_settings(requests).items():
            prompts = [requests[i].prompt for i in indices]
            outs = (
                self._beam(prompts, settings) if settings.beam else self._sample(prompts, settings)
            )
            for i, out in zip(indices, outs):
                results[i] = out
        return results  # type: ignore[return-value]

    def _sample(self, prompts: list[str], s: SamplingSettings) -> list[list[Completion]]:
        from vllm import SamplingParams

        params = SamplingParams(
            n=1 if s.greedy else s.n,
            temperature=s.temperature,
            top_p=s.top_p,
            max_tokens=s.max_new_tokens,
            stop=list(s.stop) or None,
            logprobs=0,  # the chosen token's log-prob, so cumulative_logprob is filled in
        )
        outputs = self.llm.generate(prompts, params, use_tqdm=False)
        results = []
        for output in outputs:
            completions = []
            for o in output.outputs:
                logprob = o.cumulative_logprob
                if logprob is None and o.logprobs:
                    logprob = sum(step[tok].logprob for step, tok in zip(o.logprobs, o.token_ids))
                finish = "stop" if o.finish_reason == "stop" else "length"
                completions.append(
                    Completion(
                        o.text, float(logprob or 0.0), len(o.token_ids), tuple(o.token_ids), finish
                    )
                )
            results.append(completions)
        return results

    def _beam(self, prompts: list[str], s: SamplingSettings) -> list[list[Completion]]:
        from vllm.sampling_params import BeamSearchParams

        params = BeamSearchParams(beam_width=s.n, max_tokens=s.max_new_tokens, length_penalty=1.0)
        outputs = self.llm.beam_search([{"prompt": p} for p in prompts], params)
        eos = [self.tokenizer.eos_token_id] if self.tokenizer.eos_token_id is not None else []

        def decode(ids: Sequence[int]) -> str:
            return self.tokenizer.decode(list(ids), skip_special_tokens=True)

        results = []
        for prompt, output in zip(prompts, outputs):
            prompt_len = len(self.tokenizer(prompt).input_ids)
            completions = []
            for seq in output.sequences:
                generated = list(seq.tokens[prompt_len:])
                per_token = getattr(seq, "logprobs", None)
                if per_token and len(per_token) >= len(generated):
                    steps = per_token[-len(generated) :] if generated else []
                    logprobs = [step[tok].logprob for step, tok in zip(steps, generated)]
                    completions.append(cut_at_stop(generated, logprobs, decode, s.stop, eos))
                else:  # older vLLM: only the total is known, so the score is not cut at the stop
                    text = decode(generated)
                    for stop in s.stop:
                        text = text.split(stop, 1)[0]
                    completions.append(
                        Completion(text, float(seq.cum_logprob), len(generated), tuple(generated))
                    )
            results.append(completions)
        return results


def load_engine(config: VLLMConfig) -> VLLMEngine:
    """Registry entry point (`prover.model_registry.ENGINES["vllm"]`)."""
    return VLLMEngine(config)
