"""The sentences that declare a theorem to prove, as Coq 8.16 reads them.

Coq opens a proof for `Theorem`, `Lemma`, `Fact`, `Remark`, `Corollary`, `Proposition` and
`Property` (its theorem keywords) and for `Example` (a definition keyword that may be proved
with a script like a theorem). Such a declaration may carry one locality: `Local` or `Global`,
or the attribute `#[local]`/`#[global]` (Coq refuses both at once). Locality only decides whether
the name is visible by its short name outside the file or section, never what the statement says,
so these are honest declarations; every other attribute (`Program`, `Polymorphic`, `#[program]`,
`#[universes(...)]`, ...) changes how the statement or its proof is elaborated and is not read as
a theorem here, nor are `Definition`, `Instance`, `Let`, `Axiom` or `Parameter`.
"""

from __future__ import annotations

import re

THEOREM_KEYWORDS = ("Theorem", "Lemma", "Fact", "Remark", "Corollary", "Proposition", "Property", "Example")
KEYWORD = "(?:" + "|".join(THEOREM_KEYWORDS) + ")"
_LOCALITY = r"(?:#\[\s*(?:local|global)\s*\]\s*|(?:Local|Global)\s+)?"
# `match(text, start)` at a sentence's start (blanks allowed before it, no comment inside the
# prefix): the keyword and the declared name.
DECLARATION = re.compile(rf"\s*{_LOCALITY}(?P<keyword>{KEYWORD})\s+(?P<name>[A-Za-z_][\w']*)(?![\w'.])")


def declared_name(statement: str) -> str | None:
    """The name a theorem declaration sentence declares, or None for any other sentence."""
    m = DECLARATION.match(statement)
    return m.group("name") if m else None
