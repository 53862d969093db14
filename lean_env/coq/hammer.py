"""CoqHammer's `hammer`: run it live, record its reconstruction, never let it reach a checker.

`hammer` asks external first-order provers (E, Z3) for the lemmas a goal needs, then rebuilds the
proof with Coq's own `sauto`-family tactics and prints "Replace the hammer tactic with: TAC".
A recorded proof must contain that replacement, not `hammer`: replaying or verifying it then
needs no external prover and gives the same result every time. So the live bridge accepts
`hammer` only as a sentence of its own (an optional goal selector in front) and swaps in the
replacement, and the verifier refuses any script that still calls it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# The tactic notation, as a whole word (not `sauto`, `hammer_hook`, or a name like `hammer1`).
_MENTION = re.compile(r"(?<![\w'.])hammer(?![\w'])")
_SENTENCE = re.compile(r"^((?:\d+|all)\s*:\s*)?hammer\s*\.$")
_REPLACE = re.compile(r"Replace the hammer tactic with:\s*(.+?)\s*$", re.S)


def mentions_hammer(sentence: str) -> bool:
    return _MENTION.search(sentence) is not None


def is_hammer_sentence(sentence: str) -> bool:
    """`hammer.` or `2: hammer.`: the only forms the bridge runs (and then replaces)."""
    return _SENTENCE.match(sentence.strip()) is not None


def replacement(sentence: str, notes: Sequence[str]) -> str | None:
    """The sentence to record instead of a successful `hammer` sentence, from coqtop's info
    messages; None when hammer printed no reconstruction."""
    for note in notes:
        m = _REPLACE.search(note)
        if m:
            tactic = m.group(1).strip().rstrip(".").strip()
            if not tactic or mentions_hammer(tactic):
                return None
            selector = _SENTENCE.match(sentence.strip()).group(1) or ""  # type: ignore[union-attr]
            return f"{selector}{tactic}."
    return None
