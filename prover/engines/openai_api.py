"""Engine for any OpenAI-compatible `/v1/completions` endpoint (a served vLLM, SGLang or TGI).

The server does its own continuous batching; we still send all prompts with equal settings in one
HTTP call (`prompt` as a list), which the API allows. Transient failures (connection errors,
timeouts, 408/429/5xx) are retried with exponential backoff; other errors raise `EndpointError`.
Uses httpx when installed, else the standard library.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from prover.engines.base import (
    Completion,
    GenRequest,
    RequestResult,
    SamplingSettings,
    group_by_settings,
)

log = logging.getLogger(__name__)

RETRY_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class OpenAIConfig:
    base_url: str  # up to and including /v1, e.g. "http://127.0.0.1:8000/v1"
    model: str  # the served model name
    api_key: str | None = None  # None: $OPENAI_API_KEY if set
    timeout_s: float = 60.0  # per HTTP call
    retries: int = 3  # extra attempts after a transient failure
    backoff_s: float = 0.5  # first wait; doubles each retry
    max_prompts_per_call: int = 64
    beam_param: str = "use_beam_search"  # vLLM's extra field; other servers may reject beam search


class EndpointError(RuntimeError):
    """The endpoint refused the request or kept failing after the retries."""


class OpenAIEngine:
    """An `Engine` over HTTP. Thread-safe: each call is independent."""

    def __init__(self, config: OpenAIConfig) -> None:
        self.config = config
        self.url = config.base_url.rstrip("/") + "/completions"
        key = config.api_key if config.api_key is not None else os.environ.get("OPENAI_API_KEY")
        self.headers = {"Content-Type": "application/json"}
        if key:
            self.headers["Authorization"] = f"Bearer {key}"
        try:
            import httpx
        except ImportError:
            self._client = None
        else:
            self._client = httpx.Client(timeout=config.timeout_s)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def generate_batch(self, requests: Sequence[GenRequest]) -> list[RequestResult]:
        results: list[RequestResult | None] = [None] * len(requests)
        size = self.config.max_prompts_per_call
        for settings, indices in group_by_settings(requests).items():
            for start in range(0, len(indices), size):
                chunk = indices[start : start + size]
                outs = self._complete([requests[i].prompt for i in chunk], settings)
                for i, out in zip(chunk, outs):
                    results[i] = out
        return results  # type: ignore[return-value]

    # -- internals -------------------------------------------------------------------------------

    def _body(self, prompts: list[str], s: SamplingSettings) -> dict[str, Any]:
        n = 1 if s.greedy else s.n
        body: dict[str, Any] = {
            "model": self.config.model,
            "prompt": prompts,
            "n": n,
            "max_tokens": s.max_new_tokens,
            "temperature": 0.0 if s.beam else s.temperature,
            "top_p": s.top_p,
            "logprobs": 1,  # per-token log-probs of the chosen tokens
        }
        if s.stop:
            body["stop"] = list(s.stop)
        if s.beam:
            body[self.config.beam_param] = True
        return body

    def _complete(self, prompts: list[str], s: SamplingSettings) -> list[list[Completion]]:
        reply = self._post(self._body(prompts, s))
        n = 1 if s.greedy else s.n
        out: list[list[Completion]] = [[] for _ in prompts]
        for position, choice in enumerate(reply.get("choices", [])):
            index = choice.get("index", position)
            if not 0 <= index // n < len(prompts):
                raise EndpointError(
                    f"choice index {index} out of range for {len(prompts)} prompts x {n}"
                )
            out[index // n].append(_to_completion(choice))
        return out

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        cfg = self.config
        data = json.dumps(body).encode()
        last: str = ""
        for attempt in range(cfg.retries + 1):
            if attempt:
                time.sleep(min(cfg.backoff_s * 2 ** (attempt - 1), 30.0))
            try:
                status, text = self._send(data)
            except (OSError, TimeoutError) as error:  # httpx errors are mapped to OSError below
                last = f"{type(error).__name__}: {error}"
                log.warning("endpoint %s attempt %d failed: %s", self.url, attempt + 1, last)
                continue
            if status == 200:
                try:
                    return json.loads(text)
                except json.JSONDecodeError as error:
                    raise EndpointError(f"endpoint returned invalid JSON: {error}") from None
            last = f"HTTP {status}: {text[:300]}"
            if status not in RETRY_STATUS:
                raise EndpointError(last)
            log.warning("endpoint %s attempt %d failed: %s", self.url, attempt + 1, last)
        raise EndpointError(f"gave up after {cfg.retries + 1} attempts; last: {last}")

    def _send(self, data: bytes) -> tuple[int, str]:
        if self._client is not None:
            import httpx

            try:
                response = self._client.post(self.url, content=data, headers=self.headers)
            except httpx.TimeoutException as error:
                raise TimeoutError(str(error)) from None
            except httpx.TransportError as error:
                raise ConnectionError(str(error)) from None
            return response.status_code, response.text
        request = urllib.request.Request(self.url, data=data, headers=self.headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.config.timeout_s) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")


def _to_completion(choice: dict[str, Any]) -> Completion:
    logprobs = choice.get("logprobs") or {}
    values = [float(x) for x in (logprobs.get("token_logprobs") or []) if x is not None]
    finish = {"stop": "stop", "length": "length"}.get(choice.get("finish_reason") or "", "length")
    if not values:
        raise EndpointError("endpoint returned no token log-probs (is `logprobs` supported?)")
    return Completion(
        text=choice.get("text", ""),
        logprob=math.fsum(values),
        num_tokens=len(values),
        finish=finish,
    )


def load_engine(config: OpenAIConfig) -> OpenAIEngine:
    """Registry entry point (`prover.model_registry.ENGINES["openai"]`)."""
    return OpenAIEngine(config)
