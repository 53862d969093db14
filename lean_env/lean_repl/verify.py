"""Whole-proof verification: the original statement plus the found tactics, as one theorem.

Tactic-mode `Completed` is a filter, not a certificate (repl #44): it ignores axioms and judges
one proof-state chain. So a found proof is compiled again in command mode on a fresh header env
of a process that never ran the search, in steps the proof cannot talk to:

1. the original statement alone, as a proposition (`abbrev`), before any proof text is loaded;
2. the theorem with the proof, under a heartbeat cap;
3. a check written by the verifier only: `example : <statement> := @name`, so the constant
   has the statement's type whatever the proof text did around it;
4. `#print axioms name`, parsed strictly: one message in exactly the phrase Lean prints, and
   only the allowed axioms (an allowlist survives new axioms such as Lean 4.29's native_decide
   ones). Anything else rejects the proof.

A verifier process that dies or times out is replaced and the proof checked once more before
it is rejected.
"""

from __future__ import annotations

import logging
import re
import textwrap
import time
from collections.abc import Sequence

from lean_env.base import BadTheorem, EnvError, SetupError, Theorem, Verification
from lean_env.lean_repl.protocol import CommandResponse, Message, ReplError, Severity
from lean_env.lean_repl.screen import screen_tactic
from lean_env.lean_repl.header_repl import HeaderRepl

log = logging.getLogger(__name__)

ALLOWED_AXIOMS = frozenset({"propext", "Classical.choice", "Quot.sound"})
STATEMENT_NAME = "_prover_original_statement"
_DECL = re.compile(
    r"^\s*(?:@\[[^\]]*\]\s*)?(?:(?:private|protected|noncomputable)\s+)*(?:theorem|lemma)\s+([^\s(\[{:]+)"
)
_SORRY_WARNING = re.compile(r"declaration uses .sorry.")
_AXIOM_NAME = re.compile(r"[A-Za-z_][\w'.]*")
_PROOF_START = re.compile(r":=\s*(?:by\s*)?$")
_OPENERS, _CLOSERS = "([{⦃⟨", ")]}⦄⟩"


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


def names_match(declared: str | None, full_name: str) -> bool:
    """Whether a statement declaring `declared` (inside some namespace) defines `full_name`."""
    if declared is None:
        return False
    declared = declared.removeprefix("_root_.")
    return full_name == declared or full_name.endswith("." + declared)


def statement_proposition(statement: str) -> str | None:
    """`theorem n (a : ℕ) (h : P a) : Q a := by` as the proposition `∀ (a : ℕ) (h : P a), Q a`.

    None when the statement does not have that shape (then nothing can be checked against it).
    """
    found = _DECL.match(statement)
    if found is None:
        return None
    rest = _PROOF_START.sub("", statement[found.end() :].rstrip())
    depth = 0
    for i, ch in enumerate(rest):
        if ch in _OPENERS:
            depth += 1
        elif ch in _CLOSERS:
            depth -= 1
        elif ch == ":" and depth == 0 and rest[i + 1 : i + 2] != "=":
            binders, conclusion = rest[:i].strip(), rest[i + 1 :].strip()
            if not conclusion:
                return None
            return f"∀ {binders},\n    {conclusion}" if binders else conclusion
    return None


def parse_axioms(messages: Sequence[Message], name: str) -> tuple[str, ...] | None:
    """Axioms in the answer to `#print axioms name`, or None unless it is exactly Lean's phrase.

    One info message, naming `name`, and a list of plain names: text that merely contains the
    phrase (an axiom whose printed type holds it, a second message) is not an answer.
    """
    if len(messages) != 1 or messages[0].severity is not Severity.INFO:
        return None
    text = " ".join(messages[0].data.split())
    quoted = re.escape(f"'{name}'")
    if re.fullmatch(rf"{quoted} does not depend on any axioms", text):
        return ()
    found = re.fullmatch(rf"{quoted} depends on axioms: \[([^\[\]]*)\]", text)
    if found is None:
        return None
    axioms = tuple(a.strip() for a in found.group(1).split(","))
    if not all(_AXIOM_NAME.fullmatch(a) for a in axioms):
        return None
    return axioms


