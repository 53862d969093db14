"""Independent check of a found Coq proof: `coqc` in a fresh process, then an axiom audit.

The checked file is the original header and statement, byte for byte, then the script and `Qed.`,
then `Print Assumptions`. Every axiom the proof uses must already exist, with the same type, in a
fresh coqtop that has run only the header: that admits what the header's libraries bring (Coq.Reals'
classical axioms when the header loads Reals) and nothing a proof could have smuggled in.
"""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from lean_env.base import Theorem, Verification
from lean_env.coq import output
from lean_env.coq.process import CoqTop
from lean_env.coq.sentences import SentenceError, split_sentences, split_tactic
from lean_env.process import run_once

if TYPE_CHECKING:
    from lean_env.coq.env import CoqConfig

_MARK = "(* prover: proof script below *)"


def proof_file(theorem: Theorem, proof: Sequence[str]) -> str:
    """The text coqc checks: header, statement (unchanged), script, Qed, Print Assumptions.

    The script is the screened sentences, one per line, exactly as the live coqtop ran them, not
    the raw tactic texts: a raw text that coqc lexes differently from the screen (comments, odd
    whitespace) must not get a different meaning here. Raises ValueError for an unscreenable text.
    """
    lines = []
    for tactic in proof:
        sentences, reason = split_tactic(tactic)
        if reason:
            raise ValueError(reason)
        lines.extend(sentences)
    script = "\n".join(lines)
    return (
        f"{theorem.header.rstrip()}\n\n{theorem.statement.strip()}\nProof.\n{_MARK}\n{script}\nQed.\n"
        f"Print Assumptions {theorem.name}.\n"
    )


def parse_assumptions(text: str) -> tuple[str, list[str]]:
    """From `Print Assumptions` output: (status, entries) where status is "closed", "axioms" or
    "other" (any section besides Axioms, e.g. type-in-type or guard assumptions: never allowed)."""
    start = max(text.rfind("Closed under the global context"), text.rfind("Axioms:"))
    if start < 0:
        return "other", []
    tail = text[start:]
    if tail.startswith("Closed under the global context"):
        return "closed", []
    entries: list[str] = []
    for line in tail.split("\n")[1:]:
        if not line.strip():
            continue
        if line.startswith(" ") and entries:
            entries[-1] += " " + line.strip()
        elif re.match(r"^[A-Z][\w ]*:$", line.strip()):
            return "other", entries  # another section header, such as "Section Variables:"
        else:
            entries.append(line.strip())
    return "axioms", [" ".join(e.split()) for e in entries]


def _header_axioms(theorem: Theorem, names: list[str], config: "CoqConfig", scratch: str) -> dict[str, str]:
    """For each name, its `Print Assumptions` entry in a fresh coqtop that ran only the header."""
    top = CoqTop(config.coqtop, scratch, config.memory_limit_mb)
    try:
        top.send("Set Printing Width 1000.", config.command_timeout)
        for sentence in split_sentences(theorem.header):
            top.send(sentence, config.command_timeout)
        found: dict[str, str] = {}
        for name in names:
            reply = top.send(f"Print Assumptions {name}.", config.command_timeout)
            status, entries = parse_assumptions(output.strip_noise(reply.output)[0])
            if status == "axioms" and len(entries) == 1:
                found[name] = entries[0]
        return found
    finally:
        top.kill()


def verify_proof(theorem: Theorem, proof: Sequence[str], config: "CoqConfig", scratch: str) -> Verification:
    start = time.monotonic()
    for tactic in proof:
        reason = split_tactic(tactic)[1]
        if reason:
            return Verification(False, f"script rejected: {reason}", "", seconds=time.monotonic() - start)
    text = proof_file(theorem, proof)

    def result(ok: bool, message: str, axioms: Sequence[str] = ()) -> Verification:
        return Verification(ok, message, text, tuple(axioms), time.monotonic() - start)

    try:
        split_sentences(text)
    except SentenceError as exc:
        return result(False, f"script does not parse: {exc}")
    with tempfile.TemporaryDirectory(dir=scratch) as tmp:
        path = Path(tmp) / f"{re.sub(r'[^A-Za-z0-9_]', '_', theorem.name)}.v"
        path.write_text(text)
        code, out, err, timed_out = run_once(
            # No native compiler: a proof must not make the checker spawn ocamlopt (it falls back
            # to the VM, which the live coqtop used too, since the screen refuses native tactics).
            [config.coqc, "-q", "-native-compiler", "no", path.name], config.verify_timeout, cwd=tmp, memory_limit_mb=config.memory_limit_mb
        )
    if timed_out:
        return result(False, f"coqc did not finish within {config.verify_timeout:.0f} s")
    if code != 0:
        lines = [ln for ln in (err + out).splitlines() if ln.strip()]
        errors = [ln for ln in lines if ln.startswith("Error")]
        return result(False, f"coqc rejected the proof: {' '.join(errors or lines[-1:])[:500]}")
    status, entries = parse_assumptions(out)
    if status == "closed":
        return result(True, "")
    if status == "other":
        return result(False, f"proof relies on assumptions other than axioms: {out[-300:]!r}")
    names = [e.split(" : ", 1)[0].strip() for e in entries]
    known = _header_axioms(theorem, names, config, scratch)
    foreign = [e for n, e in zip(names, entries) if known.get(n) != e]
    if foreign:
        return result(False, f"axioms not brought by the header: {'; '.join(foreign)[:500]}", names)
    return result(True, "", names)
