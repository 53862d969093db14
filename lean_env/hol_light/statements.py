"""HOL Light theorem files: miniF2F's `let name = `term`;;` and the proof as a user replays it."""

from __future__ import annotations

import re
from collections.abc import Sequence

from lean_env.base import BadTheorem, Theorem

# Two upstream files repeat their `let <name> =` (amc12-2000-p1, amc12-2000-p6): accepted once more.
_LET = re.compile(r"\A\s*let\s+([A-Za-z][A-Za-z0-9_'\-]*)\s*=\s*(?:let\s+\1\s*=\s*)?`([^`]*)`\s*;;\s*\Z")


def normalise_name(name: str) -> str:
    """miniF2F's HOL Light files use dashes where the Lean and Coq names use underscores."""
    return name.replace("-", "_")


def theorem_from_text(text: str, name: str | None = None) -> Theorem:
    """The theorem of a `let <name> = `<term>`;;` file; the statement is the term, unchanged."""
    m = _LET.match(text)
    if not m:
        raise BadTheorem("not a HOL Light statement file: expected exactly let <name> = `<term>`;;")
    declared = normalise_name(m.group(1))
    if name is not None and normalise_name(name) != declared:
        raise BadTheorem(f"the file declares {declared!r}, not {name!r}")
    statement = m.group(2).strip()
    if not statement:
        raise BadTheorem(f"{declared}: empty statement")
    return Theorem(declared, "", statement, backend="hol-light")


def proof_text(theorem: Theorem, proof: Sequence[str]) -> str:
    """The proof as HOL Light's subgoal package replays it: each step on the first open goal."""
    steps = "".join(f"e({tactic.strip()});;\n" for tactic in proof)
    return f"g `{theorem.statement}`;;\n{steps}let {theorem.name} = top_thm();;\n"