def verify_proof(
    repl: HeaderRepl, theorem: Theorem, proof: Sequence[str], max_heartbeats: int, timeout: float
) -> Verification:
    """Check `proof` on `repl` (a process reserved for verification, header = theorem's)."""
    start = time.monotonic()
    command = proof_command(theorem, proof, max_heartbeats)
    name = declared_name(theorem.statement)
    full = theorem.name  # the declared name, qualified by its namespace when it has one
    proposition = statement_proposition(theorem.statement)
    stated = f"abbrev {STATEMENT_NAME} : Prop :=\n  {proposition}"
    check = f"example : {STATEMENT_NAME} := @{full}"
    script = (f"{theorem.header.rstrip()}\n\n{stated}\n\n{command}\n\n{check}\n\n"
              f"#print axioms {full}\n")

    def verdict(ok: bool, message: str, axioms: tuple[str, ...] = ()) -> Verification:
        return Verification(ok, message, script, axioms, time.monotonic() - start)

    if not proof:
        return verdict(False, "empty proof")
    for tactic in proof:
        why = screen_tactic(tactic, max_heartbeats, final=True)
        if why is not None:
            return verdict(False, f"rejected before sending: {why}")
    if name is None:
        return verdict(False, "the statement declares no named theorem: its axioms cannot be audited")
    if not names_match(name, theorem.name):
        return verdict(False, f"the statement declares {name!r}, not {theorem.name!r}")
    if proposition is None:
        return verdict(False, "the statement's type cannot be read: it cannot be checked apart")
    for attempt in range(2):
        try:
            ok, message, axioms = _check(repl, stated, command, check, full, timeout)
            return verdict(ok, message, axioms)
        except BadTheorem as e:
            return verdict(False, f"header does not elaborate: {e}")
        except SetupError:
            raise
        except EnvError as e:
            repl.kill()
            if attempt:
                return verdict(False, f"verifier failed twice ({type(e).__name__}): {e}")
            repl.counters.verifier_retries += 1
            log.warning("verifier broke on %s, checking again on a fresh process: %s", name, e)
    raise AssertionError("unreachable")


def _check(
    repl: HeaderRepl, stated: str, command: str, check: str, name: str, timeout: float
) -> tuple[bool, str, tuple[str, ...]]:
    """The four steps of the module docstring on `repl`; EnvError when the process breaks."""
    statement = repl.command(stated, None, timeout)
    problem = _problem(statement)
    if problem is not None:
        return False, f"the original statement does not elaborate on its own: {problem}", ()
    assert isinstance(statement, CommandResponse)
    compiled = repl.command(command, statement.env, timeout)
    problem = _problem(compiled)
    if problem is not None:
        return False, problem, ()
    assert isinstance(compiled, CommandResponse)
    checked = repl.command(check, compiled.env, timeout)
    problem = _problem(checked)
    if problem is not None:
        return False, f"the proved constant does not have the original statement's type: {problem}", ()
    assert isinstance(checked, CommandResponse)
    printed = repl.command(f"#print axioms {name}", checked.env, timeout)
    if not isinstance(printed, CommandResponse):
        return False, "no answer to #print axioms", ()
    axioms = parse_axioms(printed.messages, name)
    if axioms is None:
        return False, "the #print axioms answer is not exactly Lean's phrase", ()
    extra = sorted(set(axioms) - ALLOWED_AXIOMS)
    if extra:
        return False, f"uses axioms beyond the allowed ones: {', '.join(extra)}", axioms
    return True, "", axioms


def _problem(response: object) -> str | None:
    """Why a command's answer is not a clean success (errors, sorries), or None."""
    if isinstance(response, ReplError):
        return f"REPL error: {response.message}"
    if not isinstance(response, CommandResponse):
        return "the REPL answered a command with a proof-step response"
    for m in response.messages:
        if m.severity is Severity.ERROR:
            return f"error at line {m.pos.line}: {m.data}"
        if _SORRY_WARNING.search(m.data):
            return "declaration uses sorry"
    if response.sorries:
        return "the proof contains sorry"
    return None
