"""Independent check of a found Coq proof, in fresh sandboxed processes the proof cannot talk to.

Four steps, each a separate process, each reading only what earlier steps wrote:

1. **The statement, alone.** `Stmt.v` is the original header and statement, byte for byte, closed
   with `Admitted.` and compiled by `coqc` before anything of the proof exists. Its constant is
   the reference type. (Cached per theorem: it never depends on a proof.)
2. **The proof, as its own module.** `Proof.v` is the header, the configured extra imports
   (library loads only, e.g. Lia and Lra for headers that lack them), the statement, the *screened*
   sentences (exactly what the live coqtop ran) and `Defined.` (so that step 3 can walk its
   body), compiled in its own directory, the only one it may write.
3. **A check written entirely by the verifier.** `Check.v` loads both modules and elaborates
   `(Proof.name : type of Stmt.name)`, so the proof's constant must have the statement's type
   (up to conversion) however the proof's file was read; then it walks the proof's kernel term
   and prints it, and neither may hold a fixpoint of its own (Coq 8.16's guard checker accepts
   some ill-founded ones; the walk sees match parameters, which the printer never shows), and
   the assumptions of that checked term.
   That output is parsed strictly: exactly "Closed under the global context", or an `Axioms:`
   section and nothing else, each axiom of which must exist with the same type in a fresh coqtop
   that ran only the header and the extra imports (so Coq.Reals' classical axioms count exactly
   when those load Reals, and nothing the proof declared does). Where the two sessions print the
   type differently (a header that imports Uint63 prints `int` for `PrimInt63.int`), the axiom
   must be the very same constant: the same full path and fully qualified type, as the same Ltac2
   printer writes them in both (`identity`). An axiom that only the extra
   imports bring must also be one of the standard library's classical axioms
   (`STANDARD_AXIOMS`): a tactic library may load classical logic, never `False`
   (`Coq.Compat.AdmitAxiom` declares `proof_admitted : False`). An axiom of type `False` is
   refused whatever brought it, the header included.
4. **The kernel checker.** `coqchk` re-checks the compiled proof module from its `.vo` and must
   report no axiom of the proof's own module, and no constant relying on type-in-type, unsafe
   (co)fixpoints or assumed positivity. It is the only layer that catches some known Coq bugs in
   the module system (a forged primitive, a functor that switches checking off), so it is never
   optional and a coqchk timeout is a rejection.

Independent steps run side by side (statement with proof module; check with coqchk).
"""

from __future__ import annotations

import bisect
import hashlib
import re
import secrets
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from lean_env.base import Theorem, Verification
from lean_env.coq import output
from lean_env.coq.hammer import mentions_hammer
from lean_env.coq.identity import identity_script, parse_identities
from lean_env.coq.process import CoqTop
from lean_env.coq.sentences import SentenceError, split_sentences, split_tactic
from lean_env.process import run_once

if TYPE_CHECKING:
    from lean_env.coq.env import CoqConfig

STMT_LIB, PROOF_LIB = "ProverStmt", "ProverProof"
CLOSED = "Closed under the global context"
# Axiom types are compared as text between two Coq sessions that import different things: print
# them without notations in both, so that scopes and notations cannot make equal terms differ,
# and without the elision ("...") of deep terms, so that no part of a type goes uncompared.
RAW_PRINTING = "Unset Printing Notations. Set Printing Depth 100000."
# Axioms the extra imports may add to those of the header: the standard library's classical
# logic, extensionality, choice and description axioms and the classical reals', as Coq prints
# their names. Each must still have its library type (checked like the header's).
STANDARD_AXIOMS = frozenset({
    "Classical_Prop.classic", "FunctionalExtensionality.functional_extensionality_dep",
    "ClassicalDedekindReals.sig_forall_dec", "ClassicalDedekindReals.sig_not_dec",
    "PropExtensionality.propositional_extensionality", "ProofIrrelevance.proof_irrelevance",
    "Eqdep.Eq_rect_eq.eq_rect_eq", "IndefiniteDescription.constructive_indefinite_description",
    "ClassicalEpsilon.constructive_indefinite_description", "ClassicalUniqueChoice.dependent_unique_choice",
})
_QUALID = re.compile(r"[A-Za-z_][\w']*(?:\.[A-Za-z_][\w']*)*")


