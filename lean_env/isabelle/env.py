"""The Isabelle backend over `isabelle server`: whole-theory checks with positioned messages.

The server has no per-step proof-state API (it only checks whole theories), so every request writes
one theory file (`<fresh name>.thy` under a local master folder), checks it with `use_theories`, reads
the messages by line and purges it. `verify` builds the theory from the original imports and
statement plus the screened proof and requires a clean check, in a session of its own that never
saw the search's candidates (the search's session ran every one of them). Tactic search works on top of that
(each step re-checks the theory), but Isabelle's main use here is the informal pipeline, whose holes
are filled by a hammer portfolio (lean_env/isabelle/sketch.py).
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import time
import uuid
import weakref
from collections.abc import Sequence
import os
from dataclasses import dataclass, field
from pathlib import Path

from lean_env.base import (
    Advanced,
    BadTheorem,
    EnvError,
    EnvStats,
    EnvTimeout,
    FailureKind,
    Goal,
    ProofState,
    ProtocolError,
    Proved,
    TacticFailure,
    TacticResult,
    Theorem,
    Verification,
)
from lean_env.isabelle.client import EXECUTABLE_VARIABLE, IsabelleClient, IsabelleServer
from lean_env.isabelle.protocol import Message, Session, TheoryResult
from lean_env.isabelle.screen import ascii_cartouches, screen_proof, screen_tactic

log = logging.getLogger(__name__)
_SHOWS = re.compile(r'shows\s+(?:\w+\s*:\s*)?"(.*)"\s*$', re.DOTALL)
_THEOREM_NAME = re.compile(r"^\s*(?:theorem|lemma|corollary|proposition)\s+([A-Za-z][\w'.]*)\s*(?:\[[^\]]*\]\s*)?:")
ORACLE_CHECK_ERROR = "prover: the proved theorem depends on an oracle (a skipped proof, or trusted code)"


def theorem_name(statement: str) -> str | None:
    """The name a `theorem NAME:` statement declares, or None."""
    found = _THEOREM_NAME.match(statement)
    return found.group(1) if found else None


def oracle_check(name: str) -> str:
    """The verifier's last line: an error unless the theorem's derivation uses no oracle at all.

    Over `isabelle server` a `sorry` is no error (PIDE runs commands interactively, where cheating
    is allowed); it leaves the `skip_proof` oracle in the theorem's derivation, as do the methods
    that trust generated code. Thm_Deps.all_oracles collects them through every theorem used."""
    return (f"ML_val \\<open>if null (Thm_Deps.all_oracles @{{thms {name}}}) then () "
            f"else error \"{ORACLE_CHECK_ERROR}\"\\<close>")


@dataclass(frozen=True, slots=True)
class IsabelleConfig:
    # the isabelle executable: $PROVER_ISABELLE (set by the CLI's --isabelle) or `isabelle` on PATH
    isabelle: str = field(default_factory=lambda: os.environ.get(EXECUTABLE_VARIABLE) or "isabelle")
    session: str = "HOL"  # logic image; miniF2F needs HOL plus Complex_Main (a custom image is faster)
    session_dirs: tuple[str, ...] = ()  # extra session directories (AFP, a prebuilt miniF2F image)
    tactic_timeout: float = 30.0  # seconds per checked theory in tactic search
    verify_timeout: float = 300.0
    session_timeout: float = 1200.0  # building or loading the session image
    server: tuple[str, int, str] | None = None  # (host, port, password) of a running server to use
    # verify in a session of its own, started for the one proof and stopped after: the search's
    # session has run every candidate's text, and ML that got past the screen there could have
    # rebound what the verifier's oracle check calls (a few seconds per verified proof)
    fresh_verify_session: bool = True


def imports_of(header: str) -> str:
    """The `imports` list of a theorem's header; quoted when an entry holds a dash or dot path."""
    text = header.strip()
    text = re.sub(r"^theory\s+\S+\s+", "", text)
    text = re.sub(r"^imports\s+", "", text)
    text = re.sub(r"\s+begin\s*$", "", text)
    names = re.findall(r'"[^"]*"|\S+', text) or ["Main"]
    return " ".join(n if n.startswith('"') or not re.search(r"[-]", n) else f'"{n}"' for n in names)


