"""The Coq backend: one long-lived coqtop serving many theorems, with replay after any fault.

Libraries are loaded once, before a `base` state; each theorem rewinds there with `BackTo` and
re-runs its header (a few milliseconds once the libraries are loaded). A proof state is its tactic
path: to run a tactic on any earlier state the env rewinds to the longest common prefix of the
current path and replays the rest, since `BackTo` only reaches ancestors of the current state. After a kill,
a crash, or when the process grows too large, a fresh coqtop is started and the path replayed.
"""

from __future__ import annotations

import logging
import math
import re
import shutil
import tempfile
import time
import weakref
from dataclasses import dataclass, replace
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
    SetupError,
    TacticFailure,
    TacticResult,
    Theorem,
    Verification,
)
from lean_env.coq import hammer, output
from lean_env.coq.assistant import DEFAULT_EXTRA_IMPORTS  # noqa: F401  (re-exported)
from lean_env.coq.declarations import declared_name
from lean_env.coq.process import CoqTop, OutOfStep, Reply, with_timeout
from lean_env.coq.sentences import SentenceError, split_sentences, split_tactic

log = logging.getLogger(__name__)

_REQUIRE = re.compile(r"^(From\s+\S+\s+)?Require\s+(?:(?:Import|Export)\s+)?(.*)$", re.S)
_PROOF_END = re.compile(r"^(Qed|Defined|Admitted|Save)\b")
# What an extra-imports sentence may be, exactly: ASCII library names and single spaces (blanks
# are collapsed by the splitter), nothing Coq could read as a second sentence or a quotation.
_LIB = r"[A-Za-z_][A-Za-z0-9_']*(?:\.[A-Za-z_][A-Za-z0-9_']*)*"
_LIBRARY_LOAD = re.compile(rf"(?:From ({_LIB}) )?Require (?:Import |Export )?({_LIB}(?: {_LIB})*)\.")
# Where extra imports may come from: the standard library, and CoqHammer's and Interval's
# tactics. A library decides how Coq reads the proof's text and what a tactic may build, so
# others are refused: Ltac2 builds terms unchecked (`Constr.Unsafe`: a fixpoint the 8.16 guard
# checker wrongly accepts, a term the VM crashes on), ssreflect changes the tactic grammar the
# screen reads.
ALLOWED_IMPORT_ROOTS = ("Coq", "Hammer", "Interval")
_REFUSED_MODULES = re.compile(r"(?:^|\.)(?:ssr\w*|AdmitAxiom|Ltac2\w*)(?:\.|$)")


@dataclass(frozen=True, slots=True)
class CoqConfig:
    coqtop: str = "coqtop"
    coqc: str = "coqc"
    tactic_timeout: float = 5.0  # default wall-clock seconds per tactic text
    command_timeout: float = 120.0  # header sentences (library loads), statements, replays
    interrupt_grace: float = 0.5  # after the limit, SIGINT; after this much more, kill
    memory_limit_mb: int | None = 4096  # RLIMIT_AS per coqtop / coqc
    recycle_rss_mb: int = 1536  # restart coqtop when it is larger than this (checked every 32 calls)
    full_goals: bool = True  # fetch hypotheses of the other goals too (`Show i.`; see `_FULL_GOALS`)
    verify_timeout: float = 120.0  # coqc wall-clock limit
    max_output_mb: int = 64  # one answer longer than this is a flood: the process is replaced
    # Library loads run after each theorem's header, for the search and in the verifier's proof
    # module only (never where the statement is elaborated): tactic libraries such as Lia/Lra that
    # most competition headers do not import. Only `Require` sentences (see `check_extra_imports`).
    extra_imports: str = ""




def check_extra_imports(text: str) -> list[str]:
    """The sentences of an extra-imports text; ValueError unless every one is a library load.

    Anything else (an `Axiom`, a `Set`, a tactic) could change what the proof module means beyond
    loading libraries, so it is refused here rather than trusted.
    """
    try:
        sentences = split_sentences(text)
    except SentenceError as exc:
        raise ValueError(f"extra imports: {exc}") from None
    for sentence in sentences:
        parts = _LIBRARY_LOAD.fullmatch(sentence)
        if parts is None or _load_form(sentence) is None:
            raise ValueError(f"extra imports may only load libraries (From X Require Import Y.), not {sentence!r}")
        root, modules = parts.group(1), parts.group(2).split()
        paths = [f"{root}.{m}" if root else m for m in modules]
        for path in paths:
            if path.split(".")[0] not in ALLOWED_IMPORT_ROOTS or _REFUSED_MODULES.search(path):
                raise ValueError(
                    f"extra imports may load only the standard library's modules (not ssreflect or "
                    f"AdmitAxiom), Hammer's or Interval's (From Coq Require Import M.), not {path!r}"
                )
    return sentences