def proof_file(theorem: Theorem, proof: Sequence[str], extra_imports: str = "") -> str:
    """The proof module's text: header, extra imports, statement (unchanged), screened script, `Defined.`.

    Extra imports (library loads only, checked by the env's config) appear here and never in the
    statement module: whatever they change, the type check against the statement compiled alone
    still decides.

    The script is the screened sentences, one per line, exactly as the live coqtop ran them, not
    the raw tactic texts: a raw text that coqc lexes differently from the screen (comments, odd
    whitespace) must not get a different meaning here. Raises ValueError for an unscreenable text.
    """
    lines = []
    for tactic in proof:
        sentences, reason = split_tactic(tactic)
        if reason:
            raise ValueError(reason)
        if any(mentions_hammer(s) for s in sentences):  # it would call external provers
            raise ValueError("the script calls hammer: record its reconstruction instead")
        lines.extend(sentences)
    script = "\n".join(lines)
    extra = f"{extra_imports.strip()}\n" if extra_imports.strip() else ""
    # `Defined`, not `Qed`: the check file walks the body of the constant (`FIXPOINT_WALK`)
    return f"{theorem.header.rstrip()}\n{extra}\n{theorem.statement.strip()}\nProof.\n{script}\nDefined.\n"


def statement_file(theorem: Theorem) -> str:
    return f"{theorem.header.rstrip()}\n\n{theorem.statement.strip()}\nAdmitted.\n"


# The printer never shows a match's parameters (they are inferred again when read back), and a
# proof can hide a fixpoint of its own there with Ltac alone (a term held in an Ltac variable goes
# stale when `clear x; pose (x := G)` rebinds its name). So the verifier also walks the kernel
# term itself, with Ltac2's view of it (`Constr.Unsafe.kind`), whose match nodes carry their
# parameters in the return clause's binder types: every node, every binder type. The body is
# unfolded with `cbv` on that one constant and no other reduction, so no `let` or match on the
# way is reduced away; casts alone are dropped on the way (any reduction drops them), so their
# types are audited in the printed term instead (`term_problem`).
FIXPOINT_WALK = """From Ltac2 Require Import Ltac2.
Ltac2 rec prover_has_fix (c : constr) : bool :=
  match Constr.Unsafe.kind c with
  | Constr.Unsafe.Fix _ _ _ _ => true
  | Constr.Unsafe.CoFix _ _ _ => true
  | Constr.Unsafe.Cast c _ t => Bool.or (prover_has_fix c) (prover_has_fix t)
  | Constr.Unsafe.Prod b t => Bool.or (prover_has_fix (Constr.Binder.type b)) (prover_has_fix t)
  | Constr.Unsafe.Lambda b t => Bool.or (prover_has_fix (Constr.Binder.type b)) (prover_has_fix t)
  | Constr.Unsafe.LetIn b v t =>
    Bool.or (prover_has_fix (Constr.Binder.type b)) (Bool.or (prover_has_fix v) (prover_has_fix t))
  | Constr.Unsafe.App f args => Bool.or (prover_has_fix f) (Array.exist prover_has_fix args)
  | Constr.Unsafe.Case _ ret _ c brs =>
    Bool.or (prover_has_fix ret) (Bool.or (prover_has_fix c) (Array.exist prover_has_fix brs))
  | Constr.Unsafe.Proj _ c => prover_has_fix c
  | Constr.Unsafe.Evar _ args => Array.exist prover_has_fix args
  | Constr.Unsafe.Array _ elems d ty =>
    Bool.or (Array.exist prover_has_fix elems) (Bool.or (prover_has_fix d) (prover_has_fix ty))
  | _ => false
  end.
Ltac2 Eval (
  let body := Std.eval_cbv { Std.rBeta := false; Std.rMatch := false; Std.rFix := false; Std.rCofix := false;
    Std.rZeta := false; Std.rDelta := false; Std.rConst := [reference:(@@PROOF@@)] } constr:(@@PROOF@@) in
  Message.print (Message.of_string (if prover_has_fix body then "@@MARK@@ fixpoint" else "@@MARK@@ clean"))).
"""


