"""`LeanDojoEnv`: the ProofEnv protocol over `lean_dojo.Dojo`, for theorems of a traced repository.

For users whose theorems live in a repository LeanDojo has traced. A theorem is named by its
repository, file and full name, written into the `Theorem` value as
`Theorem(full_name, header="<url>@<commit>", statement="<file path>", backend="leandojo")`
(`dojo_theorem` builds one). The package is optional: without it every call is a SetupError.

LeanDojo's tactic timeout does not stop Lean, and every later tactic of that Dojo times out
too; so a timeout or a crash closes the Dojo, and the next tactic opens a fresh one and
replays its state's path (as the REPL bridge does). Proofs are checked by `lean_dojo.check_proof`,
which compiles the theorem's file with the proof in place, in a fresh `lean` process, after the
same screen as the REPL bridge's final proofs (no sorry, no axiom, no command, no native code).
"""

from __future__ import annotations

import importlib
import logging
import textwrap
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lean_env.base import (
    Advanced,
    BadTheorem,
    EnvCrashed,
    EnvStats,
    FailureKind,
    ProofState,
    Proved,
    SetupError,
    TacticFailure,
    TacticResult,
    Theorem,
    Verification,
)
from lean_env.lean_repl.goals import parse_goals
from lean_env.lean_repl.screen import DEFAULT_MAX_HEARTBEATS, MAX_PROOF_CHARS, MAX_TACTIC_CHARS, screen_tactic

log = logging.getLogger(__name__)

BACKEND = "leandojo"
INSTALL_HINT = "the leandojo backend needs the lean-dojo package: pip install lean-dojo"

Path_ = tuple[str, ...]


def dojo_theorem(url: str, commit: str, file_path: str, full_name: str) -> Theorem:
    """The `Theorem` value naming a theorem of a traced repository."""
    return Theorem(full_name, f"{url}@{commit}", file_path, backend=BACKEND)


@dataclass(frozen=True, slots=True)
class DojoConfig:
    tactic_timeout: float = 30.0  # LeanDojo's per-interaction timeout (whole seconds)
    max_heartbeats: int = DEFAULT_MAX_HEARTBEATS  # the screen's cap on heartbeat options
    module: str = "lean_dojo"  # the module to import (tests name a stand-in)


