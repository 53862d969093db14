"""What the propositional assistant may be sent: one known tactic per text, never `admit`."""

from __future__ import annotations

import re

_TACTIC = re.compile(r"intro \w+|split|destruct \w+ as \w+ \w+|exact \w+|trivial|idle|loop")


def screen_tactic(tactic: str) -> str | None:
    """Why `tactic` may not be sent, or None. A whitelist: anything the assistant would read as
    something else (two tactics, a command) is refused, and `admit` closes goals without proof."""
    text = tactic.strip()
    if re.search(r"\badmit\b", text):
        return "'admit' gives up the goal"
    if not _TACTIC.fullmatch(text):
        return f"not a tactic of the propositional assistant: {text[:60]!r}"
    return None
