"""Whole-proof verification: the original statement plus the found tactics, as one theorem.

Tactic-mode `Completed` is a filter, not a certificate (repl #44; B §1.7): it ignores axioms and
judges one proof-state chain. So a found proof is compiled again in command mode on a fresh
header env of a process that never ran the search, under a heartbeat cap, and its axioms are
audited against an allowlist (one survives new axioms such as Lean 4.29's native_decide ones).
"""

from __future__ import annotations

import re
import textwrap
import time
from collections.abc import Sequence

from lean_env.base import BadTheorem, EnvError, Theorem, Verification
from lean_env.lean_repl.protocol import CommandResponse, ReplError, Severity
from lean_env.lean_repl.screen import screen_tactic
from lean_env.lean_repl.worker import Worker

ALLOWED_AXIOMS = frozenset({"propext", "Classical.choice", "Quot.sound"})
_DECL = re.compile(
    r"^\s*(?:@\[[^\]]*\]\s*)?(?:(?:private|protected|noncomputable)\s+)*(?:theorem|lemma)\s+([^\s(\[{:]+)"
)
_SORRY_WARNING = re.compile(r"declaration uses .sorry.")
_DEPENDS = re.compile(r"depends on axioms:\s*\[(.*?)\]", re.DOTALL)
_NO_AXIOMS = re.compile(r"does not depend on any axioms")


def declared_name(statement: str) -> str | None:
    """The name a `theorem`/`lemma` statement declares (None for `example` or non-theorems)."""
    found = _DECL.match(statement)
    return found.group(1) if found else None


def proof_command(theorem: Theorem, proof: Sequence[str], max_heartbeats: int) -> str:
    """The statement byte for byte, then each tactic indented under its `by`."""
    statement = theorem.statement.rstrip()
    if statement.endswith(":="):
        statement += " by"
    body = "\n".join(textwrap.indent(t.strip("\n"), "  ", lambda _: True) for t in proof)
    return f"set_option maxHeartbeats {max_heartbeats} in\n{statement}\n{body}"


def parse_axioms(messages_text: Sequence[str]) -> tuple[str, ...] | None:
    """Axioms named by `#print axioms` (None when its answer is not among the messages)."""
    for text in messages_text:
        found = _DEPENDS.search(text)
        if found:
            return tuple(a.strip() for a in found.group(1).split(",") if a.strip())
        if _NO_AXIOMS.search(text):
            return ()
    return None


def verify_proof(
    worker: Worker, theorem: Theorem, proof: Sequence[str], max_heartbeats: int, timeout: float
) -> Verification:
    """Check `proof` on `worker` (a process reserved for verification, header = theorem's)."""
    start = time.monotonic()
    command = proof_command(theorem, proof, max_heartbeats)
    name = declared_name(theorem.statement)
    script = f"{theorem.header.rstrip()}\n\n{command}\n\n#print axioms {name}\n"

    def verdict(ok: bool, message: str, axioms: tuple[str, ...] = ()) -> Verification:
        return Verification(ok, message, script, axioms, time.monotonic() - start)

    if not proof:
        return verdict(False, "empty proof")
    for tactic in proof:
        why = screen_tactic(tactic, max_heartbeats)
        if why is not None:
            return verdict(False, f"rejected before sending: {why}")
    if name is None:
        return verdict(False, "the statement declares no named theorem: its axioms cannot be audited")
    if name != theorem.name:
        return verdict(False, f"the statement declares {name!r}, not {theorem.name!r}")
    try:
        compiled = worker.command(command, None, timeout)
        if isinstance(compiled, ReplError):
            return verdict(False, f"REPL error: {compiled.message}")
        if not isinstance(compiled, CommandResponse):
            return verdict(False, "the REPL answered the proof with a proof-step response")
        for m in compiled.messages:
            if m.severity is Severity.ERROR:
                return verdict(False, f"error at line {m.pos.line}: {m.data}")
            if _SORRY_WARNING.search(m.data):
                return verdict(False, "declaration uses sorry")
        if compiled.sorries:
            return verdict(False, "the proof contains sorry")
        printed = worker.command(f"#print axioms {name}", compiled.env, timeout)
    except BadTheorem as e:
        return verdict(False, f"header does not elaborate: {e}")
    except EnvError as e:
        return verdict(False, f"verifier failed ({type(e).__name__}): {e}")
    if isinstance(printed, ReplError) or not isinstance(printed, CommandResponse):
        return verdict(False, "no answer to #print axioms")
    axioms = parse_axioms([m.data for m in printed.messages])
    if axioms is None:
        return verdict(False, "could not read the #print axioms output")
    extra = sorted(set(axioms) - ALLOWED_AXIOMS)
    if extra:
        return verdict(False, f"uses axioms beyond the allowed ones: {', '.join(extra)}", axioms)
    return verdict(True, "", axioms)
