"""The model side of informal proving: write informal drafts and formal sketches from a text completer.

Sketching needs free text, not scored tactics, so the seam is a small `Completer` protocol. Any engine
of the tactic-generation stack (prover/engines: hf, vllm, openai) serves through `EngineCompleter`;
`FixedCompleter` returns given texts (a user's own sketch on the command line, and the test double).
Completer failures are exceptions; an empty list means the model produced nothing usable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from prover.model_spec import DEFAULT_TEMPERATURE, SKETCHES
from prover.sketch_prompts import (
    DRAFT_STOP,
    InformalProblem,
    SketchFormat,
    draft_prompt,
    sketch_format,
)


@runtime_checkable
class Completer(Protocol):
    def complete(self, prompt: str, n: int, max_tokens: int, stop: Sequence[str], temperature: float) -> list[str]:
        """Up to `n` completions of `prompt`, each cut before the first `stop` text."""
        ...


class EngineCompleter:
    """Adapts a batch-first `prover.engines.base.Engine` to `Completer` (one request per call)."""

    def __init__(self, engine) -> None:
        self.engine = engine

    def complete(self, prompt: str, n: int, max_tokens: int, stop: Sequence[str], temperature: float) -> list[str]:
        from prover.engines.base import GenRequest, SamplingSettings

        greedy = temperature == 0
        settings = SamplingSettings(
            n=1 if greedy else n, temperature=temperature, max_new_tokens=max_tokens, stop=tuple(stop)
        )
        (result,) = self.engine.generate_batch([GenRequest(prompt, settings)])
        if isinstance(result, BaseException):
            raise result
        return [c.text for c in result]


class FixedCompleter:
    """Returns the same texts for every prompt, and records the prompts it was given.

    Used for `prover prove --informal FILE --sketch SKETCH` (a human's sketch) and as the test double.
    """

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts = list(texts)
        self.prompts: list[str] = []

    def complete(self, prompt: str, n: int, max_tokens: int, stop: Sequence[str], temperature: float) -> list[str]:
        self.prompts.append(prompt)
        return self.texts[:n]


@dataclass(frozen=True, slots=True)
class SketcherConfig:
    temperature: float = DEFAULT_TEMPERATURE[SKETCHES]  # 0 gives one greedy sketch
    max_sketch_tokens: int = 1024
    max_draft_tokens: int = 512


class Sketcher:
    """Writes drafts and sketches for one backend's prompt format."""

    def __init__(self, completer: Completer, backend: str, config: SketcherConfig = SketcherConfig(),
                 fmt: SketchFormat | None = None) -> None:
        self.completer = completer
        self.format = fmt or sketch_format(backend)
        self.config = config

    def draft(self, problem: InformalProblem) -> str:
        """One informal proof written by the model ("" if it wrote nothing)."""
        texts = self.completer.complete(
            draft_prompt(problem), 1, self.config.max_draft_tokens, DRAFT_STOP, self.config.temperature
        )
        return texts[0].strip() if texts else ""

    def sketch(self, problem: InformalProblem, draft: str, n: int) -> list[str]:
        """Up to `n` distinct non-empty sketches, in the order the model gave them."""
        prompt = self.format.render(problem, draft)
        texts = self.completer.complete(
            prompt, n, self.config.max_sketch_tokens, self.format.stop, self.config.temperature
        )
        seen: list[str] = []
        for text in texts:
            if text.strip() and text.strip() not in (s.strip() for s in seen):
                seen.append(text)
        return seen[:n]