def _remove_dirs(paths: tuple[str, ...]) -> None:
    for path in paths:
        shutil.rmtree(path, ignore_errors=True)


def _load_form(sentence: str) -> str | None:
    """`Require Import X.` -> `Require X.`: loads the library without importing its names."""
    m = _REQUIRE.match(sentence)
    if not m:
        return None
    return f"{m.group(1) or ''}Require {m.group(2)}"


# Goals fetched in full (`Show i.`) per state, and the time allowed for them, about the tactic's
# own limit: they are asked for after the tactic answered, and thousands of goals sharing a large
# hypothesis (`do 12 (assert True)` after a big `pose`) cost minutes of round trips. The others
# keep what the display shows of them (their conclusions).
_FULL_GOALS = 64

# A sentence that answered sooner than this cannot have been stopped by a timeout (Coq's are whole
# seconds), so it cannot have left a solver running: the process table is only read after slower ones.
_HELPER_CHECK_SECONDS = 0.5


def stop_helpers(top: CoqTop, reply: Reply, error: str | None) -> None:
    """Kill the solvers a sentence started and left running. A timeout that stops a tactic (Coq's
    own `Timeout`, a `timeout N` or `try (timeout N ...)` inside the text, an anomaly wrapping one)
    does not stop the program it was waiting for (psatz's csdpcert), which ran on, one more per
    call, in this long-lived coqtop."""
    if reply.interrupted or reply.seconds >= _HELPER_CHECK_SECONDS or "Timeout" in (error or ""):
        top.kill_helpers()


def _watchdog(remaining: float) -> float:
    """When to interrupt coqtop ourselves if Coq's own `Timeout N` (N = ceil) has not answered.

    The two must not fire together: a SIGINT that lands while Coq handles its own timeout kills
    coqtop ("Fatal error: exception Control.Timeout"). So the watchdog fires just after the limit
    when Coq's timer is far later (fractional limits), and otherwise 0.3 s after Coq's timer.
    """
    coq_timer = max(1, math.ceil(remaining))
    return remaining + 0.1 if coq_timer - remaining > 0.4 else coq_timer + 0.3


