"""The proof-environment seam: the values every proof assistant returns and the protocol it implements.

A search never talks to Coq, Lean or Isabelle directly; it holds `ProofState` values and asks a
`ProofEnv` to run one tactic on any of them. Tactic failures are values (`TacticFailure`); a broken
process is an exception (`EnvError`). A state is identified by its tactic path from the root, so a
backend can always rebuild it by replaying that path after a restart.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Protocol, Sequence, overload, runtime_checkable


@dataclass(frozen=True, slots=True)
class Theorem:
    """One theorem to prove, in the backend's own syntax."""

    name: str  # the declared name, e.g. "mathd_algebra_10"
    header: str  # imports, options, opens: everything the statement needs, run before it
    statement: str  # the declaration without its proof, byte for byte as given (Coq: ends with ".")
    backend: str = "coq"  # which proof assistant the texts are written for


@dataclass(frozen=True, slots=True)
class Hypothesis:
    names: tuple[str, ...]  # "a, b : nat" is one hypothesis with two names
    type: str
    value: str | None = None  # the body of a local definition ("y := x + 1 : nat")

    def __str__(self) -> str:
        body = f" := {self.value}" if self.value is not None else ""
        return f"{', '.join(self.names)}{body} : {self.type}"


@dataclass(frozen=True, slots=True)
class Goal:
    hypotheses: tuple[Hypothesis, ...]
    conclusion: str
    tag: str = ""  # Lean's `case` tag: goals that differ only by it are different goals

    def __str__(self) -> str:
        hyps = "\n".join(str(h) for h in self.hypotheses)
        text = f"{hyps}\n⊢ {self.conclusion}" if hyps else f"⊢ {self.conclusion}"
        return f"case {self.tag}\n{text}" if self.tag else text


class LazyGoals(Sequence[Goal]):
    """Goals parsed from the assistant's printed text only when first read.

    The search itself needs only a state's key; parsing every display eagerly would cost more
    than the proof assistant spends on a simple tactic. `parse` must be a module-level function
    (so states pickle for Ray); the key of a lazy state is taken from the text, which determines
    the goals.
    """

    __slots__ = ("text", "_parse", "_goals")

    def __init__(self, text: str, parse: Callable[[str], Sequence[Goal]]) -> None:
        self.text = text
        self._parse = parse
        self._goals: tuple[Goal, ...] | None = None

    def _get(self) -> tuple[Goal, ...]:
        if self._goals is None:
            self._goals = tuple(self._parse(self.text))
        return self._goals

    @overload
    def __getitem__(self, index: int) -> Goal: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Goal]: ...

    def __getitem__(self, index: int | slice) -> Goal | Sequence[Goal]:
        return self._get()[index]

    def __len__(self) -> int:
        return len(self._get())

    def __iter__(self) -> Iterator[Goal]:
        return iter(self._get())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and tuple(self) == tuple(other)

    def __hash__(self) -> int:
        return hash(self._get())

    def __repr__(self) -> str:
        return repr(self._get())

    def __reduce__(self) -> tuple[type[LazyGoals], tuple[str, Callable[[str], Sequence[Goal]]]]:
        return (LazyGoals, (self.text, self._parse))


@dataclass(frozen=True, slots=True)
class ProofState:
    """An open proof state: immutable, and rebuildable from `path` by replay."""

    theorem: str  # name of the theorem this state belongs to
    path: tuple[str, ...]  # tactics applied from the root, one entry per accepted candidate
    goals: Sequence[Goal]  # the goals, focused goal first (a tuple, or LazyGoals parsed on use)
    pretty: str  # the goals as the proof assistant printed them (what a model is prompted with)
    note: str = ""  # focus information such as "unfocused goals remain: use a bullet"
    key: str = ""  # stable key for merging identical states; computed from goals and note

    def __post_init__(self) -> None:
        # Same goals and focus give the same key, whatever the path (computed once: it is hot).
        if not self.key:
            if isinstance(self.goals, LazyGoals):
                text = self.note + "\x01" + self.goals.text
            else:
                text = self.note + "\x00" + "\x00".join(str(g) for g in self.goals)
            object.__setattr__(self, "key", hashlib.sha1(text.encode()).hexdigest())

    @property
    def depth(self) -> int:
        return len(self.path)

    def __str__(self) -> str:
        return self.pretty


