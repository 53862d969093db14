"""Whole-proof verification: the original statement plus the found tactics, as one theorem.

Tactic-mode `Completed` is a filter, not a certificate (repl #44): it ignores axioms and judges
one proof-state chain. So a found proof is compiled again in command mode on a fresh header env
of a process that never ran the search (the compiling process), in steps the proof cannot talk to:

1. the original statement alone, as a proposition (`abbrev`), before any proof text is loaded;
2. the proof as one tactic block, `focus` + `skip` + the proof, in tactic mode on the theorem's
   root state: the REPL parses a tactic step as exactly one tactic, to the end of the text,
   before it runs anything, so text that would end the block early and go on with commands
   (which run in command mode even after a parse error) fails here, unrun; the block must close
   the goal. Then the theorem as a command, its `by` block the same lines (`skip` + the proof),
   under a heartbeat cap: the two blocks are the same text after their keyword, so they end at
   the same place (with no closing bracket of ours that a stray `)` could match, and `skip`
   first so that a leading `{ ... }` cannot be the whole block);
3. a check written by the verifier only: `example : <statement> := @name`, so the constant
   has the statement's type whatever the proof text did around it;
4. `#print axioms name`, parsed strictly: one message in exactly the phrase Lean prints, and
   only the allowed axioms (an allowlist survives new axioms such as Lean 4.29's native_decide
   ones). Anything else rejects the proof.

Those answers come from the process that compiled the proof, and a proof that ran code there
(a hole in the tactic screen) could print them itself. So the verdict is the checking process's,
a REPL that is never sent any text of the proof:

5. the checking process elaborates the statement alone on its own header env (so every name
   in it resolves without the proof's constants); the compiling process pickles the
   environment it ended with (`pickleTo`); the checking process loads it (`unpickleEnvFrom`),
   which imports the header's modules and (REPL v4.24, the pinned one) adds every constant the
   proof made through the kernel again (`Environment.replay`);
6. the loaded environment must import the same modules, in the same namespace with the same
   `open`s, as the checker's own header env (a pickle written by code could name others);
7. `theorem _prover_check : <statement> := @name` must elaborate there, and
   `#print axioms _prover_check` must answer exactly Lean's phrase with only allowed axioms.
   The check is positive: an answer must come, so a pickled context that silenced errors does
   not pass.

This stops proof code from printing the verifier's answers. It is not a trust boundary: a
pickle is Lean runtime memory, loaded as it was written, so code that ran in the compiling
process can hand the checker objects that break the kernel's invariants; and REPLs from v4.30
on load pickles without replaying them through the kernel. The structural fix (the proof's
declarations exported as text by a process that ran no proof, checked by an independent
kernel) needs a Lean toolchain to build and test.

A verifier process that dies or times out is replaced and the proof checked once more before
it is rejected.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import textwrap
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from lean_env.base import BadTheorem, EnvError, SetupError, Theorem, Verification
from lean_env.lean_repl.protocol import (
    CommandRequest,
    CommandResponse,
    Message,
    Outcome,
    PickleEnvRequest,
    ProofStepRequest,
    ReplError,
    Severity,
    UnpickleEnvRequest,
    unsendable,
)
from lean_env.lean_repl.screen import MAX_PROOF_CHARS, MAX_TACTIC_CHARS, screen_tactic
from lean_env.lean_repl.header_repl import HeaderRepl

log = logging.getLogger(__name__)

ALLOWED_AXIOMS = frozenset({"propext", "Classical.choice", "Quot.sound"})
STATEMENT_NAME = "_prover_original_statement"
CHECK_NAME = "_prover_check"
# Asked of the checking process on its own header env and on the loaded one (step 6): which
# modules are imported (every name spelled out: a name's stored hash could be forged), the
# namespace, the opens.
SCOPE_PROBE = """#eval show Lean.Elab.Command.CommandElabM Unit from do
  let mods := (← Lean.getEnv).allImportedModuleNames
  let ns ← Lean.getCurrNamespace
  let opens ← Lean.getOpenDecls
  Lean.logInfo s!"modules {mods.map toString}; namespace {ns}; open {opens.map toString}"
