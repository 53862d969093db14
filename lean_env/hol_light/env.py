"""The HOL Light backend: a forked child of the shared zygote per theorem, states kept in the child.

The child keeps every goal state it reached in a table, so a tactic runs on any earlier state
directly, by number. After a crash or a timeout the child is killed; the next call forks a fresh
one from the zygote (tens of milliseconds) and replays the state's path. Each tactic gets a
timer inside the child and a wall-clock watchdog here: a tactic that swallows the timer's
exception is killed all the same. Both are wall-clock, as `ProofEnv` asks.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from typing import Sequence

from lean_env.base import (
    Advanced,
    BadTheorem,
    EnvCrashed,
    EnvError,
    EnvStats,
    EnvTimeout,
    FailureKind,
    ProofState,
    ProtocolError,
    Proved,
    TacticFailure,
    TacticResult,
    Theorem,
    Verification,
)
from lean_env.hol_light.goals import parse_state, pretty, toplevel_errors, without_prompts
from lean_env.hol_light.screen import ScreenError, ocaml_string, render, screen_tactic
from lean_env.hol_light.zygote import Child, Zygote, ZygoteConfig, check_installed, shared_zygote, unhex

log = logging.getLogger(__name__)
# The timer fired outside the driver's handler (while the tactic's expression was evaluated).
_TIMER_FIRED = re.compile(r"^Exception: Prover_timeout", re.M)

@dataclass(frozen=True, slots=True)
class HolLightConfig:
    zygote: ZygoteConfig = field(default_factory=ZygoteConfig)
    tactic_timeout: float = 5.0  # default seconds per tactic (a wall-clock timer in the child)
    watchdog_grace: float = 1.0  # wall-clock seconds past the limit before the child is killed
    command_timeout: float = 60.0  # opening a statement, each replayed step
    verify_timeout: float = 120.0  # the whole proof in the verifier's child


class HolLightEnv:
    """`ProofEnv` for HOL Light (Debian's hol-light, with the libraries miniF2F needs)."""

    backend = "hol-light"

    def __init__(self, config: HolLightConfig | None = None, zygote: Zygote | None = None) -> None:
        self.config = config or HolLightConfig()
        check_installed(self.config.zygote.hol_dir)
        # Loaded here, not on the first `open`: minutes of CPU that no theorem's budget should pay.
        self._zygote = zygote if zygote is not None else shared_zygote(self.config.zygote)
        self._child: Child | None = None
        self._theorem: Theorem | None = None
        self._ids: dict[tuple[str, ...], int] = {}  # path -> the state's number in the live child
        self._next_id = 1
        self._restarts = 0
        self._replayed = 0
        self._requests = 0
        self._busy = 0.0
        self._root_text = ""  # the live child's answer to opening the theorem

    # -- processes ----------------------------------------------------------------------------

    @property
    def zygote(self) -> Zygote:
        if self._zygote is None or not self._zygote.alive():
            self._zygote = shared_zygote(self.config.zygote)
        return self._zygote

    @property
    def pid(self) -> int | None:
        """The live child's host pid (fault tests kill it from outside)."""
        return self._child.pid if self._child else None

    def _kill_child(self) -> None:
        if self._child is not None:
            self._child.kill()
            self._child = None
        self._ids = {}

    def _ask(self, child: Child, phrases: list[str], timeout: float) -> str:
        start = time.monotonic()
        try:
            return child.request(phrases, timeout).decode(errors="replace")
        finally:
            self._busy += time.monotonic() - start
            self._requests += 1

    def _fresh_child(self, theorem: Theorem) -> Child:
        """A new child with `theorem` open as state 0; BadTheorem when it does not elaborate."""
        child = self.zygote.fork()
        try:
            text = self._ask(child, [f"prover_open {ocaml_string(theorem.statement)};;"], self.config.command_timeout)
        except (ScreenError, EnvError):
            child.kill()
            raise
        bad = re.search(re.escape(f"<<<{child.nonce} BAD ") + r"([0-9a-f]*)>>>", text)
        if bad or f"<<<{child.nonce} STATE 0\n" not in text:
            child.kill()
            why = unhex(bad.group(1)) if bad else toplevel_errors(text) or "no state"
            raise BadTheorem(f"{theorem.name}: the statement does not elaborate: {why}")
        self._root_text = text
        return child

    def _ensure_child(self) -> Child:
        if self._child is not None and not self._child.alive():
            self._kill_child()
        if self._child is None:
            assert self._theorem is not None
            self._child = self._fresh_child(self._theorem)
            self._ids = {(): 0}
            self._restarts += 1
        return self._child

    # -- theorems -----------------------------------------------------------------------------

    def open(self, theorem: Theorem) -> ProofState:
        try:
            ocaml_string(theorem.statement)
        except ScreenError as exc:
            raise BadTheorem(f"{theorem.name}: {exc}") from None
        if "`" in theorem.statement:
            raise BadTheorem(f"{theorem.name}: the statement must be a term without backquotes")
        self._kill_child()
        self._theorem = None
        self._child = self._fresh_child(theorem)
        self._theorem = theorem
        self._ids = {(): 0}
        goals = _state_goals(self._root_text, self._child.nonce, 0)
        return ProofState(theorem=theorem.name, path=(), goals=goals, pretty=pretty(goals))

    # -- tactics ------------------------------------------------------------------------------

    def screen(self, tactic: str) -> str | None:
        return screen_tactic(tactic)

    def _step(self, child: Child, parent: int, code: str, limit: float) -> tuple[str, int]:
        """Run one rendered tactic on state `parent`: (output, the new state's number)."""
        number = self._next_id
        self._next_id += 1
        ms = max(1, int(limit * 1000))
        text = self._ask(
            child,
            [f"prover_arm {ms};;", f"prover_step {parent} {number} ({code});;"],
            limit + self.config.watchdog_grace,
        )
        return text, number

    def _goto(self, child: Child, path: tuple[str, ...]) -> int:
        """The live child's number for `path`, replaying what it has not seen."""
        known = len(path)
        while path[:known] not in self._ids:
            known -= 1
        for i in range(known, len(path)):
            text, number = self._step(child, self._ids[path[:i]], render(path[i]), self.config.command_timeout)
            if f"<<<{child.nonce} STATE {number}\n" not in text:
                raise EnvError(f"replaying {path[i]!r} failed: {toplevel_errors(text) or 'no state'}")
            self._replayed += 1
            self._ids[path[: i + 1]] = number
        return self._ids[path]

    def run_tactic(self, state: ProofState, tactic: str, timeout: float | None = None) -> TacticResult:
        if self._theorem is None or state.theorem != self._theorem.name:
            raise EnvError(f"state of {state.theorem!r} does not belong to the open theorem")
        try:
            code = render(tactic)
        except ScreenError as exc:
            return TacticFailure(FailureKind.REJECTED, str(exc))
        limit = self.config.tactic_timeout if timeout is None else timeout
        last: Exception | None = None
        for _attempt in (1, 2):
            try:
                child = self._ensure_child()
                parent = self._goto(child, state.path)
                text, number = self._step(child, parent, code, limit)
            except EnvTimeout as exc:
                self._kill_child()  # only a kill stops a tactic that ignores its timer
                return TacticFailure(FailureKind.TIMEOUT, f"tactic ran past {limit:.1f} s ({exc})")
            except (EnvCrashed, ProtocolError) as exc:
                log.warning("HOL Light child died on %r: %s", tactic, exc)
                self._kill_child()
                last = exc
                continue
            except BadTheorem as exc:  # the statement opened before: the zygote is broken
                raise EnvCrashed(str(exc)) from exc
            except EnvError as exc:  # a replay that no longer goes through
                self._kill_child()
                return TacticFailure(FailureKind.ERROR, str(exc))
            return self._result(child, state, tactic, text, number)
        return TacticFailure(FailureKind.CRASHED, f"the HOL Light child died twice on this tactic: {last}")

    def _result(self, child: Child, state: ProofState, tactic: str, text: str, number: int) -> TacticResult:
        nonce = child.nonce
        if f"<<<{nonce} TIMEOUT>>>" in text or _TIMER_FIRED.search(without_prompts(text)):
            return TacticFailure(FailureKind.TIMEOUT, "tactic ran past its time limit")
        fail = re.search(re.escape(f"<<<{nonce} FAIL ") + r"([0-9a-f]*)>>>", text)
        if fail:
            return TacticFailure(FailureKind.ERROR, unhex(fail.group(1)) or "the tactic failed")
        if f"<<<{nonce} STATE {number}\n" not in text:
            return TacticFailure(FailureKind.ERROR, toplevel_errors(text) or "HOL Light refused the tactic")
        path = state.path + (tactic,)
        self._ids[path] = number
        goals = _state_goals(text, nonce, number)
        if not goals:
            return Proved(path)
        new = ProofState(theorem=state.theorem, path=path, goals=goals, pretty=pretty(goals))
        if new.key == state.key:
            return TacticFailure(FailureKind.NO_PROGRESS, "the goals are unchanged")
        return Advanced(new)

    # -- verification and bookkeeping ---------------------------------------------------------

    def verify(self, theorem: Theorem, proof: Sequence[str]) -> Verification:
        from lean_env.hol_light.verify import verify

        return verify(self.zygote, theorem, proof, self.config.verify_timeout, self.config.watchdog_grace)

    def stats(self) -> EnvStats:
        return EnvStats(self._busy, self._requests, self._restarts, self._replayed)

    def close(self) -> None:
        """Kill this env's child; the shared zygote lives on for other envs of the process."""
        self._kill_child()
        self._theorem = None

    def __enter__(self) -> "HolLightEnv":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _state_goals(text: str, nonce: str, number: int) -> tuple:
    m = re.search(re.escape(f"<<<{nonce} STATE {number}\n") + r"(.*?)" + re.escape(f">>>{nonce}"), text, re.S)
    if m is None:
        raise ProtocolError(f"no state {number} in the child's answer")
    return parse_state(m.group(1))