def check_file(name: str, separator: str) -> str:
    """Written by the verifier alone: the proof's type against the statement's, the walk of its
    kernel term for fixpoints (its answer named by the separator, which the proof cannot know),
    then the proof's printed term, the separator, then the checked term's axioms."""
    # placeholders no Coq name can hold, the separator's first: a name cannot spell either
    walk = FIXPOINT_WALK.replace("@@MARK@@", separator).replace("@@PROOF@@", f"{PROOF_LIB}.Proof.{name}")
    return (
        f"Require {STMT_LIB}.Stmt {PROOF_LIB}.Proof.\n"
        f"Definition prover_type_check :=\n"
        f"  ltac:(let t := type of {STMT_LIB}.Stmt.{name} in exact ({PROOF_LIB}.Proof.{name} : t)).\n"
        f"{walk}"
        f"Definition {separator} := 0.\n"
        # Everything printed: implicit arguments, coercions, match clauses (a fixpoint can sit in
        # an implicit argument, `@eq_refl nat (let _ := fix ... in 2)` prints as `eq_refl`).
        f"Set Printing All. Set Printing Depth 100000.\n"
        f"Print {PROOF_LIB}.Proof.{name}.\n"
        f"Unset Printing All. {RAW_PRINTING}\n"
        f"Print {separator}.\n"
        # The checked term, not the proof's constant alone: whatever the cast's elaboration
        # inserted (a coercion the proof's libraries declare) is audited with it.
        f"Print Assumptions prover_type_check.\n"
    )


_FIXPOINT = re.compile(r"\b(?:fix|cofix)\b")


_MATCH = re.compile(r"\bmatch\b")
_PAREN_OR_CAST = re.compile(r"[()]|<<?:")


def _match_in_a_cast_type(term: str) -> bool:
    """Whether the type of a VM cast `(t <: T)` in a printed term holds a `match`: T runs from the
    cast to the parenthesis that closes the group holding it, or to the end of the term.

    One pass with a stack of open parentheses, then one lookup per cast: Coq prints a chain of
    casts `t <: T1 <: T2 ...` without parentheses, and reading each type to its end was quadratic
    (a 40 KB chain that an Ltac recursion built in 4 s took the verifier 24 s).
    """
    opened: list[int] = []  # the open parentheses' offsets
    closes: dict[int, int] = {}  # an open parenthesis -> the offset just past its closing one
    casts: list[tuple[int, int]] = []  # (where the type starts, the open parenthesis around it or -1)
    for m in _PAREN_OR_CAST.finditer(term):
        if m.group() == "(":
            opened.append(m.start())
        elif m.group() == ")":
            if opened:
                closes[opened.pop()] = m.end()
        else:
            casts.append((m.end(), opened[-1] if opened else -1))
    starts = [m.start() for m in _MATCH.finditer(term)]
    for start, group in casts:
        end = closes.get(group, len(term)) if group >= 0 else len(term)
        k = bisect.bisect_left(starts, start)
        if k < len(starts) and starts[k] + len("match") <= end:
            return True
    return False