class LeanDojoEnv:
    """Lean 4 through one `lean_dojo.Dojo` per open theorem. Single-threaded."""

    backend = BACKEND

    def __init__(self, config: DojoConfig | None = None) -> None:
        self.config = config or DojoConfig()
        try:
            self._ld: Any = importlib.import_module(self.config.module)
        except ImportError:
            raise SetupError(INSTALL_HINT) from None
        self._theorem: Theorem | None = None
        self._dojo: Any = None  # the entered Dojo, or None after a timeout/crash
        self._states: dict[Path_, Any] = {}  # path -> TacticState of the live Dojo
        self._stats = {"requests": 0, "restarts": 0, "replayed_tactics": 0, "timeouts": 0, "crashes": 0}
        self._seconds = 0.0

    # -- ProofEnv

    def open(self, theorem: Theorem) -> ProofState:
        if theorem.backend != BACKEND:
            raise BadTheorem(f"{theorem.name} is written for {theorem.backend!r}, not LeanDojo")
        self._close_dojo()
        self._theorem = theorem
        root = self._enter()
        return self._state((), root)

    def run_tactic(self, state: ProofState, tactic: str, timeout: float | None = None) -> TacticResult:
        """`timeout` is not per call here: a Dojo has one timeout, `DojoConfig.tactic_timeout`."""
        why = self.screen(tactic)
        if why is not None:
            return TacticFailure(FailureKind.REJECTED, why)
        if self._theorem is None or state.theorem != self._theorem.name:
            raise ValueError(f"theorem {state.theorem!r} is not the open one")
        ld = self._ld
        last: Exception | None = None
        for _attempt in range(2):
            try:
                before = self._rebuild(state.path)
                result = self._run(before, tactic)
            except ld.DojoTacticTimeoutError:
                self._stats["timeouts"] += 1
                self._close_dojo()  # the Dojo's Lean is still busy: every later tactic would time out
                return TacticFailure(FailureKind.TIMEOUT, f"no answer within {self.config.tactic_timeout:g}s")
            except (ld.DojoCrashError, EnvCrashed) as e:
                self._stats["crashes"] += 1
                self._close_dojo()
                last = e
                continue
            return self._result(state, tactic, result)
        return TacticFailure(FailureKind.CRASHED, f"LeanDojo failed twice on this tactic: {last}")

    def screen(self, tactic: str) -> str | None:
        return screen_tactic(tactic, self.config.max_heartbeats)

    def verify(self, theorem: Theorem, proof: Sequence[str]) -> Verification:
        start = time.monotonic()
        body = "by\n" + "\n".join(textwrap.indent(t.strip("\n"), "  ", lambda _: True) for t in proof)

        def verdict(ok: bool, message: str) -> Verification:
            return Verification(ok, message, body, (), time.monotonic() - start)

        if not proof:
            return verdict(False, "empty proof")
        # Each step, then the steps as the compiled file holds them, joined: a comment or string
        # left open by one step changes how the next reads (`skip; /-` then `-- -/ sorry` is
        # `skip; sorry`), and `check_proof` has no parse probe nor axiom audit behind it, and
        # looks for the sorry warning only in the 'sorry' spelling of older Leans.
        joined = [(body, MAX_PROOF_CHARS)] if len(proof) > 1 else []
        for tactic, limit in [(step, MAX_TACTIC_CHARS) for step in proof] + joined:
            why = screen_tactic(tactic, self.config.max_heartbeats, final=True, max_chars=limit)
            if why is not None:
                return verdict(False, f"rejected before sending: {why}")
        try:
            ok = bool(self._ld.check_proof(self._dojo_theorem(theorem), body))
        except self._ld.DojoInitError as e:
            return verdict(False, f"LeanDojo cannot check this theorem: {e}")
        return verdict(ok, "" if ok else "the file does not compile with this proof (error or sorry)")

    def stats(self) -> EnvStats:
        s = self._stats
        extra = {"timeouts": s["timeouts"], "crashes": s["crashes"]}
        return EnvStats(self._seconds, s["requests"], s["restarts"], s["replayed_tactics"], extra)

    def close(self) -> None:
        self._close_dojo()
        self._theorem = None

    def __enter__(self) -> LeanDojoEnv:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals

    def _dojo_theorem(self, theorem: Theorem) -> Any:
        url, sep, commit = theorem.header.rpartition("@")
        if not sep or not url or not commit or not theorem.statement.strip():
            raise BadTheorem(f"{theorem.name}: a LeanDojo theorem is header '<url>@<commit>', statement '<file>'")
        repo = self._ld.LeanGitRepo(url, commit)
        return self._ld.Theorem(repo, theorem.statement.strip(), theorem.name)

    def _enter(self) -> Any:
        assert self._theorem is not None
        ld = self._ld
        dojo = ld.Dojo(self._dojo_theorem(self._theorem), timeout=max(1, round(self.config.tactic_timeout)))
        t0 = time.monotonic()
        try:
            entered, root = dojo.__enter__()
        except ld.DojoInitError as e:
            raise BadTheorem(f"{self._theorem.name}: LeanDojo cannot open it: {e}") from None
        except ld.DojoCrashError as e:
            raise EnvCrashed(f"LeanDojo crashed while opening {self._theorem.name}: {e}") from None
        finally:
            self._seconds += time.monotonic() - t0
        self._dojo = (dojo, entered)
        self._states = {(): root}
        return root

    def _close_dojo(self) -> None:
        if self._dojo is not None:
            dojo, _ = self._dojo
            self._dojo = None
            self._states = {}
            try:
                dojo.__exit__(None, None, None)
            except Exception as e:  # noqa: BLE001 - a dead Dojo may fail to clean up; it is gone
                log.warning("closing a Dojo failed: %s", e)

    def _run(self, before: Any, tactic: str) -> Any:
        assert self._dojo is not None
        t0 = time.monotonic()
        try:
            return self._dojo[1].run_tac(before, tactic)
        finally:
            self._seconds += time.monotonic() - t0
            self._stats["requests"] += 1

    def _rebuild(self, path: Path_) -> Any:
        """The live TacticState at `path`, replaying it on a fresh Dojo when needed."""
        if self._dojo is None:
            self._stats["restarts"] += 1
            try:
                self._enter()
            except BadTheorem as e:  # it opened before: a process fault now
                raise EnvCrashed(str(e)) from None
        known = len(path)
        while path[:known] not in self._states:
            known -= 1
        state = self._states[path[:known]]
        for i in range(known, len(path)):
            result = self._run(state, path[i])
            self._stats["replayed_tactics"] += 1
            if not isinstance(result, self._ld.TacticState):
                raise EnvCrashed(f"replaying tactic {i + 1} ({path[i]!r}) now gives {type(result).__name__}")
            state = self._states[path[: i + 1]] = result
        return state

    def _state(self, path: Path_, tactic_state: Any) -> ProofState:
        pp = tactic_state.pp
        goals = [g for g in pp.split("\n\n") if g.strip()]
        return ProofState(self._theorem.name, path, parse_goals(goals), pp)  # type: ignore[union-attr]

    def _result(self, state: ProofState, tactic: str, result: Any) -> TacticResult:
        ld = self._ld
        path = state.path + (tactic,)
        if isinstance(result, ld.ProofFinished):
            return Proved(path)
        if isinstance(result, ld.LeanError):
            return TacticFailure(FailureKind.ERROR, result.error)
        if isinstance(result, ld.ProofGivenUp):
            return TacticFailure(FailureKind.GAVE_UP, "the proof contains sorry")
        if not isinstance(result, ld.TacticState):
            raise EnvCrashed(f"LeanDojo answered {type(result).__name__}")
        if result.pp == state.pretty:
            return TacticFailure(FailureKind.NO_PROGRESS, "the goals are unchanged")
        self._states[path] = result
        return Advanced(self._state(path, result))