class CoqEnv:
    """`ProofEnv` for Coq 8.16 over `coqtop -emacs`."""

    backend = "coq"

    def __init__(self, config: CoqConfig | None = None) -> None:
        self.config = config or CoqConfig()
        if shutil.which(self.config.coqtop) is None:
            raise SetupError(
                f"{self.config.coqtop!r} not found: install Coq 8.16 (apt-get install -y coq)"
            )
        self._scratch = tempfile.mkdtemp(prefix="prover-coq-")  # lia caches and the like land here
        self._top: CoqTop | None = None
        self._base_id = self._initial_id = 0
        self._loaded: list[str] = []  # library load sentences run before the base state
        self._theorem: Theorem | None = None
        self._header: list[str] = []
        self._extra = check_extra_imports(self.config.extra_imports)
        # What the verifier writes into the proof module is the checked sentences, never the
        # raw text: nothing the splitter read differently from Coq can ride along.
        self.config = replace(self.config, extra_imports="\n".join(self._extra))
        self._root: ProofState | None = None
        self._chain: list[tuple[tuple[str, ...], int]] = []  # (path, state id) along the current path
        self._restarts = 0
        self._replayed = 0
        self._busy_before = 0.0  # busy time of processes already gone
        self._requests_before = 0
        self._calls = 0
        self._verifier = None  # created on first use: it caches compiled statements
        # The verifier's files live apart: the live coqtop may write its scratch, never them.
        self._verify_scratch = tempfile.mkdtemp(prefix="prover-verify-")
        self._finalizer = weakref.finalize(self, _remove_dirs, (self._scratch, self._verify_scratch))

    # -- process lifecycle -------------------------------------------------------------------

    def _start(self) -> CoqTop:
        top = CoqTop(self.config.coqtop, self._scratch, self.config.memory_limit_mb, self.config.max_output_mb)
        reply = top.send("Set Printing Width 1000.", self.config.command_timeout)
        self._initial_id = reply.state_id  # before any library
        for sentence in self._loaded:
            reply = top.send(sentence, self.config.command_timeout)
            if output.parse_output(reply.output).error:
                raise EnvCrashed(f"reloading {sentence!r} failed after a restart")
        self._base_id = reply.state_id
        return top

    def _kill(self) -> None:
        if self._top is not None:
            self._busy_before += self._top.busy_seconds
            self._requests_before += self._top.requests
            self._top.kill()
            self._top = None

    def _ensure_process(self) -> CoqTop:
        """A live coqtop positioned somewhere in the current theorem (restarting if needed)."""
        if self._top is not None:
            return self._top  # a dead one is noticed on use (EnvCrashed) and replaced then
        restarted = self._top is not None or self._theorem is not None
        self._kill()
        self._top = self._start()
        if restarted:
            self._restarts += 1
            log.info("coqtop restarted (%d restarts so far)", self._restarts)
        if self._theorem is not None:
            self._enter_theorem(self._top, self._theorem)
        return self._top

    def _maybe_recycle(self) -> None:
        self._calls += 1
        if self._top is not None and self._calls % 32 == 0:
            if self._top.rss_bytes() > self.config.recycle_rss_mb * 2**20:
                log.info("coqtop above %d MiB: recycling", self.config.recycle_rss_mb)
                self._kill()

    # -- theorems ----------------------------------------------------------------------------

    def open(self, theorem: Theorem) -> ProofState:
        try:
            header = split_sentences(theorem.header)
            statement = split_sentences(theorem.statement)
        except SentenceError as exc:
            raise BadTheorem(f"{theorem.name}: {exc}") from None
        if len(statement) != 1:
            raise BadTheorem(f"{theorem.name}: the statement must be exactly one sentence")
        if declared_name(statement[0]) != theorem.name:
            raise BadTheorem(
                f"{theorem.name}: the statement must declare a theorem (Theorem, Lemma, ...) named {theorem.name!r}"
            )
        self._theorem = None
        self._root = None
        if self._top is not None and self._top.rss_bytes() > self.config.recycle_rss_mb * 2**20:
            self._kill()
        top = self._ensure_process()
        # The extra imports come after the header's own (the verifier's order). Their libraries are
        # loaded once per process with the header's, unless the header proves lemmas of its own
        # (a development's earlier theorems): a library loaded before those proofs lends them its
        # global hints, and an `auto` that closed one goal in the file then closes two here.
        self._header = header + self._extra
        proves = any(_PROOF_END.match(sentence) for sentence in header)
        self._load_libraries(top, header if proves else self._header)
        self._root = self._enter_theorem(top, theorem)
        self._theorem = theorem
        return self._root

    def _load_libraries(self, top: CoqTop, header: list[str]) -> None:
        """Make the libraries loaded before the base state exactly the header's.

        Loading once per process and keeping it is cheap, but a library a previous theorem loaded
        (its hints, instances, lemmas) would then serve this one too: live results would depend on
        the order of theorems and disagree with the verifier, which loads only the header. So
        missing libraries are loaded on top, and when a loaded one is not in the header the
        process rewinds to before any library and loads the header's alone.
        """
        wanted = list(dict.fromkeys(load for load in map(_load_form, header) if load is not None))
        if not set(self._loaded) <= set(wanted):
            top.back_to(self._initial_id)
            self._loaded, self._base_id = [], self._initial_id
        for load in wanted:
            if load in self._loaded:
                continue
            top.back_to(self._base_id)
            reply = top.send(load, self.config.command_timeout)
            error = output.parse_output(reply.output).error
            if error:
                top.back_to(self._base_id)
                raise BadTheorem(f"header: {load!r}: {error}")
            self._loaded.append(load)
            self._base_id = reply.state_id

    def _enter_theorem(self, top: CoqTop, theorem: Theorem) -> ProofState:
        """Rewind to base, run the header and the statement; return the root state."""
        top.back_to(self._base_id)
        for sentence in self._header:
            reply = top.send(sentence, self.config.command_timeout)
            error = output.parse_output(reply.output).error
            if error:
                top.back_to(self._base_id)
                raise BadTheorem(f"header: {sentence[:80]!r}: {error}")
        try:
            reply = top.send(theorem.statement.strip(), self.config.command_timeout, fenced=True)
        except OutOfStep as exc:
            self._kill()
            raise BadTheorem(f"{theorem.name}: Coq does not read the statement as one sentence: {exc}") from None
        parsed = output.parse_output(reply.output)
        if parsed.error or reply.proof_name == "Coq":
            top.back_to(self._base_id)
            raise BadTheorem(f"{theorem.name}: statement does not elaborate: {parsed.error or 'no proof opened'}")
        self._chain = [((), reply.state_id)]
        root = self._state(top, theorem.name, (), reply, parsed, self.config.command_timeout)
        return root

    def _state(
        self, top: CoqTop, name: str, path: tuple[str, ...], reply: Reply, parsed: output.Parsed, budget: float
    ) -> ProofState:
        goals = parsed.goals  # lazy: a single goal's display is its whole content
        if self.config.full_goals and parsed.count > 1:
            # Coq prints hypotheses only for the first goal: ask for the others, within `budget`
            # seconds and `_FULL_GOALS`. The count is not always Coq's (a goal can print text a
            # step computed, "100000 goals" too): no more than the display lists, and none after
            # the first goal Coq does not show.
            full = [goals[0]]
            deadline = time.monotonic() + budget
            for i in range(2, min(parsed.count, len(goals), _FULL_GOALS) + 1):
                if time.monotonic() > deadline:
                    break
                shown = output.parse_shown_goal(top.send(f"Show {i}.", self.config.command_timeout).output)
                if shown is None:
                    break
                full.append(shown)
            goals = tuple(full) + tuple(goals[len(full) :])
        note = " ".join(n for n in parsed.notes if "unfocused" in n or "shelf" in n)
        return ProofState(theorem=name, path=path, goals=goals, pretty=parsed.display, note=note)

    # -- tactics -----------------------------------------------------------------------------

    def screen(self, tactic: str) -> str | None:
        return split_tactic(tactic)[1]

    def _goto(self, top: CoqTop, path: tuple[str, ...]) -> None:
        """Make `path` the current state: rewind to the longest common prefix, replay the rest."""
        k = 0
        while k + 1 < len(self._chain) and k < len(path) and self._chain[k + 1][0] == path[: k + 1]:
            k += 1
        if k + 1 < len(self._chain) or top.state_id != self._chain[k][1]:
            top.back_to(self._chain[k][1])
            del self._chain[k + 1 :]
        for i in range(k, len(path)):
            sentences, reason = split_tactic(path[i])
            if reason:
                raise EnvError(f"cannot replay {path[i]!r}: {reason}")
            for sentence in sentences:
                # Replays get twice the budget: a tactic that just fitted may be slower now.
                reply = top.send(
                    with_timeout(sentence, 2 * self.config.tactic_timeout),
                    2 * self.config.tactic_timeout + 1,
                    fenced=True,
                )
                error = output.parse_output(reply.output).error
                stop_helpers(top, reply, error)
                if error or reply.interrupted:
                    raise EnvError(f"replay of {path[i]!r} failed: {error or 'interrupted'}")
            self._replayed += 1
            self._chain.append((path[: i + 1], top.state_id))

    def run_tactic(self, state: ProofState, tactic: str, timeout: float | None = None) -> TacticResult:
        if self._theorem is None or state.theorem != self._theorem.name:
            raise EnvError(f"state of {state.theorem!r} does not belong to the open theorem")
        sentences, reason = split_tactic(tactic)
        if reason:
            return TacticFailure(FailureKind.REJECTED, reason)
        limit = self.config.tactic_timeout if timeout is None else timeout
        self._maybe_recycle()
        for attempt in (1, 2):
            try:
                return self._run(state, tactic, sentences, limit)
            except EnvTimeout as exc:
                self._kill()  # the process was killed: restart lazily on the next call
                return TacticFailure(FailureKind.TIMEOUT, str(exc))
            except EnvCrashed as exc:
                if "Control.Timeout" in str(exc):  # Coq's own timer fired as it was interrupted
                    self._kill()
                    return TacticFailure(FailureKind.TIMEOUT, f"tactic ran past {limit:.1f} s")
                log.warning("coqtop crashed on %r (attempt %d): %s", tactic, attempt, exc)
                self._kill()
                if attempt == 2:
                    return TacticFailure(FailureKind.CRASHED, f"coqtop died twice on this tactic: {exc}")
            except OutOfStep as exc:
                # Coq read the text as other sentences than the screen did: it ran something the
                # screen did not pass. Refuse it; a fresh process replays the path on the next call.
                log.warning("coqtop out of step on %r: %s", tactic, exc)
                self._kill()
                return TacticFailure(FailureKind.REJECTED, f"out of step: {exc}")
            except ProtocolError as exc:  # e.g. a flood of output: the stream is unusable
                self._kill()
                return TacticFailure(FailureKind.ERROR, str(exc))
            except EnvError as exc:
                return TacticFailure(FailureKind.ERROR, str(exc))
        raise AssertionError("unreachable")

    def _run(self, state: ProofState, tactic: str, sentences: Sequence[str], limit: float) -> TacticResult:
        top = self._ensure_process()
        self._goto(top, state.path)
        node_id = top.state_id
        deadline = time.monotonic() + limit
        last: output.Parsed | None = None
        last_reply: Reply | None = None
        if any(hammer.mentions_hammer(s) and not hammer.is_hammer_sentence(s) for s in sentences):
            return TacticFailure(FailureKind.REJECTED, "hammer must be a sentence of its own (its reconstruction is recorded)")
        recorded: list[str] = []  # the sentences the path keeps: hammer's replacement instead of hammer
        for sentence in sentences:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                top.back_to(node_id)
                return TacticFailure(FailureKind.TIMEOUT, f"tactic ran past {limit:.1f} s")
            reply = top.send(
                with_timeout(sentence, remaining), _watchdog(remaining), self.config.interrupt_grace, fenced=True
            )
            parsed = output.parse_output(reply.output)
            stop_helpers(top, reply, parsed.error)
            if reply.interrupted or (parsed.error and parsed.error.startswith("Timeout")):
                top.back_to(node_id)
                return TacticFailure(FailureKind.TIMEOUT, f"tactic ran past {limit:.1f} s")
            if parsed.error:
                if parsed.error.startswith(("Out of memory", "Stack overflow")):
                    self._kill()  # the heap stays bloated: start afresh on the next call
                else:
                    top.back_to(node_id)
                return TacticFailure(FailureKind.ERROR, parsed.error)
            if hammer.is_hammer_sentence(sentence):
                sentence = hammer.replacement(sentence, parsed.notes) or ""
                if not sentence or split_tactic(sentence)[1]:
                    top.back_to(node_id)
                    return TacticFailure(FailureKind.ERROR, "hammer printed no usable reconstruction")
            recorded.append(sentence)
            if parsed.status != "empty":
                last, last_reply = parsed, reply
        path = state.path + (tactic if recorded == list(sentences) else " ".join(recorded),)
        if last is None or (last.status == "goals" and not last.count):
            # Nothing printed: either nothing changed, or coqtop skipped the display, which it
            # does for the first command after a `BackTo` to a state whose child was displayed
            # last. Ask for the goals; an unchanged state is then caught by its key below. Only
            # messages and no display is the same case: Coq prints its own notes ("This subproof
            # is complete, ...") with a display, and `idtac "No more goals."` prints one like them.
            shown = top.send("Show.", self.config.command_timeout)
            parsed = output.parse_output(shown.output)
            if parsed.error is None and parsed.status != "empty":
                last, last_reply = parsed, shown
        if last is not None and last.status == "proved":
            # Confirmed by Coq's own `Show.`: with a header that imports Coq.Strings.String a
            # tactic prints computed text, a line "No more goals." outside the message tags too.
            # A state with goals always shows a goal count first, which printed text cannot undo.
            shown = top.send("Show.", self.config.command_timeout)
            confirmed = output.parse_output(shown.output)
            if confirmed.status != "proved":
                real = confirmed.status == "goals" and confirmed.count
                last, last_reply = (confirmed, shown) if real else (None, None)
        if last is None or last_reply is None:
            top.back_to(node_id)
            return TacticFailure(FailureKind.NO_PROGRESS, "the tactic changed nothing")
        if last.status == "gave_up":
            top.back_to(node_id)
            return TacticFailure(FailureKind.GAVE_UP, "goals were given up")
        self._chain.append((path, top.state_id))
        if last.status == "proved":
            return Proved(path)
        new = self._state(top, state.theorem, path, last_reply, last, limit)
        if new.key == state.key:
            return TacticFailure(FailureKind.NO_PROGRESS, "the state is unchanged")
        return Advanced(new)

    # -- verification and bookkeeping --------------------------------------------------------

    def verify(self, theorem: Theorem, proof: Sequence[str]) -> Verification:
        from lean_env.coq.verify import CoqVerifier

        if self._verifier is None:
            self._verifier = CoqVerifier(self.config, self._verify_scratch)
        return self._verifier.verify(theorem, proof)

    def stats(self) -> EnvStats:
        busy = self._busy_before + (self._top.busy_seconds if self._top else 0.0)
        requests = self._requests_before + (self._top.requests if self._top else 0)
        return EnvStats(busy, requests, self._restarts, self._replayed)

    @property
    def pid(self) -> int | None:
        """The current coqtop's pid (fault tests kill it from outside)."""
        return self._top.child.pid if self._top else None

    def close(self) -> None:
        self._kill()
        self._finalizer()

    def __enter__(self) -> "CoqEnv":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
