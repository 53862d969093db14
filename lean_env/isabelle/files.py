"""Reading a theorem out of an Isabelle theory file (`.thy`)."""

from __future__ import annotations

import re

from lean_env.base import BadTheorem, Theorem

_DECL = re.compile(r"^theorem\s+([\w']+)", re.MULTILINE)
_PROOF = re.compile(r"^\s*(?:proof|by|sorry|apply|using|unfolding|oops)\b", re.MULTILINE)


def theorem_from_text(text: str, name: str | None = None) -> Theorem:
    """Header (theory … begin) and the theorem named `name` (else the first) up to its proof.
    Raises BadTheorem when the theory states no theorem."""
    m = next((m for m in _DECL.finditer(text) if m.group(1) == name), None) or _DECL.search(text)
    if m is None:
        raise BadTheorem(f"{name or 'the theory'}: no theorem in the theory")
    end = _PROOF.search(text, m.end())
    statement = text[m.start() : end.start() if end else len(text)].rstrip()
    return Theorem(name or m.group(1), text[: m.start()], statement, backend="isabelle")