def term_problem(term: str, name: str = "") -> str | None:
    """Why a printed proof term refuses the proof, or None. Coq 8.16's guard checker (kernel and
    coqchk alike) accepts some ill-founded fixpoints (coq/coq#20455), and a proof can build one
    without writing `fix`: unfold a library function to its `fix` term and substitute a body part
    with Ltac's `context C [...]`. Proofs of the miniF2F kind hold none (the library's recursive
    functions appear by name), so any fixpoint in the term refuses the proof, and so does a term
    printed with a part elided ("...", deeper than the printing depth), which could hide one."""
    if _FIXPOINT.search(term):
        return "the proof term builds a fixpoint of its own (Coq 8.16's guard checker has known holes)"
    if "..." in term:
        return "the proof term is too deep to print whole, so it cannot be audited"
    # A cast's type (the goal before `vm_compute`) is dropped by every reduction, so the kernel
    # walk never reaches it, and the printer hides a match's parameters: a match there could
    # hold a fixpoint neither sees.
    if _match_in_a_cast_type(term):
        return "a VM cast's type holds a match, whose parameters neither the printer nor the walk can see"
    # `abstract` (which library tactics call: `auto with zarith` runs `abstract lia`, zify's
    # `refl`) puts part of the proof into an opaque constant `<name>_subproof`, which the printer
    # shows by name only and the walk cannot unfold.
    if name and re.search(rf"(?<![\w']){re.escape(name)}_(?:subproof|subterm)\d*(?![\w'])", term):
        return "the proof term uses a constant that `abstract` made (a library tactic calls it), out of the audit's sight"
    return None


def parse_assumptions(text: str) -> tuple[str, list[str]]:
    """Strictly parse the whole output of one `Print Assumptions`: (status, entries).

    status is "closed" (the output is exactly the closed phrase), "axioms" (exactly an `Axioms:`
    section: entries `qualified.name : type`, continuation lines indented), or "other" (anything
    else: another section such as type-in-type or section variables, or unparsable text).
    """
    body = text.strip("\n")
    if body.strip() == CLOSED:
        return "closed", []
    lines = body.split("\n")
    if not lines or lines[0] != "Axioms:":
        return "other", []
    entries: list[str] = []
    for line in lines[1:]:
        if not line.strip():
            continue
        if line.startswith(" "):
            if not entries:
                return "other", []
            entries[-1] += " " + line.strip()
            continue
        name = line.split(" ", 1)[0]
        if not _QUALID.fullmatch(name) or name.endswith(":"):
            return "other", entries  # a section header ("... relying on type-in-type:") or junk
        entries.append(line.strip())
    normalized = [" ".join(e.split()) for e in entries]
    if not normalized or any(" : " not in e for e in normalized):
        return "other", normalized
    return "axioms", normalized


def parse_coqchk(text: str) -> str | None:
    """Why the context summary of `coqchk -o` (exit status 0) rejects the proof module, or None."""
    summary = text.split("CONTEXT SUMMARY", 1)
    if len(summary) != 2:
        return "coqchk printed no context summary"
    sections = re.split(r"^\* ", summary[1], flags=re.M)
    for section in sections[1:]:
        title, _, body = section.partition(":")
        items = [ln.strip() for ln in body.strip().split("\n") if ln.strip()]
        if title.startswith("Axioms"):
            own = [item for item in items if item.startswith(f"{PROOF_LIB}.")]
            if own:
                return f"coqchk: the proof declares axioms: {', '.join(own)[:300]}"
        elif title.startswith(("Constants/Inductives relying", "Inductives whose positivity")):
            if items != ["<none>"]:
                return f"coqchk: {title.strip()}: {', '.join(items)[:300]}"
    return None


