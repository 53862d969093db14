"""`ModelSpec`: every choice about a language model, as one validated, frozen value.

The CLI builds it from one shared group of options (prover_cli/options.py), a run directory stores
it (benchmarks.results.RunConfig) and resume reads it back; engines, batchers and generators are
built from it (prover.model_registry). An invalid value raises `InvalidModelSpec`, one line naming
the field, when the spec is made: never after a model has been loaded.

Temperature: None means "the documented default of the use", because the same model samples
tactics (deterministic by default: greedy, or beam search for several candidates), Draft-Sketch-
Prove sketches (several different sketches are the point) and whole proofs (pass@k needs
different samples). `temperature_for(use)` gives the value to decode with; an explicit 0 stays 0.
Nothing here imports torch, vLLM, httpx or Ray.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

from lean_env.registry import Registry

# Engine kinds: "module:function" taking the kind's config dataclass and returning an Engine.
_ENGINE_TARGETS = {
    "hf": "prover.engines.hf:load_engine",
    "vllm": "prover.engines.vllm:load_engine",
    "openai": "prover.engines.openai_api:load_engine",
    "tiny": "prover.engines.tiny:load_engine",  # random weights, for tests
}
ENGINES: Registry = Registry("model engine", _ENGINE_TARGETS)
ENGINE_NAMES = tuple(_ENGINE_TARGETS)  # in the order the help lists them

# What the model writes, each with its one default temperature.
TACTICS, SKETCHES, WHOLE_PROOFS = "tactics", "sketches", "whole-proofs"
DEFAULT_TEMPERATURE: dict[str, float] = {
    TACTICS: 0.0,  # best-first search ranks candidates by log-prob: greedy / beam search of width k
    SKETCHES: 0.8,  # Draft-Sketch-Prove samples several sketches per problem
    WHOLE_PROOFS: 1.0,  # pass@k: independent samples of the model's own distribution
}
DTYPES = ("auto", "bfloat16", "float16", "float32")
SCORES = ("sum", "mean")
DEFAULT_ENDPOINT = "http://127.0.0.1:8000/v1"
_NEVER_STORED = ("api_key",)


class InvalidModelSpec(ValueError):
    """A model option with a value no engine can use; `field` names the option."""

    def __init__(self, field_name: str, problem: str) -> None:
        super().__init__(f"{field_name} {problem}")
        self.field = field_name
        self.problem = problem


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """Which model, how it decodes, where it runs. Fields only matter to the engines that use them."""

    model: str  # hub id, local path, served model name, or a tiny shape ("tiny", "llama-7b")
    engine: str = "hf"  # a name in ENGINES
    prompt_format: str | None = None  # None/"auto": chosen from the model id and the backend
    temperature: float | None = None  # None: DEFAULT_TEMPERATURE of the use; 0: greedy
    top_p: float = 1.0
    beam: bool = False  # tactics: beam search instead of sampling
    max_new_tokens: int = 128  # per tactic
    stop: tuple[str, ...] | None = None  # None: the prompt format's stop texts
    score: str = "sum"  # "sum" or "mean" token log-prob as Candidate.score
    # local engines (hf, vllm, tiny)
    dtype: str = "auto"
    device: str = "auto"
    device_map: str | None = None
    trust_remote_code: bool = False
    max_input_tokens: int = 4096
    tensor_parallel_size: int = 1
    gpu_memory_utilization: float = 0.9
    seed: int = 0
    # served endpoints (openai)
    endpoint: str = DEFAULT_ENDPOINT
    api_key: str | None = field(default=None, repr=False, compare=False)  # never stored
    timeout_s: float = 60.0
    retries: int = 3
    # batching across concurrent searches
    batching: bool = True
    max_batch_size: int = 64
    max_wait_s: float = 0.01
    max_batch_sequences: int | None = None  # cap on requests x n per engine call (GPU memory)

    def __post_init__(self) -> None:
        if self.stop is not None and not isinstance(self.stop, tuple):
            object.__setattr__(self, "stop", tuple(self.stop))
        if not isinstance(self.model, str) or not self.model.strip():
            raise InvalidModelSpec("model", f"must name a model (got {self.model!r})")
        if self.engine not in ENGINES:
            raise InvalidModelSpec("engine", f"must be one of {', '.join(ENGINE_NAMES)}, not {self.engine!r}")
        if self.temperature is not None and not (_finite(self.temperature) and self.temperature >= 0):
            raise InvalidModelSpec("temperature", f"must be a finite number >= 0 (got {self.temperature})")
        if not (_finite(self.top_p) and 0 < self.top_p <= 1):
            raise InvalidModelSpec("top_p", f"must be in (0, 1] (got {self.top_p})")
        if self.score not in SCORES:
            raise InvalidModelSpec("score", f"must be one of {', '.join(SCORES)}, not {self.score!r}")
        if self.dtype not in DTYPES:
            raise InvalidModelSpec("dtype", f"must be one of {', '.join(DTYPES)}, not {self.dtype!r}")
        for name in ("max_new_tokens", "max_input_tokens", "tensor_parallel_size", "max_batch_size"):
            if not _whole(getattr(self, name), 1):
                raise InvalidModelSpec(name, f"must be a whole number >= 1 (got {getattr(self, name)!r})")
        if self.max_batch_sequences is not None and not _whole(self.max_batch_sequences, 1):
            raise InvalidModelSpec("max_batch_sequences", f"must be a whole number >= 1 (got {self.max_batch_sequences!r})")
        if not _whole(self.retries, 0) or not _whole(self.seed, 0):
            raise InvalidModelSpec("retries" if not _whole(self.retries, 0) else "seed", "must be a whole number >= 0")
        if not (_finite(self.max_wait_s) and self.max_wait_s >= 0):
            raise InvalidModelSpec("max_wait_s", f"must be a finite number of seconds >= 0 (got {self.max_wait_s})")
        if not (_finite(self.timeout_s) and self.timeout_s > 0):
            raise InvalidModelSpec("timeout_s", f"must be a positive, finite number of seconds (got {self.timeout_s})")
        if not (_finite(self.gpu_memory_utilization) and 0 < self.gpu_memory_utilization <= 1):
            raise InvalidModelSpec("gpu_memory_utilization", f"must be in (0, 1] (got {self.gpu_memory_utilization})")
        if self.stop is not None and not all(isinstance(s, str) and s for s in self.stop):
            raise InvalidModelSpec("stop", f"must be non-empty texts (got {list(self.stop)!r})")

    def temperature_for(self, use: str) -> float:
        """The temperature to decode `use` (TACTICS, SKETCHES, WHOLE_PROOFS) with."""
        if use not in DEFAULT_TEMPERATURE:
            raise ValueError(f"unknown model use {use!r}: one of {', '.join(DEFAULT_TEMPERATURE)}")
        return DEFAULT_TEMPERATURE[use] if self.temperature is None else self.temperature

    def check_use(self, use: str, samples: int = 1, samples_option: str = "") -> None:
        """Raise InvalidModelSpec when the spec cannot serve `use`: a prompt format of another kind,
        or deterministic decoding asked for `samples` > 1 different outputs (`samples_option`,
        e.g. "--attempts 4", says which option asked)."""
        if self.prompt_format not in (None, "", "auto"):
            known = _prompt_formats(use)
            if known is not None and self.prompt_format not in known:
                raise InvalidModelSpec("prompt_format", f"must be one of {', '.join(known)}, not {self.prompt_format!r}")
        if samples <= 1:
            return
        asked = samples_option or f"{samples} samples"
        if use == TACTICS and self.beam:
            raise InvalidModelSpec("beam", f"gives the same {use} every time, so {asked} would repeat the "
                                   "same work: sample instead (a temperature > 0)")
        if self.temperature_for(use) == 0:
            raise InvalidModelSpec("temperature", f"0 gives the same {use} every time, so {asked} would repeat the "
                                   "same work: use a temperature > 0")

    def to_json(self) -> dict[str, Any]:
        """Plain values for a run directory; never the API key."""
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in _NEVER_STORED}
        data["stop"] = list(self.stop) if self.stop is not None else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelSpec:
        """The spec `to_json` wrote (fields added since take their defaults); ValueError otherwise."""
        known = {f.name for f in fields(cls)} - set(_NEVER_STORED)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown model spec field(s): {', '.join(unknown)}")
        values = dict(data)
        if values.get("stop") is not None:
            values["stop"] = tuple(values["stop"])
        return cls(**values)


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _whole(value: Any, least: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


def _prompt_formats(use: str) -> tuple[str, ...] | None:
    """The prompt format names of `use` (None: the use has no choice of format)."""
    if use == TACTICS:
        from prover.prompts import PROMPTS

        return tuple(PROMPTS.names())
    if use == WHOLE_PROOFS:
        from prover.whole_proof import WHOLE_PROOF_FORMATS

        return tuple(WHOLE_PROOF_FORMATS.names())
    return None  # sketches: the backend's sketch format
