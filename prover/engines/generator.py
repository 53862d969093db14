"""`ModelGenerator`: the `TacticGenerator` in front of any engine (HF, vLLM, endpoint, batcher).

It renders the prompt for the theorem's backend, asks the engine for k completions, extracts the
tactic, drops empty and forbidden texts (the backend's `screen`), merges duplicates and scores each
candidate by the sum (or mean) of its token log-probs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lean_env.base import ProofState, Theorem
from prover.engines.base import Completion, Engine, GenRequest, PromptTooLong, SamplingSettings
from prover.base import Candidate, dedupe
from prover.model_spec import DEFAULT_TEMPERATURE, TACTICS
from prover.prompts import PromptFormat, get_format

if TYPE_CHECKING:
    from prover.batching import BatchConfig

log = logging.getLogger(__name__)

ScreenFn = Callable[[str, str], "str | None"]  # (backend, tactic) -> reason it is forbidden


@dataclass(frozen=True, slots=True)
class GeneratorConfig:
    """Decoding and scoring choices; the engine (which model, where) is configured separately."""

    model: str  # model id or path: picks the default prompt format
    prompt_format: str | None = None  # a name in `prover.prompts.PROMPTS`; None: from the model id
    temperature: float = DEFAULT_TEMPERATURE[TACTICS]  # 0: greedy when k == 1, else beam search of width k
    top_p: float = 1.0
    beam: bool = False  # beam search of width k instead of sampling
    max_new_tokens: int = 128
    stop: tuple[str, ...] | None = None  # None: the prompt format's stop texts
    score: str = "sum"  # Candidate.score: "sum" or "mean" of token log-probs

    def __post_init__(self) -> None:
        if self.score not in ("sum", "mean"):
            raise ValueError(f"score must be 'sum' or 'mean', got {self.score!r}")


@dataclass(slots=True)
class GeneratorStats:
    calls: int = 0
    completions: int = 0
    empty: int = 0  # completions with no tactic text
    forbidden: int = 0  # dropped by the backend's screen
    duplicates: int = 0  # merged into an identical candidate
    too_long: int = 0  # states whose prompt the engine could not take: nothing proposed for them


def registry_screen(backend: str, tactic: str) -> str | None:
    """The backend's screen from `lean_env.registry`; allows everything if it is not installed yet.

    Allowing is safe because the proof environment screens every tactic again before sending it.
    """
    from lean_env.registry import UnknownName, screen

    try:
        return screen(backend, tactic)
    except (ImportError, AttributeError, UnknownName) as error:
        if backend not in _warned:
            _warned.add(backend)
            log.warning(
                "no tactic screen for %s (%s); the environment will screen instead", backend, error
            )
        return None


_warned: set[str] = set()


class ModelGenerator:
    """A `TacticGenerator` backed by a language-model engine.

    Thread-safe when its engine is (a `Batcher` is), so many searches may share one instance.
    """

    def __init__(
        self,
        engine: Engine,
        config: GeneratorConfig,
        *,
        screen: ScreenFn | None = None,
        name: str = "model",
    ) -> None:
        self.engine = engine
        self.config = config
        self.name = name
        self.screen = screen or registry_screen
        self.stats = GeneratorStats()
        self._lock = threading.Lock()

    def prompt_format(self, backend: str) -> PromptFormat:
        return get_format(self.config.prompt_format, self.config.model, backend)

    def request(self, theorem: Theorem, state: ProofState, k: int) -> GenRequest:
        """The engine request for one state (exposed for batching tools and tests)."""
        cfg = self.config
        fmt = self.prompt_format(theorem.backend)
        # Temperature 0 asks for deterministic decoding: greedy for one candidate, beam search of
        # width k for more (greedy would give one candidate whatever k says).
        beam = cfg.beam or (cfg.temperature == 0 and k > 1)
        settings = SamplingSettings(
            n=k,
            temperature=cfg.temperature,
            top_p=cfg.top_p,
            beam=beam,
            max_new_tokens=cfg.max_new_tokens,
            stop=fmt.stop if cfg.stop is None else tuple(cfg.stop),
        )
        return GenRequest(fmt.render(theorem, state), settings)

    def generate(self, theorem: Theorem, state: ProofState, k: int) -> list[Candidate]:
        if k < 1:
            return []
        (result,) = self.engine.generate_batch([self.request(theorem, state, k)])
        if isinstance(result, PromptTooLong):
            # A property of this state and this model's context, not a failure: the same state
            # gives the same answer, so retrying the theorem would not help. The search goes on
            # with the other generators' candidates (a chain's portfolio) and other states.
            with self._lock:
                self.stats.too_long += 1
                first = self.stats.too_long == 1
            (log.warning if first else log.debug)("%s: no candidates for a state of %s: %s (counted in "
                                                  "stats.too_long)", self.name, theorem.name, result)
            return []
        if isinstance(result, BaseException):
            raise result
        return self.to_candidates(theorem, result, k)

    def to_candidates(
        self, theorem: Theorem, completions: Sequence[Completion], k: int
    ) -> list[Candidate]:
        fmt = self.prompt_format(theorem.backend)
        empty = forbidden = 0
        kept: list[Candidate] = []
        for completion in completions:
            tactic = fmt.extract(completion.text)
            if not tactic:
                empty += 1
                continue
            reason = self.screen(theorem.backend, tactic)
            if reason is not None:
                forbidden += 1
                log.debug("dropped forbidden candidate %r: %s", tactic, reason)
                continue
            score = completion.logprob if self.config.score == "sum" else completion.mean_logprob
            kept.append(Candidate(tactic, score, self.name))
        out = dedupe(kept, k)
        with self._lock:
            self.stats.calls += 1
            self.stats.completions += len(completions)
            self.stats.empty += empty
            self.stats.forbidden += forbidden
            self.stats.duplicates += len(kept) - len({c.tactic for c in kept})
        return out

    def close(self) -> None:
        """Close the engine when it holds resources (a batcher thread, an HTTP client)."""
        close = getattr(self.engine, "close", None)
        if callable(close):
            close()


class BatchedGenerator(ModelGenerator):
    """A `ModelGenerator` with a `Batcher` in front of its engine, for many concurrent searches.

    Each search thread calls `generate` synchronously; requests from all threads share engine calls.
    """

    def __init__(
        self,
        engine: Engine,
        config: GeneratorConfig,
        batch: BatchConfig | None = None,
        *,
        screen: ScreenFn | None = None,
        name: str = "model",
    ) -> None:
        from prover.batching import BatchConfig, Batcher

        self.batcher = Batcher(engine, batch or BatchConfig())
        super().__init__(self.batcher, config, screen=screen, name=name)
