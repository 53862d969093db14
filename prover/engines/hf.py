"""Hugging Face transformers engine: sampling, greedy and beam search with exact token log-probs.

Scores are log-probs of the raw model distribution (temperature 1, no top-p), whatever the
sampling settings, so candidates from different settings compare. When sampling, a first logits
processor records the raw log-prob of each chosen token (O(rows x vocab) memory, not x steps) and
our own temperature/top-p warpers run after it; beam search rows reorder, so beams are rescored
with one teacher-forced forward pass. torch and transformers are imported only when used.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from prover.engines.base import (
    Completion,
    GenRequest,
    PromptTooLong,
    RequestResult,
    SamplingSettings,
    cut_at_stop,
    group_by_settings,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HFConfig:
    model: str  # hub id or local path
    dtype: str = "auto"  # "auto", "bfloat16", "float16" or "float32"
    device: str = (
        "auto"  # "auto" (cuda when present), "cpu", "cuda:1", ...; ignored with device_map
    )
    device_map: str | None = (
        None  # e.g. "auto" to spread a large model over GPUs (needs accelerate)
    )
    trust_remote_code: bool = False  # InternLM checkpoints need it
    max_input_tokens: int = 4096  # longer prompts fail alone (PromptTooLong), never truncated


class HFEngine:
    """An `Engine` over a loaded causal LM and its tokenizer.

    Not thread-safe: put a `Batcher` in front when several threads share it.
    """

    def __init__(self, model: Any, tokenizer: Any, *, max_input_tokens: int = 4096) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.max_input_tokens = max_input_tokens
        tokenizer.padding_side = "left"  # generation appends on the right
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        eos = getattr(model.generation_config, "eos_token_id", None)
        eos_ids = {tokenizer.eos_token_id} | set(eos if isinstance(eos, list) else [eos])
        self.eos_ids = tuple(sorted(i for i in eos_ids if i is not None))
        self._keeps_logits = "logits_to_keep" in inspect.signature(model.forward).parameters

    @classmethod
    def from_config(cls, config: HFConfig) -> HFEngine:
        """Load the model and tokenizer named in `config` (downloads unless it is a local path)."""
        import torch
        import transformers
        from transformers import AutoModelForCausalLM, AutoTokenizer

        dtype: Any = "auto" if config.dtype == "auto" else getattr(torch, config.dtype)
        dtype_key = "dtype" if int(transformers.__version__.split(".")[0]) >= 5 else "torch_dtype"
        kwargs: dict[str, Any] = {dtype_key: dtype, "trust_remote_code": config.trust_remote_code}
        if config.device_map:
            kwargs["device_map"] = config.device_map
        model = AutoModelForCausalLM.from_pretrained(config.model, **kwargs)
        if not config.device_map:
            device = config.device
            if device == "auto":
                device = "cuda" if torch.cuda.is_available() else "cpu"
            model = model.to(device)
        tokenizer = AutoTokenizer.from_pretrained(
            config.model, trust_remote_code=config.trust_remote_code
        )
        return cls(model, tokenizer, max_input_tokens=config.max_input_tokens)

    # -- Engine protocol -------------------------------------------------------------------------

    def generate_batch(self, requests: Sequence[GenRequest]) -> list[RequestResult]:
        results: list[RequestResult | None] = [None] * len(requests)
        for settings, indices in group_by_settings(requests).items():
            ok: list[int] = []
            for i in indices:
                n_tokens = len(self.tokenizer(requests[i].prompt).input_ids)
                if n_tokens > self.max_input_tokens:
                    results[i] = PromptTooLong(
                        f"prompt has {n_tokens} tokens > {self.max_input_tokens}"
                    )
                else:
                    ok.append(i)
            if not ok:
                continue
            try:
                outs = self._generate([requests[i].prompt for i in ok], settings)
            except Exception:
                if len(ok) == 1:
                    raise
                outs = []
                for i in ok:
                    try:
                        outs.append(self._generate([requests[i].prompt], settings)[0])
                    except Exception as error:  # noqa: BLE001
                        outs.append(error)
            for i, out in zip(ok, outs):
                results[i] = out
        return results  # type: ignore[return-value]

    # -- internals -------------------------------------------------------------------------------

    def _generate(self, prompts: list[str], s: SamplingSettings) -> list[list[Completion]]:
        import torch
        from transformers import LogitsProcessorList, StoppingCriteriaList

        tok, model = self.tokenizer, self.model
        enc = tok(prompts, return_tensors="pt", padding=True).to(model.device)
        prompt_len = enc.input_ids.shape[1]
        n = 1 if s.greedy else s.n
        eos_ids = list(self.eos_ids)
        kwargs: dict[str, Any] = {
            "max_new_tokens": s.max_new_tokens,
            "num_return_sequences": n,
            "pad_token_id": tok.pad_token_id,
            "return_dict_in_generate": True,
        }
        recorder = None
        if s.beam:
            # Beams cannot stop on a multi-token text; single-token stop texts act as EOS.
            eos_ids += [t for t in self._single_token_stops(s.stop) if t not in eos_ids]
            kwargs.update(do_sample=False, num_beams=n, length_penalty=0.0)
        else:
            recorder = _RawLogprobs()
            processors = [recorder]
            if not s.greedy:
                processors += _warpers(s)
            kwargs.update(do_sample=not s.greedy, logits_processor=LogitsProcessorList(processors))
            if not s.greedy:  # explicit: a checkpoint's generation_config must not warp twice
                kwargs.update(temperature=1.0, top_p=1.0, top_k=0)
            if s.stop:
                kwargs["stopping_criteria"] = StoppingCriteriaList(
                    [_StopTexts(tok, s.stop, prompt_len)]
                )
        kwargs["eos_token_id"] = eos_ids
        with torch.inference_mode():
            out = model.generate(
                input_ids=enc.input_ids, attention_mask=enc.attention_mask, **kwargs
            )
            sequences = out.sequences if hasattr(out, "sequences") else out
            generated = sequences[:, prompt_len:]
            if recorder is not None:
                logprobs = recorder.finish(sequences)
            else:
                mask = enc.attention_mask.repeat_interleave(n, dim=0)
                logprobs = self._rescore(sequences, mask, generated.shape[1])
        gen_rows = generated.tolist()
        lp_rows = logprobs.float().cpu().tolist()

        def decode(ids: Sequence[int]) -> str:
            return tok.decode(list(ids), skip_special_tokens=True)

        results = []
        for p in range(len(prompts)):
            rows = range(p * n, (p + 1) * n)
            results.append(
                [cut_at_stop(gen_rows[r], lp_rows[r], decode, s.stop, eos_ids) for r in rows]
            )
        return results

    def _rescore(self, sequences: Any, prompt_mask: Any, new_tokens: int, chunk: int = 16) -> Any:
        """Log-prob of each generated token under one teacher-forced pass (left padding aware)."""
        import torch

        full_mask = torch.cat(
            [prompt_mask, torch.ones_like(sequences[:, prompt_mask.shape[1] :])], dim=1
        )
        positions = (full_mask.cumsum(-1) - 1).clamp(min=0)
        keep = (
            {"logits_to_keep": new_tokens + 1} if self._keeps_logits else {}
        )  # transformers >= 4.50
        rows = []
        for start in range(0, sequences.shape[0], chunk):
            sl = slice(start, start + chunk)
            logits = (
                self.model(
                    input_ids=sequences[sl],
                    attention_mask=full_mask[sl],
                    position_ids=positions[sl],
                    **keep,
                )
                .logits[:, -(new_tokens + 1) : -1]
                .float()
            )
            targets = sequences[sl, -new_tokens:]
            rows.append(torch.log_softmax(logits, -1).gather(-1, targets.unsqueeze(-1)).squeeze(-1))
        return torch.cat(rows)

    def _single_token_stops(self, stops: Sequence[str]) -> list[int]:
        ids = []
        for stop in stops:
            encoded = self.tokenizer(stop, add_special_tokens=False).input_ids
            if len(encoded) == 1:
                ids.append(encoded[0])
            else:
                log.debug(
                    "beam search cannot stop early on %r (%d tokens); cut afterwards",
                    stop,
                    len(encoded),
                )
        return ids


def _warpers(s: SamplingSettings) -> list[Any]:
    from transformers import TemperatureLogitsWarper, TopPLogitsWarper

    out: list[Any] = []
    if s.temperature != 1.0:
        out.append(TemperatureLogitsWarper(s.temperature))
    if s.top_p < 1.0:
        out.append(TopPLogitsWarper(s.top_p))
    return out


class _RawLogprobs:
    """Logits processor that runs first and remembers the raw log-prob of each chosen token.

    At step t it sees the token chosen at step t-1 (the last input id) and the raw logits of step
    t, so it keeps one row x vocab tensor instead of one per step.
    """

    def __init__(self) -> None:
        self.steps: list[Any] = []
        self.prev: Any = None

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        if self.prev is not None:
            self.steps.append(self.prev.gather(-1, input_ids[:, -1:]).squeeze(-1))
        self.prev = torch.log_softmax(scores.float(), dim=-1)
        return scores

    def finish(self, sequences: Any) -> Any:
        import torch

        if self.prev is not None:
            self.steps.append(self.prev.gather(-1, sequences[:, -1:]).squeeze(-1))
            self.prev = None
        if not self.steps:
            return torch.zeros(sequences.shape[0], 0)
        return torch.stack(self.steps, dim=1)


class _StopTexts:
    """Stopping criterion: a row is done once its generated text contains a stop text."""

    def __init__(self, tokenizer: Any, stops: Sequence[str], prompt_len: int) -> None:
        self.tokenizer = tokenizer
        self.stops = [s for s in stops if s]
        self.prompt_len = prompt_len
        self.window = max(len(s) for s in self.stops) + 2  # a token decodes to >= 1 character

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        tail = input_ids[:, self.prompt_len :][:, -self.window :]
        texts = self.tokenizer.batch_decode(tail, skip_special_tokens=True)
        done = [any(s in t for s in self.stops) for t in texts]
        return torch.tensor(done, dtype=torch.bool, device=input_ids.device)


def load_engine(config: HFConfig) -> HFEngine:
    """Registry entry point (`prover.model_registry.ENGINES["hf"]`)."""
    return HFEngine.from_config(config)
