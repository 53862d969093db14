"""Nested block delimiters, as proof assistants' lexers count them."""

from __future__ import annotations


def nested_end(text: str, start: int, opener: str, closer: str) -> int | None:
    """Offset just past the `closer` that closes a block whose first `opener` ends before `start`,
    counting the openers and closers met on the way (`/- /- -/ -/`, `(* (* *) *)`); None when the
    text ends first. Each delimiter is read whole at the position it starts, as Lean's and
    Isabelle's lexers read them."""
    depth, i, n = 1, start, len(text)
    while i < n:
        if text.startswith(opener, i):
            depth, i = depth + 1, i + len(opener)
        elif text.startswith(closer, i):
            depth, i = depth - 1, i + len(closer)
            if depth == 0:
                return i
        else:
            i += 1
    return None
