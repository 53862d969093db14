"""One REPL process bound to one header: the header's env, theorem roots, and replay by path.

REPL ids live only as long as their process, so every proof state is known to the
search by its tactic path; a `HeaderRepl` keeps `path -> proofState` for the live process and
rebuilds any path on a fresh one by re-running the header, the theorem and the tactics.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

from lean_env.base import BadTheorem, EnvCrashed, EnvError, Theorem
from lean_env.lean_repl.config import LeanConfig
from lean_env.lean_repl.process import ReplProcess
from lean_env.lean_repl.protocol import (
    AnyRequest,
    CommandRequest,
    CommandResponse,
    Outcome,
    ProofStepRequest,
    ProtocolError,
    ReplError,
    Response,
    StepOutcome,
    classify,
    decode,
    encode,
    is_desync,
)
from lean_env.lean_repl.screen import screen_tactic, substitute_suggestions

log = logging.getLogger(__name__)

Path_ = tuple[str, ...]


@dataclass
class Counters:
    """Mutable counters shared by every header REPL of one env (read out as `EnvStats`)."""

    assistant_seconds: float = 0.0
    requests: int = 0
    restarts: int = 0
    replayed_tactics: int = 0
    starts: int = 0
    recycles: int = 0
    timeouts: int = 0
    crashes: int = 0
    evictions: int = 0
    desyncs: int = 0
    heartbeat_retries: int = 0
    verifier_retries: int = 0
    swaps: int = 0  # restarts served by a warm spare instead of a fresh import
    rss_recycles: int = 0  # processes replaced for their resident size


class ReplayDiverged(Exception):
    """A tactic that once succeeded on this path does not any more (nondeterminism)."""


class _Spare:
    """A REPL started ahead of need, importing the header in a background thread.

    Only that thread touches the process until `take` has joined it.
    """

    def __init__(self, proc: ReplProcess, header: str, timeout: float) -> None:
        self.proc = proc
        self._response: Response | None = None
        self._error: BaseException | None = None
        line = encode(CommandRequest(cmd=header))
        self._thread = threading.Thread(target=self._load, args=(line, timeout), daemon=True)
        self._thread.start()

    def _load(self, line: bytes, timeout: float) -> None:
        try:
            self._response = decode(self.proc.request(line, timeout))
        except BaseException as e:  # noqa: BLE001 - handed over to the thread that takes it
            self._error = e

    def take(self) -> Response:
        """The header's answer once the import is done; EnvError if the spare broke."""
        self._thread.join()
        if self._error is not None or self._response is None or not self.proc.alive():
            self.close()
            if isinstance(self._error, EnvError):
                raise self._error
            raise EnvCrashed(f"spare REPL failed: {self._error!r}")
        return self._response

    def close(self) -> None:
        self.proc.terminate()  # the loading thread sees EOF and ends
        self._thread.join(timeout=5)
        self.proc.close()


class Desync(ProtocolError):
    """The REPL does not know an id we sent: our id map is out of step with the process."""


def sorry_command(statement: str) -> str:
    """`theorem … := by` becomes `theorem … := by sorry`: its sorry's proof state is the root."""
    text = statement.rstrip()
    if re.search(r":=\s*by$", text):
        return text + " sorry"
    if text.endswith(":="):
        return text + " by sorry"
    raise BadTheorem(f"a Lean statement must end with ':= by' (got ...{text[-30:]!r})")