class CoqVerifier:
    """The verifier of one environment: caches compiled statements and header axioms."""

    def __init__(self, config: "CoqConfig", scratch: str) -> None:
        self.config = config
        self.root = Path(tempfile.mkdtemp(prefix="verify-", dir=scratch))
        self._statements: dict[str, Path | str] = {}  # digest -> compiled dir, or the error
        self._header_axioms: dict[tuple[str, str], str | None] = {}
        self._identities: dict[tuple[str, str], str | None] = {}  # (preamble, name) -> identity
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="coq-verify")

    def _coqc(self, file: Path, libs: Sequence[tuple[Path, str]]) -> tuple[int, str, str, bool]:
        argv = [self.config.coqc, "-q", "-native-compiler", "no"]
        for directory, lib in libs:
            argv += ["-Q", str(directory), lib]
        argv.append(file.name)
        return run_once(
            argv,
            self.config.verify_timeout,
            cwd=file.parent,
            memory_limit_mb=self.config.memory_limit_mb,
            readable=[str(d) for d, _ in libs if d != file.parent],  # earlier steps' outputs
        )

    def _statement(self, theorem: Theorem) -> Path | str:
        """The directory holding the compiled statement, or why it does not compile."""
        text = statement_file(theorem)
        digest = hashlib.sha256(text.encode()).hexdigest()[:20]
        if digest not in self._statements:
            directory = self.root / f"stmt-{digest}"
            shutil.rmtree(directory, ignore_errors=True)
            directory.mkdir()
            (directory / "Stmt.v").write_text(text, encoding="utf-8")
            code, out, err, timed_out = self._coqc(directory / "Stmt.v", [(directory, STMT_LIB)])
            if timed_out or code != 0:
                self._statements[digest] = f"the statement alone does not compile: {_errors(out, err)}"
            else:
                self._statements[digest] = directory
        return self._statements[digest]

    def verify(self, theorem: Theorem, proof: Sequence[str]) -> Verification:
        start = time.monotonic()
        try:
            text = proof_file(theorem, proof, self.config.extra_imports)
            split_sentences(text)
        except (ValueError, SentenceError) as exc:
            return Verification(False, f"script rejected: {exc}", "", seconds=time.monotonic() - start)

        def result(ok: bool, message: str, axioms: Sequence[str] = ()) -> Verification:
            return Verification(ok, message, text, tuple(axioms), time.monotonic() - start)

        work = Path(tempfile.mkdtemp(prefix="proof-", dir=self.root))
        try:
            proof_dir, check_dir = work / "proof", work / "check"
            proof_dir.mkdir()
            check_dir.mkdir()
            (proof_dir / "Proof.v").write_text(text, encoding="utf-8")
            # Independent processes run side by side: the statement with the proof module, then
            # the verifier's check with coqchk (both only read the compiled modules).
            statement_job = self._pool.submit(self._statement, theorem)
            code, out, err, timed_out = self._coqc(proof_dir / "Proof.v", [(proof_dir, PROOF_LIB)])
            statement = statement_job.result()
            if isinstance(statement, str):
                return result(False, statement)
            if timed_out:
                return result(False, f"coqc did not finish within {self.config.verify_timeout:.0f} s")
            if code != 0:
                return result(False, f"coqc rejected the proof: {_errors(out, err)}")
            separator = f"prover_separator_{secrets.token_hex(8)}"
            (check_dir / "Check.v").write_text(check_file(theorem.name, separator), encoding="utf-8")
            coqchk_job = self._pool.submit(self._coqchk, proof_dir)
            code, out, err, timed_out = self._coqc(
                check_dir / "Check.v", [(statement, STMT_LIB), (proof_dir, PROOF_LIB)]
            )
            problem = coqchk_job.result()
            if timed_out or code != 0:
                return result(False, f"the proof does not have the statement's type: {_errors(out, err)}")
            term, found, out = out.partition(f"{separator} = 0\n     : nat\n")
            if not found:
                return result(False, f"the verifier's check printed something unexpected: {term[-300:]!r}")
            walked, clean, term = term.partition(f"{separator} clean\n- : unit = ()\n")
            if f"{separator} fixpoint" in walked:
                return result(False, "the proof term builds a fixpoint of its own, where the printer does "
                              "not show it (Coq 8.16's guard checker has known holes)")
            if not clean or walked.strip():
                return result(False, f"the walk of the proof term gave no answer: {walked.strip()[-200:]!r}")
            problem_in_term = term_problem(term, theorem.name)
            if problem_in_term:
                return result(False, problem_in_term)
            status, entries = parse_assumptions(out)
            if status == "other":
                return result(False, f"proof relies on assumptions other than allowed axioms: {out[-300:]!r}")
            names = [e.split(" : ", 1)[0] for e in entries]
            absurd = [e for e in entries if " : " in e and e.split(" : ", 1)[1].strip() == "False"]
            if absurd:  # whatever brought it (a header loading Coq.Compat.AdmitAxiom): it proves anything
                return result(False, f"the proof relies on an axiom of type False: {absurd[0][:200]}", names)
            checked = {n: e.split(" : ", 1)[1] for n, e in zip(names, entries)}
            identities = _Identities(self, theorem, statement, proof_dir, check_dir)
            foreign = identities.not_brought(names, checked, _preamble(theorem, self.config))
            extra = [n for n in names if n.strip() not in STANDARD_AXIOMS]
            if extra and not foreign:  # not standard: the header's libraries alone must bring it
                foreign = identities.not_brought(extra, checked, f"{theorem.header.rstrip()}\n")
            if foreign:
                foreign = [e for n, e in zip(names, entries) if n in foreign]
                return result(False, f"axioms not brought by the header: {'; '.join(foreign)[:500]}", names)
            if problem:  # coqchk is the last word: never skipped, a timeout is a rejection
                return result(False, problem, names)
            return result(True, "", names)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _header_identity(self, names: Sequence[str], preamble: str) -> dict[str, str | None]:
        """For each name, its identity in a fresh coqtop that ran only `preamble`, or None."""
        return self._per_preamble(self._identities, _header_identities, names, preamble)

    def _per_preamble(self, cache: dict, lookup, names: Sequence[str], preamble: str) -> dict[str, str | None]:
        """`lookup`'s answer for each name, names not seen before with this preamble looked up
        together in one coqtop, then cached (None where it has none)."""
        new = [n for n in dict.fromkeys(names) if (preamble, n) not in cache]
        if new:
            cache.update(lookup(new, preamble, self.config, str(self.root)))
            for name in new:
                cache.setdefault((preamble, name), None)
        return {n: cache[(preamble, n)] for n in names}

    def _coqchk(self, proof_dir: Path) -> str | None:
        coqchk = str(Path(shutil.which(self.config.coqc) or self.config.coqc).with_name("coqchk"))
        code, out, err, timed_out = run_once(
            [coqchk, "-o", "-silent", "-Q", str(proof_dir), PROOF_LIB, "-norec", f"{PROOF_LIB}.Proof"],
            self.config.verify_timeout,
            cwd=proof_dir,
            memory_limit_mb=self.config.memory_limit_mb,
        )
        if timed_out:
            return f"coqchk did not finish within {self.config.verify_timeout:.0f} s"
        if code != 0:
            return f"coqchk rejected the proof: {_errors(out, err)}"
        return parse_coqchk(out + err)  # the summary goes to stderr

    def _header_axiom_types(self, theorem: Theorem, names: Sequence[str], preamble: str) -> dict[str, str | None]:
        """For each name, the type of the axiom it resolves to in a fresh coqtop that ran only
        `preamble` (the header and the extra imports: what the proof module loads before its
        statement; or the header alone), or None when it is no such axiom. Names not seen before
        are looked up in one coqtop, then cached."""
        return self._per_preamble(self._header_axioms, _header_axioms, names, preamble)