@dataclass(frozen=True, slots=True)
class Advanced:
    """The tactic ran and left goals: the new state."""

    state: ProofState


@dataclass(frozen=True, slots=True)
class Proved:
    """The tactic closed every goal in tactic mode. Not yet verified: see `ProofEnv.verify`."""

    proof: tuple[str, ...]  # the whole tactic path, this tactic included


class FailureKind(str, enum.Enum):
    ERROR = "error"  # the assistant rejected the tactic
    TIMEOUT = "timeout"  # it ran past the per-tactic limit
    REJECTED = "rejected"  # refused before sending: not a tactic, or forbidden (admit, Axiom, ...)
    NO_PROGRESS = "no_progress"  # it succeeded but the state is unchanged
    GAVE_UP = "gave_up"  # goals were closed by giving up (admit-like); can never verify
    CRASHED = "crashed"  # the process died on this tactic, twice: the tactic is blamed


@dataclass(frozen=True, slots=True)
class TacticFailure:
    kind: FailureKind
    message: str


TacticResult = Advanced | Proved | TacticFailure


@dataclass(frozen=True, slots=True)
class Verification:
    """The verdict of an independent check of a complete proof."""

    ok: bool
    message: str  # why it failed, or "" when ok
    script: str  # the exact file or command text that was checked
    axioms: tuple[str, ...] = ()  # axioms the proof depends on (all of them allowed when ok)
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class EnvStats:
    """Counters an environment keeps across its life, for overhead measurements."""

    assistant_seconds: float = 0.0  # time spent waiting for the proof assistant to answer
    requests: int = 0
    restarts: int = 0
    replayed_tactics: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class EnvError(Exception):
    """The proof assistant process is broken (not a tactic failure)."""


class EnvCrashed(EnvError):
    """The process died or could not be restarted."""


class EnvTimeout(EnvError):
    """The process stopped answering and had to be killed."""


class ProtocolError(EnvError):
    """The process printed something the bridge cannot understand."""


class SetupError(EnvError):
    """The proof assistant is missing or misconfigured (one line says what to install)."""


class BadTheorem(ValueError):
    """The theorem's header or statement does not elaborate: bad input, not a failed search."""


@runtime_checkable
class ProofEnv(Protocol):
    """One proof assistant. Single-threaded: one caller at a time; parallelism comes from Ray."""

    backend: str  # "coq", "lean", "isabelle"

    def open(self, theorem: Theorem) -> ProofState:
        """Start proving `theorem` and return its root state.

        Raises:
            BadTheorem: the header or statement does not elaborate (message names the problem).
            EnvError: the process is broken beyond restart.
        """
        ...

    def run_tactic(self, state: ProofState, tactic: str, timeout: float | None = None) -> TacticResult:
        """Run `tactic` on any state of the open theorem (not only the latest one).

        `timeout` is wall-clock seconds for the whole tactic text (None: the env's default).
        Returns a value for every tactic outcome, timeouts included; the env restarts and replays
        by itself after a crash or a kill. Raises EnvError only when it cannot recover.
        """
        ...

    def screen(self, tactic: str) -> str | None:
        """Return why `tactic` may not be sent (forbidden or not a tactic), or None if it may."""
        ...

    def verify(self, theorem: Theorem, proof: Sequence[str]) -> Verification:
        """Check `proof` from scratch in a fresh process against the original statement."""
        ...

    def stats(self) -> EnvStats:
        ...

    def close(self) -> None:
        """Stop every process. Idempotent."""
        ...
