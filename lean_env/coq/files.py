"""Read a theorem from a `.v` file or from a bare statement given on the command line, and the
proofs a `.v` file holds (for `prover verify`)."""

from __future__ import annotations

import re

from lean_env.assistant import ProofToCheck
from lean_env.base import BadTheorem, Theorem
from lean_env.coq.declarations import DECLARATION
from lean_env.coq.sentences import SentenceError, sentence_spans

DEFAULT_HEADER = "Require Import Arith ZArith Lia Psatz.\n"


def theorem_from_text(text: str, name: str | None = None) -> Theorem:
    """The header (everything before the declaration, unchanged) and the declaration sentence.

    Whatever follows the declaration (`Proof.`, `Admitted.`, an old proof) is ignored. With several
    declarations, `name` picks one; without it the file must hold exactly one.
    """
    try:
        spans = sentence_spans(text)
    except SentenceError as exc:
        raise BadTheorem(f"cannot read the file: {exc}") from None
    decls = []
    for a, b in spans:
        m = DECLARATION.match(text, a)
        if m:
            decls.append((m.group("name"), a, b))
    if not decls:
        raise BadTheorem("no Theorem or Lemma found")
    if name is not None:
        chosen = [d for d in decls if d[0] == name]
        if not chosen:
            raise BadTheorem(f"no theorem named {name!r} (found: {', '.join(d[0] for d in decls)})")
    elif len(decls) > 1:
        raise BadTheorem(
            f"{len(decls)} theorems found ({', '.join(d[0] for d in decls)}): choose one with --name"
        )
    else:
        chosen = decls
    found, a, b = chosen[0]
    return Theorem(name=found, header=text[:a], statement=text[a:b], backend="coq")


def theorem_from_statement(statement: str, header: str | None = None) -> Theorem:
    """A statement such as `forall n : nat, n + 0 = n` (named `user_theorem`) or a full
    `Theorem foo : ... .` declaration."""
    text = statement.strip()
    if not text:
        raise BadTheorem("empty statement")
    if not text.endswith("."):
        text += "."
    if not DECLARATION.match(text):
        text = f"Theorem user_theorem : {text}"
    # One sentence only: `-s "True. Axiom c : False"` used to prove `True` and drop the rest
    # silently (theorem_from_text ignores whatever follows a file's declaration).
    try:
        count = len(sentence_spans(text))
    except SentenceError as exc:
        raise BadTheorem(f"cannot read the statement: {exc}") from None
    if count != 1:
        raise BadTheorem(f"the statement must be one sentence, found {count}: {text[:80]!r}")
    return theorem_from_text((DEFAULT_HEADER if header is None else header.rstrip() + "\n") + "\n" + text)


_END = re.compile(r"(Qed|Defined|Admitted|Abort)\b")


def proofs_in_coq_text(text: str) -> list[ProofToCheck]:
    """Each declaration of a `.v` text with the sentences of its proof."""
    spans = sentence_spans(text)
    sentences = [text[a:b] for a, b in spans]
    first = next((i for i, s in enumerate(sentences) if DECLARATION.match(s)), None)
    if first is None:
        return []
    header = text[: spans[first][0]]
    found: list[ProofToCheck] = []
    i = first
    while i < len(sentences):
        m = DECLARATION.match(sentences[i])
        if not m:
            i += 1
            continue
        statement, script, j, closing = sentences[i], [], i + 1, ""
        while j < len(sentences):
            s = sentences[j].strip()
            end = _END.match(s)
            if end and s.rstrip(".").strip() == end.group(1):
                closing = end.group(1)
                break
            if DECLARATION.match(s):
                break
            if not (s == "Proof." or s.startswith("Proof using")):
                script.append(sentences[j])
            j += 1
        problem = "" if closing in ("Qed", "Defined") else f"proof closed with {closing or 'nothing'}"
        found.append(ProofToCheck(m.group("name"), header, statement, tuple(script), problem))
        i = j + 1
    return found
