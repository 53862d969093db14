"""Read a Lean theorem from a `.lean` file or from a bare statement given on the command line.

The header is everything before the first `theorem`/`lemma` (imports, options, opens); the
statement runs up to and including its `:= by`, as miniF2F's `formal_statement` has it.
"""

from __future__ import annotations

import re

from lean_env.base import BadTheorem, Theorem

DEFAULT_HEADER = "import Mathlib\nset_option maxHeartbeats 400000\nopen BigOperators Real Nat Topology Rat\n"
_DECL = re.compile(r"^(?:@\[[^\]]*\]\s*)?(?:theorem|lemma)\s+([^\s(\[{:]+)", re.M)
_BY = re.compile(r":=\s*by\b")


def theorem_from_text(text: str, name: str | None = None) -> Theorem:
    decls = list(_DECL.finditer(text))
    if not decls:
        raise BadTheorem("no theorem or lemma found")
    if name is not None:
        decls = [d for d in decls if d.group(1) == name] or []
        if not decls:
            raise BadTheorem(f"no theorem named {name!r}")
    elif len(decls) > 1:
        names = ", ".join(d.group(1) for d in decls)
        raise BadTheorem(f"{len(decls)} theorems found ({names}): choose one with --name")
    decl = decls[0]
    by = _BY.search(text, decl.end())
    if by is None:
        raise BadTheorem(f"{decl.group(1)}: the statement must end with ':= by'")
    return Theorem(decl.group(1), text[: decl.start()], text[decl.start() : by.end()] + "\n", backend="lean")


def theorem_from_statement(statement: str, header: str | None = None) -> Theorem:
    """`(n : ℕ) : n + 0 = n` (named `user_theorem`) or a full `theorem foo … := by`."""
    text = statement.strip()
    if not text:
        raise BadTheorem("empty statement")
    text = re.sub(r":=\s*by\s*(sorry)?\s*$", "", text).rstrip()
    if not _DECL.match(text):
        text = f"theorem user_theorem {text}" if text.startswith(("(", "{", "[")) else f"theorem user_theorem : {text}"
    return theorem_from_text((DEFAULT_HEADER if header is None else header.rstrip() + "\n") + "\n" + text + " := by\n")