"""
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
    return f"set_option maxHeartbeats {max_heartbeats} in\n{statement}\n{_indented(proof)}"


def _indented(proof: Sequence[str]) -> str:
    return "\n".join(textwrap.indent(t.strip("\n"), "  ", lambda _: True) for t in proof)


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
    repl: HeaderRepl,
    checker: HeaderRepl,
    theorem: Theorem,
    proof: Sequence[str],
    max_heartbeats: int,
    timeout: float,
) -> Verification:
    """Check `proof`: compiled on `repl`, judged on `checker` (both reserved for verification,
    header = theorem's; `checker` is never sent text of a proof)."""
    start = time.monotonic()
    command = proof_command(theorem, FIRST + tuple(proof), max_heartbeats)
    name = declared_name(theorem.statement)
    full = theorem.name  # the declared name, qualified by its namespace when it has one
    proposition = statement_proposition(theorem.statement)
    stated = f"abbrev {STATEMENT_NAME} : Prop :=\n  {proposition}"
    check = f"example : {STATEMENT_NAME} := @{full}"
    # The loaded env brings the compiling process's options: the kernel check is asked for here.
    replayed = (f"set_option debug.skipKernelTC false in\ntheorem _root_.{CHECK_NAME} :\n"
                f"  {proposition} :=\n  @_root_.{full}")
    script = (f"{theorem.header.rstrip()}\n\n{stated}\n\n{command}\n\n{check}\n\n"
              f"#print axioms {full}\n\n-- then, in a process that never saw the proof, on the "
              f"pickled environment:\n\n{replayed}\n\n#print axioms {CHECK_NAME}\n")

    def verdict(ok: bool, message: str, axioms: tuple[str, ...] = ()) -> Verification:
        return Verification(ok, message, script, axioms, time.monotonic() - start)

    if not proof:
        return verdict(False, "empty proof")
    # Each step, then the steps as Lean reads them, joined: a string or `(name :=` left open in
    # one step changes how the next reads. The steps joined are held to a proof's length limit,
    # not a tactic's.
    joined = ["\n".join(proof)] if len(proof) > 1 else []
    if joined and len(joined[0]) > MAX_PROOF_CHARS:  # before each step costs a screen
        return verdict(False, f"rejected before sending: the steps joined are longer than {MAX_PROOF_CHARS} characters")
    for tactic, limit in [(step, MAX_TACTIC_CHARS) for step in proof] + [(text, MAX_PROOF_CHARS) for text in joined]:
        why = screen_tactic(tactic, max_heartbeats, final=True, max_chars=limit)
        if why is not None:
            return verdict(False, f"rejected before sending: {why}")
    if name is None:
        return verdict(False, "the statement declares no named theorem: its axioms cannot be audited")
    if not names_match(name, theorem.name):
        return verdict(False, f"the statement declares {name!r}, not {theorem.name!r}")
    if proposition is None:
        return verdict(False, "the statement's type cannot be read: it cannot be checked apart")
    # Many steps, each of which went through alone, may still not fit one request together.
    why = (unsendable(ProofStepRequest(proof_state=0, tactic=tactic_block(proof)))
           or unsendable(CommandRequest(cmd=command)))
    if why is not None:
        return verdict(False, why)
    for attempt in range(2):
        try:
            (ok, message, axioms), compiled = _check(repl, theorem, proof, stated, command, check, timeout)
            if ok:
                ok, message, axioms = _replay(repl, compiled, checker, stated, replayed, timeout)
            return verdict(ok, message, axioms)
        except BadTheorem as e:
            return verdict(False, f"header does not elaborate: {e}")
        except SetupError:
            raise
        except EnvError as e:
            repl.kill()
            checker.kill()
            if attempt:
                return verdict(False, f"verifier failed twice ({type(e).__name__}): {e}")
            repl.counters.verifier_retries += 1
            log.warning("verifier broke on %s, checking again on fresh processes: %s", name, e)
    raise AssertionError("unreachable")


Verdict = tuple[bool, str, tuple[str, ...]]  # ok, why not, axioms


FIRST = ("skip",)  # leads both blocks (see the module docstring, step 2)


def tactic_block(proof: Sequence[str]) -> str:
    """The proof's steps as one tactic, the same lines as the verified command's `by` block."""
    return f"focus\n{_indented(FIRST + tuple(proof))}"


def parse_probe(proof: Sequence[str]) -> str:
    """`tactic_block(proof)` as a tactic that Lean parses whole but never runs: `iterate 0`
    expands to `skip` without elaborating its block. Sent before a command holding the same
    lines: text that would end the `by` block and go on with commands is a parse error here, and
    nothing has run. (Not `first | skip | ...`: a line starting with `|` would be read there as
    one more alternative, while it ends the command's `by` block.)"""
    return "iterate 0\n" + textwrap.indent(tactic_block(proof), "  ")


def _check(
    repl: HeaderRepl, theorem: Theorem, proof: Sequence[str], stated: str, command: str, check: str,
    timeout: float,
) -> tuple[Verdict, int]:
    """Steps 1-4 of the module docstring on `repl`, and the compiled env's id (-1 if none).

    Raises EnvError when the process breaks."""
    statement = repl.command(stated, None, timeout)
    problem = _problem(statement)
    if problem is not None:
        return (False, f"the original statement does not elaborate on its own: {problem}", ()), -1
    assert isinstance(statement, CommandResponse)
    root, _ = repl.open(theorem)
    block = repl.step(theorem.name, (), root, tactic_block(proof), timeout)
    if block.outcome is not Outcome.PROVED:
        why = block.message or f"{len(block.goals)} goal(s) left"
        return (False, f"the proof does not run as one tactic block ({block.outcome.value}): {why}", ()), -1
    compiled = repl.command(command, statement.env, timeout)
    problem = _problem(compiled)
    if problem is not None:
        return (False, problem, ()), -1
    assert isinstance(compiled, CommandResponse)
    checked = repl.command(check, compiled.env, timeout)
    problem = _problem(checked)
    if problem is not None:
        why = f"the proved constant does not have the original statement's type: {problem}"
        return (False, why, ()), compiled.env
    assert isinstance(checked, CommandResponse)
    name = theorem.name
    return _audit(repl.command(f"#print axioms {name}", checked.env, timeout), name), compiled.env


def _replay(
    repl: HeaderRepl, compiled: int, checker: HeaderRepl, stated: str, replayed: str, timeout: float
) -> Verdict:
    """Steps 5-7: the compiled environment, kernel-checked and judged again in `checker`."""
    alone = _problem(checker.command(stated, None, timeout))
    if alone is not None:  # the compiling process said otherwise: it is not to be believed
        return False, f"in a fresh process, the original statement does not elaborate: {alone}", ()
    baseline = _scope(checker, None, timeout)
    if baseline is None:
        return False, "the checking REPL cannot report its header's imports (the header must import Lean)", ()
    # Written where only the compiling process writes, read by the checker from a copy in its
    # own scratch directory under a name the compiling process never learns.
    written = repl.scratch() / f"verified-{uuid.uuid4().hex}.olean"
    copy = checker.scratch() / f"{uuid.uuid4().hex}.olean"
    try:
        saved = repl.request(PickleEnvRequest(env=compiled, pickle_to=str(written)), timeout)
        if not isinstance(saved, CommandResponse):
            return False, f"the compiled environment could not be saved: {_problem(saved)}", ()
        why = _copy_pickle(written, copy)
        if why is not None:
            return False, f"the compiled environment could not be saved: {why}", ()
        loaded = checker.request(UnpickleEnvRequest(unpickle_env_from=str(copy)), timeout)
    finally:
        written.unlink(missing_ok=True)
        copy.unlink(missing_ok=True)
    problem = _problem(loaded)
    if problem is not None:
        return False, f"the compiled proof does not replay in a fresh process: {problem}", ()
    assert isinstance(loaded, CommandResponse)
    if _scope(checker, loaded.env, timeout) != baseline:
        return False, "the compiled environment's imports or scope differ from the header's", ()
    checked = checker.command(replayed, loaded.env, timeout)
    problem = _problem(checked)
    if problem is not None:
        return False, f"in a fresh process, the proved constant does not have the statement's type: {problem}", ()
    assert isinstance(checked, CommandResponse)
    ok, message, axioms = _audit(checker.command(f"#print axioms {CHECK_NAME}", checked.env, timeout), CHECK_NAME)
    return ok, message and f"in a fresh process: {message}", axioms


MAX_PICKLE_BYTES = 1 << 30  # a proof's constants; a Mathlib header's own are not in a pickle


def _copy_pickle(written: Path, copy: Path) -> str | None:
    """Copy what the compiling process wrote; None, or why not. The compiling process may have
    put anything at that path: a symbolic link (to a host file, a FIFO that never ends), a file
    too large to copy; only a plain file of at most MAX_PICKLE_BYTES is copied."""
    try:
        fd = os.open(written, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as e:
        return f"no plain file at {written.name} ({e.strerror})"
    try:
        found = os.fstat(fd)
        if not stat.S_ISREG(found.st_mode):
            return f"{written.name} is not a plain file"
        if found.st_size > MAX_PICKLE_BYTES:
            return f"{written.name} holds {found.st_size} bytes, more than {MAX_PICKLE_BYTES}"
        with os.fdopen(fd, "rb", closefd=False) as source, open(copy, "wb") as target:
            left = MAX_PICKLE_BYTES
            while chunk := source.read(min(left + 1, 1 << 20)):
                left -= len(chunk)
                if left < 0:
                    return f"{written.name} grew past {MAX_PICKLE_BYTES} bytes while it was copied"
                target.write(chunk)
    except OSError as e:
        return f"{written.name} could not be copied ({e.strerror})"
    finally:
        os.close(fd)
    return None


def _scope(checker: HeaderRepl, env: int | None, timeout: float) -> str | None:
    """The checker's answer to SCOPE_PROBE on `env` (None: its header env), or None unless it
    is one info message and nothing else."""
    response = checker.command(SCOPE_PROBE, env, timeout)
    infos = [m.data for m in getattr(response, "messages", ()) if m.severity is Severity.INFO]
    return infos[0] if len(infos) == 1 and _problem(response) is None else None


def _audit(printed: object, name: str) -> Verdict:
    """Step 4 (and 7): the answer to `#print axioms name`, only allowed axioms."""
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