def _errors(out: str, err: str) -> str:
    """Coq's first error with the lines that continue it (the message often starts on the line
    after "Error:"), else the last two lines."""
    lines = [ln.strip() for ln in (err + "\n" + out).splitlines() if ln.strip() and "deprecated" not in ln]
    first = next((i for i, ln in enumerate(lines) if ln.startswith("Error")), None)
    return output.printable(" ".join(lines[first : first + 4] if first is not None else lines[-2:])[:500])


def _preamble_session(preamble: str, config: "CoqConfig", scratch: str) -> CoqTop:
    """A fresh coqtop that ran only the preamble."""
    top = CoqTop(config.coqtop, scratch, config.memory_limit_mb)
    try:
        top.send("Set Printing Width 1000.", config.command_timeout)
        for sentence in split_sentences(preamble):
            top.send(sentence, config.command_timeout)
    except BaseException:
        top.kill()
        raise
    return top


def _header_axioms(
    names: list[str], preamble: str, config: "CoqConfig", scratch: str
) -> dict[tuple[str, str], str]:
    """For each name that is an axiom the preamble's libraries bring (in a fresh coqtop that ran
    only the preamble, `Print Assumptions name` lists exactly one axiom), that axiom's type."""
    top = _preamble_session(preamble, config, scratch)
    try:
        for sentence in split_sentences(RAW_PRINTING):
            top.send(sentence, config.command_timeout)
        found: dict[tuple[str, str], str] = {}
        for name in names:
            reply = top.send(f"Print Assumptions {name}.", config.command_timeout)
            status, entries = parse_assumptions(output.strip_noise(reply.output)[0])
            if status == "axioms" and len(entries) == 1:
                found[(preamble, name)] = entries[0].split(" : ", 1)[1]
        return found
    finally:
        top.kill()


