"""Values shared by every model engine, and the batch-first `Engine` protocol.

An engine turns prompts into scored completions; it knows nothing about theorems, prompt formats
or forbidden tactics (that is `ModelGenerator`'s job), so the same engine object can sit behind a
batching queue, in a Ray actor or in a benchmark. All values here are frozen and cheap to pickle.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class SamplingSettings:
    """How to decode one request. Requests with equal settings can share one engine call."""

    n: int = 1  # completions wanted (beam width when `beam`)
    temperature: float = 1.0  # 0 means greedy (n must then be 1 unless `beam`)
    top_p: float = 1.0
    beam: bool = False  # beam search of width n instead of sampling
    max_new_tokens: int = 128
    stop: tuple[str, ...] = ()  # the completion ends before the first of these texts

    def __post_init__(self) -> None:
        if self.n < 1 or self.max_new_tokens < 1:
            raise ValueError(
                f"n and max_new_tokens must be >= 1, got {self.n}, {self.max_new_tokens}"
            )
        if self.temperature < 0 or not 0 < self.top_p <= 1:
            raise ValueError(f"bad temperature {self.temperature} or top_p {self.top_p}")

    @property
    def greedy(self) -> bool:
        return not self.beam and self.temperature == 0


@dataclass(frozen=True, slots=True)
class GenRequest:
    """One prompt to complete `settings.n` times."""

    prompt: str
    settings: SamplingSettings = SamplingSettings()


@dataclass(frozen=True, slots=True)
class Completion:
    """One completion with its model log-probability (temperature 1, no warping).

    `logprob` sums the generated tokens up to and including the one that completed a stop text or
    end-of-sequence (the same convention as vLLM's `cumulative_logprob`), so ending the tactic
    there is part of its probability. `text` is cut before the stop text.
    """

    text: str
    logprob: float  # sum of token log-probs
    num_tokens: int  # tokens counted in `logprob`
    token_ids: tuple[int, ...] = ()  # those tokens, when the engine knows them
    finish: str = "length"  # "stop" (stop text), "eos" or "length"

    @property
    def mean_logprob(self) -> float:
        return self.logprob / self.num_tokens if self.num_tokens else 0.0


# What an engine returns for one request: its completions, or the exception that request raised.
RequestResult = list[Completion] | BaseException


class PromptTooLong(ValueError):
    """The prompt has more tokens than the engine accepts. Engines never cut a prompt (what the
    model would see is not what was asked); a tactic generator treats it as a state it has
    nothing to propose for (`ModelGenerator`)."""


@runtime_checkable
class Engine(Protocol):
    """A model that completes many prompts in one call (the unit a GPU is efficient at)."""

    def generate_batch(self, requests: Sequence[GenRequest]) -> list[RequestResult]:
        """Complete each request; one result per request, in order.

        A request that cannot be served (prompt too long, bad settings) gets its exception as its
        result; raising means the whole call failed (callers may retry items one by one).
        """
        ...


def run_batch(engine: Engine, requests: Sequence[GenRequest]) -> list[RequestResult]:
    """Call `engine.generate_batch`, and if the whole call raises, retry each request alone.

    Why: one bad request (say, a prompt the tokenizer rejects) must not fail its neighbours.
    """
    try:
        results = list(engine.generate_batch(requests))
        if len(results) != len(requests):
            raise RuntimeError(
                f"engine returned {len(results)} results for {len(requests)} requests"
            )
        return results
    except Exception as batch_error:  # noqa: BLE001 - isolated below, re-raised per item
        if len(requests) == 1:
            return [batch_error]
    out: list[RequestResult] = []
    for request in requests:
        try:
            (result,) = engine.generate_batch([request])
        except Exception as error:  # noqa: BLE001 - this request's own failure
            result = error
        out.append(result)
    return out


def group_by_settings(requests: Sequence[GenRequest]) -> dict[SamplingSettings, list[int]]:
    """Indices of requests sharing the same settings, so each group is one engine call."""
    groups: dict[SamplingSettings, list[int]] = {}
    for i, request in enumerate(requests):
        groups.setdefault(request.settings, []).append(i)
    return groups


def cut_at_stop(
    token_ids: Sequence[int],
    token_logprobs: Sequence[float],
    decode: Callable[[Sequence[int]], str],
    stop: Sequence[str],
    eos_ids: Sequence[int] = (),
) -> Completion:
    """Build a `Completion` from generated tokens: end at EOS or the first stop text.

    `decode` turns a token prefix into text (special tokens skipped). The prefix is found by a
    binary search over decodes, which assumes a longer prefix never loses a stop text it contained.
    """
    ids = list(token_ids)
    finish = "length"
    for i, tok in enumerate(ids):
        if tok in eos_ids:
            ids, finish = ids[: i + 1], "eos"
            break
    text = decode(ids)
    hits = [text.find(s) for s in stop if s and s in text]
    if hits:
        cut = min(hits)
        text, finish = text[:cut], "stop"
        lo, hi = 1, len(ids)  # smallest prefix whose text already contains a stop text
        while lo < hi:
            mid = (lo + hi) // 2
            prefix = decode(ids[:mid])
            if any(s and s in prefix for s in stop):
                hi = mid
            else:
                lo = mid + 1
        ids = ids[:lo]
    logprobs = [float(x) for x in token_logprobs[: len(ids)]]
    total = math.fsum(logprobs)
    return Completion(
        text=text, logprob=total, num_tokens=len(ids), token_ids=tuple(ids), finish=finish
    )