class HeaderRepl:
    """The Lean REPL pool's process wrapper: one REPL process for one header, started lazily
    and restarted on demand (a `LeanEnv` keeps one per header it has seen)."""

    def __init__(
        self, config: LeanConfig, header: str, counters: Counters, spare: bool = True, recycle: bool = True
    ) -> None:
        self.config = config
        self.header = header
        self.counters = counters
        self._proc: ReplProcess | None = None
        self._header_env = 0
        self._states: dict[tuple[str, Path_], int] = {}  # (theorem name, path) -> proofState
        self._proof_states = 0  # steps and states in this process; the REPL frees none (#77)
        self._generation = 0  # processes started so far
        # The limit each path first ran under (kept across processes): replays get a multiple.
        self._first_limits: dict[tuple[str, Path_], float] = {}
        self._reports_status = config.require_proof_status  # seen a proofStatus from this REPL
        # A second process that has imported the header already: a timeout costs a swap.
        self._use_spare = spare and config.warm_spare
        self._spare: _Spare | None = None
        self._rss_checked_at = float("-inf")
        # False: never replaced for its size or age, only on faults (a verifying process holds
        # ids a fresh one would not know, and serves one proof anyway).
        self._recycle = recycle

    # -- process life

    def _ensure_started(self) -> None:
        if self._proc is not None and self._proc.alive():
            if not self._recycle or (self._proof_states < self.config.recycle_after and not self._too_big()):
                return
            self.counters.recycles += 1
            log.info("recycling REPL after %d proof states", self._proof_states)
        elif self._generation > 0:  # the last process died or was killed on a fault
            self.counters.restarts += 1
        self.kill()
        self._generation += 1
        cfg = self.config
        response = self._take_spare()
        if response is None:
            self._proc = self._new_process()
            response = self._send(CommandRequest(cmd=self.header), cfg.header_timeout)
        if isinstance(response, ReplError):
            self.close()
            raise BadTheorem(f"header rejected by the REPL: {response.message}")
        if not isinstance(response, CommandResponse):
            self.close()
            raise ProtocolError("the header was answered with a proof-step response")
        errors = response.errors()
        if errors:
            self.close()
            self._generation = 0  # a bad header is bad input, not a fault to count
            raise BadTheorem(f"header does not elaborate: {errors[0].data}")
        self._header_env = response.env
        if self._use_spare and self._spare is None:
            self._spare = _Spare(self._new_process(), self.header, cfg.header_timeout)

    def _new_process(self) -> ReplProcess:
        cfg = self.config
        self.counters.starts += 1
        return ReplProcess(
            cfg.command(), cfg.cwd(), cfg.memory_limit_bytes, cfg.max_response_bytes,
            cfg.log_dir, cfg.environment(),
        )

    def _too_big(self) -> bool:
        """Whether the process (with its children) is resident above the recycling size.

        Read at most once a second: the check costs about as much as our side of a request.
        """
        limit = self.config.recycle_rss_bytes
        now = time.monotonic()
        if limit is None or self._proc is None or now - self._rss_checked_at < 1.0:
            return False
        self._rss_checked_at = now
        rss = self._proc.rss_bytes()
        if rss > limit:
            self.counters.rss_recycles += 1
            log.info("recycling REPL resident at %d MiB", rss >> 20)
            return True
        return False

    def _take_spare(self) -> Response | None:
        """Adopt the warm spare as the live process: its header answer, or None without one."""
        spare, self._spare = self._spare, None
        if spare is None:
            return None
        start = time.monotonic()
        try:
            response = spare.take()
        except EnvError as e:
            log.warning("the spare REPL failed while importing the header: %s", e)
            return None
        finally:  # waiting for an import still under way is the assistant's time
            self.counters.assistant_seconds += time.monotonic() - start
            self.counters.requests += 1
        self._proc = spare.proc
        self.counters.swaps += 1
        return response

    def kill(self) -> None:
        """Drop the live process and every id it handed out (idempotent); the spare stays."""
        if self._proc is not None:
            self._proc.close()
        self._proc = None
        self._states.clear()
        self._proof_states = 0

    def retire(self) -> None:
        """Drop the live process as spent (by design, neither a fault nor a recycle); the next
        request takes the warm spare, if there is one."""
        self.kill()
        self._generation = 0

    def close(self) -> None:
        """Kill the live process and the spare (idempotent)."""
        self.kill()
        if self._spare is not None:
            self._spare.close()
            self._spare = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def _send(self, request: AnyRequest, timeout: float) -> Response:
        assert self._proc is not None
        line = encode(request)
        start = time.monotonic()
        try:
            text = self._proc.request(line, timeout)
        except EnvError:
            self.kill()
            raise
        finally:  # only the wait counts as the assistant's time; parsing is ours
            self.counters.assistant_seconds += time.monotonic() - start
            self.counters.requests += 1
        try:
            response = decode(text)
        except ProtocolError:
            self.kill()
            raise
        if isinstance(response, CommandResponse):
            self._proof_states += len(response.sorries) + len(response.tactics)
        elif isinstance(request, ProofStepRequest):  # every step costs, failed ones too
            self._proof_states += 1 + (0 if isinstance(response, ReplError) else len(response.sorries))
        if is_desync(response):
            self.kill()
            self.counters.desyncs += 1
            raise Desync(f"the REPL answered {response.message!r}: restarting to resynchronise")
        return response

    # -- theorems and states

    def open(self, theorem: Theorem) -> tuple[int, str]:
        """Elaborate `theorem … := by sorry` on the header env; its sorry is the root state.

        Returns (proofState id, goal text). Raises BadTheorem when it does not elaborate.
        """
        self._ensure_started()
        command = CommandRequest(cmd=sorry_command(theorem.statement), env=self._header_env)
        response = self._send(command, self.config.theorem_timeout)
        if isinstance(response, ReplError):
            raise BadTheorem(f"{theorem.name}: {response.message}")
        if not isinstance(response, CommandResponse):
            raise ProtocolError("a theorem was answered with a proof-step response")
        errors = response.errors()
        if errors:
            raise BadTheorem(f"{theorem.name} does not elaborate: {errors[0].data}")
        roots = [s for s in response.sorries if s.proof_state is not None]
        if len(response.sorries) != 1 or not roots:
            raise BadTheorem(
                f"{theorem.name}: expected exactly one sorry with a proof state, "
                f"got {len(response.sorries)}"
            )
        self._states[(theorem.name, ())] = roots[0].proof_state  # type: ignore[assignment]
        return roots[0].proof_state, roots[0].goal  # type: ignore[return-value]

    def forget(self, name: str) -> None:
        for table in (self._states, self._first_limits):
            for key in [k for k in table if k[0] == name]:
                del table[key]

    def replay_limit(self, name: str, path: Path_) -> float:
        """A replayed tactic's budget: a multiple of the limit it first ran under.

        A tactic that first ran near its limit must not time out on replay and take the whole
        node (or search) with it; a replay is known to succeed, so waiting longer is cheap.
        """
        first = self._first_limits.get((name, path), self.config.tactic_timeout)
        return first * self.config.replay_timeout_factor

    def rebuild(self, theorem: Theorem, path: Path_) -> int:
        """The REPL id of the state at `path`, replaying from the longest known prefix.

        Raises EnvError on a process fault, ReplayDiverged when a replayed tactic now fails.
        """
        self._ensure_started()
        known = len(path)
        while known > 0 and (theorem.name, path[:known]) not in self._states:
            known -= 1
        if known == 0 and (theorem.name, ()) not in self._states:
            self.open(theorem)
        state = self._states[(theorem.name, path[:known])]
        for i in range(known, len(path)):
            limit = self.replay_limit(theorem.name, path[: i + 1])
            outcome = self.step(theorem.name, path[:i], state, path[i], limit)
            self.counters.replayed_tactics += 1
            if outcome.outcome is not Outcome.OPEN or outcome.proof_state is None:
                raise ReplayDiverged(
                    f"replaying tactic {i + 1} of {len(path)} ({path[i]!r}) now gives "
                    f"{outcome.outcome.value}: {outcome.message}"
                )
            state = outcome.proof_state
        return state

    def step(self, name: str, path: Path_, state: int, tactic: str, timeout: float) -> StepOutcome:
        """Run one tactic on REPL state `state` (the state at `path`) and remember the result.

        The outcome's `tactic` is the text the path keeps: `tactic` with the answer of each
        `exact?` substituted when Lean offered one ("Try this:"), so replays and the verified
        proof never search again.
        """
        response = self._send(ProofStepRequest(proof_state=state, tactic=tactic), timeout)
        if isinstance(response, CommandResponse):
            self.kill()
            raise ProtocolError("a tactic was answered with a command response")
        if not isinstance(response, ReplError) and response.proof_status is not None:
            self._reports_status = True
        outcome = classify(response, require_status=self._reports_status)
        kept = substitute_suggestions(tactic, outcome.suggestions)
        if kept is not None and screen_tactic(kept) is not None:
            kept = None  # any message can start with "Try this:": a refused text is never resent
        kept = kept or tactic
        if kept != tactic:
            outcome = replace(outcome, tactic=kept)
        if outcome.outcome is Outcome.OPEN and outcome.proof_state is not None:
            self._states[(name, path + (kept,))] = outcome.proof_state
            self._first_limits.setdefault((name, path + (kept,)), timeout)  # only these replay
        return outcome

    def command(self, cmd: str, env: int | None, timeout: float) -> Response:
        """Run a command on `env` (None: on the header env) without touching proof states."""
        self._ensure_started()
        return self._send(CommandRequest(cmd=cmd, env=self._header_env if env is None else env), timeout)

    def request(self, request: AnyRequest, timeout: float) -> Response:
        """Send any request (pickling, unpickling) on the live process, started if need be."""
        self._ensure_started()
        return self._send(request, timeout)

    def scratch(self) -> Path:
        """The live process's writable directory (started if need be)."""
        self._ensure_started()
        assert self._proc is not None
        return self._proc.scratch