def _header_identities(
    names: list[str], preamble: str, config: "CoqConfig", scratch: str
) -> dict[tuple[str, str], str]:
    """For each name that denotes a constant in a fresh coqtop that ran only the preamble, its
    identity (`identity`: full path and type, fully qualified)."""
    top = _preamble_session(preamble, config, scratch)
    try:
        marker = f"prover_identity_{secrets.token_hex(8)}"
        printed = [top.send(s, config.command_timeout).output for s in split_sentences(identity_script(names, marker))]
        return {(preamble, n): found for n, found in parse_identities("\n".join(printed), names, marker).items()}
    finally:
        top.kill()


class _Identities:
    """Whether each axiom of the checked term is the one a preamble brings.

    First by the printed types, as each session prints them; where those differ but the preamble
    does bring an axiom of that name, by identity (`identity`): the same full path and the same
    fully qualified type. The checked side's identities are printed, when first needed, by a
    file written by the verifier alone that loads the two modules exactly as the check did."""

    def __init__(self, verifier: "CoqVerifier", theorem: Theorem, statement: Path, proof_dir: Path, check_dir: Path):
        self.verifier, self.theorem = verifier, theorem
        self.statement, self.proof_dir, self.check_dir = statement, proof_dir, check_dir
        self._checked: dict[str, str | None] = {}

    def not_brought(self, names: Sequence[str], checked: dict[str, str], preamble: str) -> set[str]:
        """The names whose axiom the preamble does not bring (`checked`: each one's printed type)."""
        types = self.verifier._header_axiom_types(self.theorem, names, preamble)
        differing = [n for n in names if types[n] is not None and types[n] != checked[n]]
        same: set[str] = set()
        if differing:
            mine = self._checked_identities(differing)
            theirs = self.verifier._header_identity(differing, preamble)
            same = {n for n in differing if mine[n] is not None and mine[n] == theirs[n]}
        return {n for n in names if types[n] != checked[n] and n not in same}

    def _checked_identities(self, names: Sequence[str]) -> dict[str, str | None]:
        new = [n for n in dict.fromkeys(names) if n not in self._checked]
        if new:
            marker = f"prover_identity_{secrets.token_hex(8)}"
            file = self.check_dir / "Identity.v"
            file.write_text(f"Require {STMT_LIB}.Stmt {PROOF_LIB}.Proof.\n{identity_script(new, marker)}", encoding="utf-8")
            code, out, err, timed_out = self.verifier._coqc(
                file, [(self.statement, STMT_LIB), (self.proof_dir, PROOF_LIB)]
            )
            found = parse_identities(out, new, marker) if code == 0 and not timed_out else {}
            self._checked.update({n: found.get(n) for n in new})
        return {n: self._checked[n] for n in names}


def _preamble(theorem: Theorem, config: "CoqConfig") -> str:
    """What the proof module runs before its statement: the header, then the extra imports."""
    return f"{theorem.header.rstrip()}\n{config.extra_imports.strip()}\n"