def theory_text(name: str, theorem: Theorem, proof: str) -> str:
    """The checked file: imports and statement from the theorem, then the proof text."""
    return (
        f"theory {name}\n  imports {imports_of(theorem.header)}\nbegin\n\n"
        f"{theorem.statement.strip()}\n{ascii_cartouches(proof).rstrip()}\n\nend\n"
    )


def proof_start_line(theorem: Theorem) -> int:
    """1-based line of the theory at which the proof text begins (see `theory_text`)."""
    return 5 + theorem.statement.strip().count("\n") + 1


class RefusedProof(ValueError):
    """Proof text the screen refuses, caught at the last step before it would be sent."""


def first_error(result: TheoryResult) -> Message | None:
    errors = result.error_messages()
    return errors[0] if errors else None


class IsabelleEnv:
    """`ProofEnv` for Isabelle/HOL over `isabelle server`. Raises SetupError when not installed."""

    backend = "isabelle"

    def __init__(self, config: IsabelleConfig | None = None, client: IsabelleClient | None = None) -> None:
        self.config = config or IsabelleConfig()
        self._server: IsabelleServer | None = None
        if client is None:
            if self.config.server is not None:
                host, port, password = self.config.server
                client = IsabelleClient(host, port, password)
            else:
                self._server = IsabelleServer(self.config.isabelle)  # SetupError when absent
                client = self._server.connect()
        self.client = client
        self._session: Session | None = None
        self._master = tempfile.mkdtemp(prefix="prover-isabelle-")
        self._theorem: Theorem | None = None
        self._busy = 0.0
        self._requests = 0
        self._finalizer = weakref.finalize(self, shutil.rmtree, self._master, True)

    # -- theories -----------------------------------------------------------------------------

    def session(self) -> Session:
        if self._session is None:
            self._session = self.client.session_start(
                self.config.session, self.config.session_dirs, timeout=self.config.session_timeout
            )
        return self._session

    def check(
        self, theorem: Theorem, proof: str, timeout: float | None = None, audit: str | None = None,
        holes: frozenset[str] = frozenset(), session: Session | None = None,
    ) -> tuple[str, TheoryResult]:
        """Check `theorem` with `proof` as one fresh theory; return its text and the result.

        `proof` is screened here, whole, whoever built it: pieces screened one by one can still
        combine into text the screen would refuse. `holes`: the hole words it may hold (`sorry`
        while a sketch's holes are open). `audit`: the name of a theorem whose oracles the last
        line checks (`oracle_check`), by its name qualified with the theory's, which nothing local
        to the proof text can shadow. `session`: where to check (default: the search's session).
        Raises RefusedProof when the screen refuses `proof`, EnvTimeout past `timeout` (the task
        is cancelled) and EnvError when the server breaks.
        """
        reason = screen_proof(proof, allow=holes, start=True)
        if reason:
            raise RefusedProof(reason)
        session = session or self.session()
        name = f"P_{uuid.uuid4().hex[:12]}"
        if audit is not None:
            proof = f"{proof}\n\n{oracle_check(f'{name}.{audit}')}"
        text = theory_text(name, theorem, proof)
        Path(self._master, f"{name}.thy").write_text(text, encoding="utf-8")
        start = time.monotonic()
        try:
            result = self.client.use_theories(
                session.session_id, [name], self._master, timeout or self.config.tactic_timeout
            )
        finally:
            self._busy += time.monotonic() - start
            self._requests += 1
            try:
                self.client.purge_theories(session.session_id, [name], self._master)
            except EnvError as exc:
                log.debug("purge_theories failed: %s", exc)
            Path(self._master, f"{name}.thy").unlink(missing_ok=True)
        # The answer must be about this theory (its name is fresh): an answer read out of turn
        # would give the check another theory's verdict.
        if not any(n.theory_name.rsplit(".", 1)[-1] == name or Path(n.node_name).stem == name for n in result.nodes):
            raise ProtocolError(f"use_theories answered without the theory checked ({name})")
        return text, result

    # -- ProofEnv -----------------------------------------------------------------------------

    def open(self, theorem: Theorem) -> ProofState:
        _, result = self.check(theorem, "sorry", self.config.verify_timeout, holes=frozenset({"sorry"}))
        error = first_error(result)
        if error is not None:
            raise BadTheorem(f"{theorem.name}: statement does not elaborate: {error.text[:300]}")
        self._theorem = theorem
        m = _SHOWS.search(theorem.statement.strip())
        goal = Goal((), m.group(1) if m else theorem.statement.strip())
        return ProofState(theorem.name, (), (goal,), theorem.statement.strip())

    def screen(self, tactic: str) -> str | None:
        return screen_tactic(tactic)

    def run_tactic(self, state: ProofState, tactic: str, timeout: float | None = None) -> TacticResult:
        """Check the path plus `tactic` as a whole theory. Errors on the tactic's own lines fail it;
        a clean check proves the theorem; an error only after it (the proof is unfinished)
        advances, the goal text being that error message."""
        if self._theorem is None or state.theorem != self._theorem.name:
            raise EnvError(f"state of {state.theorem!r} does not belong to the open theorem")
        reason = screen_proof(tactic, start=not state.path)
        if reason:
            return TacticFailure(FailureKind.REJECTED, reason)
        path = state.path + (tactic,)
        body = "\n".join(path)
        try:
            _, result = self.check(self._theorem, body, timeout)
        except RefusedProof as exc:  # the path and the tactic together
            return TacticFailure(FailureKind.REJECTED, str(exc))
        except EnvTimeout as exc:
            return TacticFailure(FailureKind.TIMEOUT, str(exc))
        error = first_error(result)
        if error is None and result.ok and result.complete:
            return Proved(path)
        last_line = proof_start_line(self._theorem) + body.count("\n")
        first_line = last_line - tactic.strip().count("\n")
        if error is None or (error.line is not None and error.line >= first_line and error.line <= last_line):
            return TacticFailure(FailureKind.ERROR, error.text if error else "theory check failed")
        new = ProofState(state.theorem, path, (Goal((), error.text),), error.text)
        if new.key == state.key:
            return TacticFailure(FailureKind.NO_PROGRESS, "the state is unchanged")
        return Advanced(new)

    def verify(self, theorem: Theorem, proof: Sequence[str]) -> Verification:
        start = time.monotonic()
        body = "\n".join(t.strip() for t in proof)
        reason = screen_proof(body, start=True)
        if reason:
            return Verification(False, f"proof rejected: {reason}", "", seconds=time.monotonic() - start)
        name = theorem_name(theorem.statement)
        if name is None:
            return Verification(False, "the statement declares no named theorem: its oracles cannot be audited", "",
                                seconds=time.monotonic() - start)
        fresh = None
        try:
            if self.config.fresh_verify_session:
                fresh = self.client.session_start(
                    self.config.session, self.config.session_dirs, timeout=self.config.session_timeout
                )
            text, result = self.check(theorem, body, self.config.verify_timeout, audit=name, session=fresh)
        except (EnvTimeout, RefusedProof) as exc:
            return Verification(False, str(exc), "", seconds=time.monotonic() - start)
        finally:
            if fresh is not None:
                try:
                    self.client.session_stop(fresh.session_id)
                except EnvError as exc:
                    log.debug("session_stop of the verifier's session failed: %s", exc)
        error = first_error(result)
        ok = result.ok and error is None and result.complete
        message = "" if ok else (f"line {error.line}: {error.text[:400]}" if error
                                 else "theory check failed" if not result.ok else "the theory was not checked to its end")
        return Verification(ok, message, text, seconds=time.monotonic() - start)

    def stats(self) -> EnvStats:
        return EnvStats(self._busy, self._requests, 0, 0)

    def close(self) -> None:
        try:
            if self._session is not None:
                self.client.session_stop(self._session.session_id)
        except EnvError as exc:
            log.debug("session_stop failed: %s", exc)
        finally:
            self._session = None
            if self._server is not None:
                self.client.shutdown()
                self._server.close()
                self._server = None
            self.client.close()
            self._finalizer()

    def __enter__(self) -> IsabelleEnv:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
