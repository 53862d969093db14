"""`PropEnv`: the ProofEnv protocol over the toy propositional assistant, with restart and replay.

One long-lived process per env, started by `lean_env.process.ChildProcess` (its own process group,
the sandbox, a memory cap, deadline reads). The assistant numbers its states; the env keeps the
number of each tactic path it has seen on the live process, and after a kill (timeout) or a crash
starts a fresh process, reopens the theorem and replays the path. Verification runs the whole
proof in a fresh process, after the screen.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lean_env.base import (
    Advanced,
    BadTheorem,
    EnvError,
    EnvStats,
    EnvTimeout,
    FailureKind,
    Goal,
    Hypothesis,
    ProofState,
    Proved,
    TacticFailure,
    TacticResult,
    Theorem,
    Verification,
)
from lean_env.process import ChildProcess, ProcessConfig
from tests.example_prop.screen import screen_tactic

ASSISTANT = Path(__file__).resolve().parents[1] / "fakes" / "prop_assistant.py"
_LINE = re.compile(rb"\n")


@dataclass(frozen=True, slots=True)
class PropConfig:
    command: tuple[str, ...] = (sys.executable, str(ASSISTANT))
    tactic_timeout: float = 5.0  # default seconds per tactic (run_tactic's timeout overrides it)
    command_timeout: float = 10.0  # opening a theorem, checking a proof
    replay_factor: float = 2.0  # a replayed tactic gets this multiple of the tactic timeout


class PropEnv:
    """The toy assistant as a ProofEnv. Single-threaded, like every ProofEnv."""

    backend = "prop"

    def __init__(self, config: PropConfig | None = None) -> None:
        self.config = config or PropConfig()
        self._proc: ChildProcess | None = None
        self._theorem: Theorem | None = None
        self._ids: dict[tuple[str, ...], int] = {}  # tactic path -> state number on the live process
        self._seconds = 0.0
        self._requests = self._restarts = self._replayed = 0

    # -- ProofEnv

    def open(self, theorem: Theorem) -> ProofState:
        if theorem.backend != self.backend:
            raise BadTheorem(f"{theorem.name} is written for {theorem.backend!r}, not {self.backend!r}")
        self._theorem = None
        answer = self._ask(self._process(), {"open": theorem.statement}, self.config.command_timeout)
        if "error" in answer:
            raise BadTheorem(f"{theorem.name}: {answer['error']}")
        self._theorem, self._ids = theorem, {(): answer["state"]}
        return self._state((), answer["goals"])

    def run_tactic(self, state: ProofState, tactic: str, timeout: float | None = None) -> TacticResult:
        why = self.screen(tactic)
        if why is not None:
            return TacticFailure(FailureKind.REJECTED, why)  # never sent
        if self._theorem is None or state.theorem != self._theorem.name:
            raise EnvError(f"state of {state.theorem!r} does not belong to the open theorem")
        limit = self.config.tactic_timeout if timeout is None else timeout
        last: EnvError | None = None
        for _attempt in (1, 2):  # a crash is retried once on a fresh process, then blamed on the tactic
            try:
                proc = self._process()
                number = self._rebuild(proc, state.path)
                answer = self._ask(proc, {"state": number, "tactic": tactic}, limit)
            except EnvTimeout:
                self._kill()  # it may be looping: only a kill stops it; the next call replays
                return TacticFailure(FailureKind.TIMEOUT, f"no answer within {limit:.3g} s")
            except EnvError as exc:
                self._kill()
                last = exc
                continue
            return self._result(state, tactic, answer)
        return TacticFailure(FailureKind.CRASHED, f"the assistant died twice on this tactic: {last}")

    def screen(self, tactic: str) -> str | None:
        return screen_tactic(tactic)

    def verify(self, theorem: Theorem, proof: Sequence[str]) -> Verification:
        start = time.monotonic()
        script = "\n".join(proof)
        for tactic in proof:
            why = self.screen(tactic)
            if why is not None:
                return Verification(False, f"rejected before sending: {why}", script, seconds=time.monotonic() - start)
        checker = ChildProcess(ProcessConfig(argv=self.config.command))  # fresh: nothing shared
        try:
            answer = self._ask(checker, {"check": theorem.statement, "proof": list(proof)}, self.config.command_timeout)
        except EnvError as exc:
            answer = {"ok": False, "error": f"the checker broke: {exc}"}
        finally:
            checker.kill()
        ok = bool(answer.get("ok"))
        return Verification(ok, "" if ok else str(answer.get("error", "refused")), script,
                            seconds=time.monotonic() - start)

    def stats(self) -> EnvStats:
        return EnvStats(self._seconds, self._requests, self._restarts, self._replayed)

    @property
    def pid(self) -> int | None:
        """The live process's pid (the conformance kit kills it from outside)."""
        return self._proc.pid if self._proc is not None else None

    def close(self) -> None:
        self._kill()
        self._theorem = None

    def __enter__(self) -> PropEnv:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals

    def _process(self) -> ChildProcess:
        """The live process; a fresh one (with the open theorem reopened) when there is none."""
        if self._proc is not None:
            return self._proc
        self._proc = ChildProcess(ProcessConfig(argv=self.config.command))
        if self._theorem is not None:
            self._restarts += 1
            answer = self._ask(self._proc, {"open": self._theorem.statement}, self.config.command_timeout)
            if "error" in answer:
                raise EnvError(f"reopening {self._theorem.name} failed: {answer['error']}")
            self._ids = {(): answer["state"]}
        return self._proc

    def _kill(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc = None
            self._ids = {}

    def _rebuild(self, proc: ChildProcess, path: tuple[str, ...]) -> int:
        """The state number of `path` on the live process, replaying the part it has not seen."""
        known = len(path)
        while path[:known] not in self._ids:
            known -= 1
        for i in range(known, len(path)):
            answer = self._ask(proc, {"state": self._ids[path[:i]], "tactic": path[i]},
                               self.config.replay_factor * self.config.tactic_timeout)
            if "error" in answer:
                raise EnvError(f"replaying {path[i]!r} failed: {answer['error']}")
            self._replayed += 1
            self._ids[path[: i + 1]] = answer["state"]
        return self._ids[path]

    def _ask(self, proc: ChildProcess, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        t0 = time.monotonic()
        try:
            proc.write(json.dumps(request).encode() + b"\n")
            line, _ = proc.read_until(_LINE, timeout)
        finally:
            self._seconds += time.monotonic() - t0
            self._requests += 1
        try:
            answer = json.loads(line)
        except ValueError:
            raise EnvError(f"the assistant printed {line[:80]!r}") from None
        if not isinstance(answer, dict):
            raise EnvError(f"the assistant printed {line[:80]!r}")
        return answer

    def _state(self, path: tuple[str, ...], goals: list[dict[str, Any]]) -> ProofState:
        assert self._theorem is not None
        parsed = tuple(
            Goal(tuple(Hypothesis((name,), formula) for name, formula in g["hyps"]), g["conclusion"]) for g in goals
        )
        return ProofState(self._theorem.name, path, parsed, "\n\n".join(map(str, parsed)))

    def _result(self, state: ProofState, tactic: str, answer: dict[str, Any]) -> TacticResult:
        path = state.path + (tactic,)
        if "error" in answer:
            return TacticFailure(FailureKind.ERROR, str(answer["error"]))
        if answer.get("gave_up"):  # only `admit` gives up, and the screen refuses it
            return TacticFailure(FailureKind.GAVE_UP, "the goal was given up")
        self._ids[path] = answer["state"]
        if not answer["goals"]:
            return Proved(path)
        new = self._state(path, answer["goals"])
        if new.key == state.key:
            return TacticFailure(FailureKind.NO_PROGRESS, "the goals are unchanged")
        return Advanced(new)
