"""`LeanEnv`: the ProofEnv protocol over leanprover-community/repl, with restart and replay.

Processes are pooled per header (imports run once per process). A tactic that times out gets
the process group killed and the node rebuilt on a fresh process; a crash, garbage output or an
id the REPL no longer knows ("Unknown proof state") is retried once on a fresh process (a crash
at most once in CRASH_RETRY_EVERY requests), and a second death blames the tactic. A heartbeat
error is retried once on a fresh process (an old one may have used its heartbeats up), at most
once in HEARTBEAT_RETRY_EVERY requests. Replays run under a multiple of each tactic's first
limit, and a path that cannot be replayed fails that one node as a value.
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import asdict

from lean_env.base import (
    Advanced,
    BadTheorem,
    EnvCrashed,
    EnvError,
    EnvStats,
    EnvTimeout,
    FailureKind,
    ProofState,
    Proved,
    SetupError,
    TacticFailure,
    TacticResult,
    Theorem,
    Verification,
)
from lean_env.lean_repl.config import LeanConfig
from lean_env.lean_repl.goals import parse_goals, pretty
from lean_env.lean_repl.protocol import Outcome, ProofStepRequest, StepOutcome, encode
from lean_env.lean_repl.screen import screen_tactic
from lean_env.lean_repl.verify import verify_proof
from lean_env.lean_repl.header_repl import Counters, Desync, HeaderRepl, ReplayDiverged
from lean_env.sandbox import sandbox_enabled, sandbox_status

log = logging.getLogger(__name__)

_FAILURE = {Outcome.ERROR: FailureKind.ERROR, Outcome.GAVE_UP: FailureKind.GAVE_UP}
# A heartbeat error costs a fresh process (and the replay of the path) at most once in this many
# requests: any tactic can print that message (`fail "maximum number of heartbeats"`), and
# heartbeats that pile up in an old process do not pile up again in a fresh one that soon.
HEARTBEAT_RETRY_EVERY = 200
# Likewise a tactic that breaks the process (a crash, a response past the size cap: `iterate`
# over `trace` floods one at will) costs that process; the retry on a fresh one, a second, is
# taken at most once in this many requests.
CRASH_RETRY_EVERY = 200


def replays_pickles(config: LeanConfig) -> bool | None:
    """Whether the workspace's REPL replays a loaded pickle through the kernel (Lean before 4.30;
    the pinned one is 4.24), or None when its toolchain file says no version."""
    try:
        toolchain = (config.project_dir / "lean-toolchain").read_text(encoding="utf-8")
    except OSError:
        return None
    found = re.search(r"v4\.(\d+)\.", toolchain)
    return None if found is None else int(found.group(1)) < 30


class LeanEnv:
    """Lean 4 through the REPL. Single-threaded, like every ProofEnv."""

    backend = "lean"

    def __init__(self, config: LeanConfig | None = None) -> None:
        self.config = config or LeanConfig()
        self._counters = Counters()
        self._pool: OrderedDict[str, HeaderRepl] = OrderedDict()  # header -> its REPL, LRU first
        # Verification's two processes, never used for search: the verifier compiles a found proof
        # on a clean header env; the checker only loads what it compiled and judges it.
        self._verifier: HeaderRepl | None = None
        self._checker: HeaderRepl | None = None
        self._verified = 0  # proofs checked by the current pair
        self._theorems: dict[str, Theorem] = {}
        self._unreplayable: set[tuple[str, tuple[str, ...]]] = set()  # (theorem, path) lost for good
        self._closed = False
        self._heartbeat_retry_at = -HEARTBEAT_RETRY_EVERY  # requests made when the last one was taken
        self._crash_retry_at = -CRASH_RETRY_EVERY

    # -- ProofEnv

    def open(self, theorem: Theorem) -> ProofState:
        if self._closed:
            raise EnvCrashed("LeanEnv is closed")
        if theorem.backend != "lean":
            raise BadTheorem(f"{theorem.name} is written for {theorem.backend!r}, not Lean")
        previous = self._theorems.get(theorem.name)
        if previous is not None and previous != theorem:
            for repl in self._pool.values():
                repl.forget(theorem.name)
            self._unreplayable = {k for k in self._unreplayable if k[0] != theorem.name}
        for attempt in range(2):
            repl = self._repl_for(theorem.header)
            try:
                _, goal = repl.open(theorem)
                break
            except SetupError:
                raise
            except EnvError as e:  # a desync or a death while elaborating: once more, fresh
                repl.kill()
                if attempt:
                    raise
                log.warning("opening %s failed, retrying on a fresh process: %s", theorem.name, e)
        self._theorems[theorem.name] = theorem
        goals = (goal,)
        return ProofState(theorem.name, (), parse_goals(goals), pretty(goals))

    def run_tactic(self, state: ProofState, tactic: str, timeout: float | None = None) -> TacticResult:
        why = self.screen(tactic)
        if why is None:
            why = _unsendable(tactic)
        if why is not None:
            return TacticFailure(FailureKind.REJECTED, why)
        theorem = self._theorems.get(state.theorem)
        if theorem is None:
            raise ValueError(f"theorem {state.theorem!r} was not opened in this env")
        if any((state.theorem, state.path[:k]) in self._unreplayable for k in range(len(state.path) + 1)):
            return TacticFailure(FailureKind.CRASHED, "the path to this state could not be replayed before")
        limit = self.config.tactic_timeout if timeout is None else timeout
        last: EnvError | None = None
        on_tactic = False  # whether the last fault hit the tactic itself (or the rebuild)
        faults = 0
        fresh_for_heartbeats = False  # one retry on a fresh process after a heartbeat error
        while faults < 2:
            repl = self._repl_for(theorem.header)
            try:
                repl_state = repl.rebuild(theorem, state.path)
            except ReplayDiverged as e:
                return TacticFailure(FailureKind.ERROR, f"cannot rebuild this state: {e}")
            except SetupError:
                raise
            except (EnvError, BadTheorem) as e:  # the process broke while rebuilding: once more, fresh
                log.warning("rebuilding %s failed: %s", state.theorem, e)
                last, on_tactic = e, False  # type: ignore[assignment]
                faults += 1
                repl.kill()
                continue
            try:
                outcome = repl.step(theorem.name, state.path, repl_state, tactic, limit)
            except EnvTimeout:
                self._counters.timeouts += 1
                self._recover(repl, theorem, state)
                return TacticFailure(FailureKind.TIMEOUT, f"no answer within {limit:.3g}s")
            except EnvError as e:
                last, on_tactic = e, True
                faults += 1
                log.warning("REPL broke on %r: %s", tactic, e)
                if isinstance(e, Desync):  # our ids, not the tactic: always worth a fresh try
                    continue
                self._counters.crashes += 1
                if self._counters.requests - self._crash_retry_at < CRASH_RETRY_EVERY:
                    break  # a retry was taken lately: this tactic is blamed at once
                self._crash_retry_at = self._counters.requests
                continue
            recent = self._counters.requests - self._heartbeat_retry_at < HEARTBEAT_RETRY_EVERY
            if outcome.out_of_heartbeats and not fresh_for_heartbeats and not recent:
                # Heartbeats are not reset between proof steps in every REPL (repl #69): an old
                # process can run out on a cheap tactic. Only a fresh process can blame it.
                fresh_for_heartbeats = True
                self._heartbeat_retry_at = self._counters.requests
                self._counters.heartbeat_retries += 1
                repl.kill()
                continue
            return self._result(state, tactic, outcome)
        if on_tactic:
            return TacticFailure(FailureKind.CRASHED, f"the REPL broke on this tactic ({faults}x): {last}")
        # A value, never an exception: the search loses this node (and what lies below it, at
        # once from now on), not the theorem.
        self._unreplayable.add((state.theorem, state.path))
        return TacticFailure(FailureKind.CRASHED, f"cannot replay the path to this state: {last}")

    def screen(self, tactic: str) -> str | None:
        return screen_tactic(tactic, self.config.max_heartbeats)

    def verify(self, theorem: Theorem, proof: Sequence[str]) -> Verification:
        original = self._theorems.get(theorem.name)
        if original is not None and original.statement != theorem.statement:
            return Verification(False, "the statement differs from the one that was searched", "")
        cfg = self.config
        if self._verifier is None or self._checker is None or self._verifier.header != theorem.header:
            if self._verifier is None and not sandbox_enabled():
                log.warning("sandbox %s: the verifier's compiling and checking processes can read "
                            "and write each other's files", sandbox_status())
            if self._verifier is None and replays_pickles(cfg) is False:
                log.warning("this REPL's Lean (4.30 or later) loads pickles without replaying them "
                            "through the kernel: the checking process trusts what the compiling one wrote")
            self._close_verifiers()
            self._verifier = HeaderRepl(cfg, theorem.header, self._counters, spare=False, recycle=False)
            # Each loaded pickle imports the header's modules once more (Mathlib's oleans mapped
            # again), so a checker process serves one proof; its warm spare hides the import.
            self._checker = HeaderRepl(cfg, theorem.header, self._counters, spare=True, recycle=False)
            self._verified = 0
        self._verified += 1
        try:
            return verify_proof(
                self._verifier, self._checker, theorem, proof, cfg.max_heartbeats, cfg.verify_timeout
            )
        finally:
            self._checker.retire()
            if self._verified >= cfg.verifier_recycle_after:
                self._verifier.retire()
                self._verified = 0

    def _close_verifiers(self) -> None:
        for repl in (self._verifier, self._checker):
            if repl is not None:
                repl.close()
        self._verifier = self._checker = None

    def stats(self) -> EnvStats:
        c = self._counters
        extra = {k: v for k, v in asdict(c).items() if k not in {
            "assistant_seconds", "requests", "restarts", "replayed_tactics"}}
        extra["live_processes"] = sum(1 for w in self._pool.values() if w.pid is not None)
        return EnvStats(c.assistant_seconds, c.requests, c.restarts, c.replayed_tactics, extra)

    def close(self) -> None:
        for repl in self._pool.values():
            repl.close()
        self._pool.clear()
        self._close_verifiers()
        self._closed = True

    def __enter__(self) -> LeanEnv:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- whole-proof sampling (a separate entry point: best-first search never calls it)

    def check_proof(self, theorem: Theorem, proof: str, timeout: float | None = None) -> TacticResult:
        """First-stage check of a whole sampled proof: the proof as ONE tactic block (`focus` +
        `skip` + its lines, as the verifier writes it) on the theorem's root state, in tactic mode
        on the warm pooled process.

        Never in command mode: the REPL parses a tactic step whole, to the end of the text, before
        it runs anything, so text that would end the block and go on with commands (which Lean
        runs even after a parse error) fails here unrun. Proved when the block closes the goal;
        a failure value otherwise; `Advanced` when goals are left. Not a certificate (axioms are
        not audited here): only `verify` decides."""
        why = self.screen(proof)
        if why is not None:
            return TacticFailure(FailureKind.REJECTED, why)
        from lean_env.lean_repl.verify import tactic_block

        block = tactic_block((proof,))
        result = self.run_tactic(self.open(theorem), block, timeout)
        if isinstance(result, Proved):
            # The sample as written (`verify` wraps it the same way), with each `exact?` replaced
            # by the tactic Lean offered for it, as a search's path keeps it: the block's lines
            # less its first two and the indent it put before each line.
            kept = result.proof[-1]
            if kept != block and kept.startswith(_WRAPPER):
                lines = kept[len(_WRAPPER):].split("\n")
                if all(line.startswith("  ") or not line for line in lines):
                    return Proved(("\n".join(line[2:] for line in lines),))
            return Proved((proof,))
        return result

    # -- internals

    def _repl_for(self, header: str) -> HeaderRepl:
        repl = self._pool.get(header)
        if repl is not None:
            self._pool.move_to_end(header)
            return repl
        while len(self._pool) >= max(1, self.config.pool_size):
            _, evicted = self._pool.popitem(last=False)
            evicted.close()  # its theorems replay on demand if they come back
            self._counters.evictions += 1
        repl = HeaderRepl(self.config, header, self._counters)
        self._pool[header] = repl
        return repl

    def _recover(self, repl: HeaderRepl, theorem: Theorem, state: ProofState) -> None:
        """After a kill, rebuild the node at once so its siblings find a warm process."""
        try:
            repl.rebuild(theorem, state.path)
        except (EnvError, ReplayDiverged, BadTheorem) as e:
            log.warning("recovery of %s after a timeout failed: %s", state.theorem, e)
            repl.kill()

    def _result(self, state: ProofState, tactic: str, outcome: StepOutcome) -> TacticResult:
        kept = outcome.tactic or tactic  # `exact?` already replaced by what it found
        if outcome.outcome is Outcome.PROVED:
            return Proved(state.path + (kept,))
        if outcome.outcome is not Outcome.OPEN:
            return TacticFailure(_FAILURE[outcome.outcome], outcome.message)
        text = pretty(outcome.goals)
        if text == state.pretty:
            return TacticFailure(FailureKind.NO_PROGRESS, "the goals are unchanged")
        return Advanced(ProofState(state.theorem, state.path + (kept,), parse_goals(outcome.goals), text))



_WRAPPER = "focus\n  skip\n"  # what `tactic_block` puts before a sample's lines


def _unsendable(tactic: str) -> str | None:
    """Why the REPL could not parse a request carrying `tactic` (it would exit), or None."""
    try:
        encode(ProofStepRequest(proof_state=0, tactic=tactic))
    except ValueError as e:  # pydantic's ValidationError and InvalidRequest
        return f"cannot be sent to the REPL: {str(e).splitlines()[0]}"
    return None
