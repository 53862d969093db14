"""Screen Isabelle proof text so that nothing that cheats or escapes the logic is ever sent.

Proof text is untrusted model output. Refused: giving up (`sorry`, `oops`, `admit`), extending the
logic (`axiomatization`, `oracle`, `ML` and the other `*_setup` commands that run ML), switching off
checking (`quick_and_dirty`, `skip_proofs`), and top-level commands that would end the proof and
state something else (`theorem`, `lemma`, `end`, ...). Comments, strings and cartouches are ignored,
so a word inside a formula or an informal comment does not count.
"""

from __future__ import annotations

import re

_GIVE_UP = {"sorry", "oops", "admit"}
_UNSAFE = {
    "axiomatization", "axioms", "oracle", "ML", "ML_file", "ML_val", "ML_command", "ML_prf", "SML_file",
    "setup", "local_setup", "declaration", "syntax_declaration", "attribute_setup", "method_setup",
    "simproc_setup", "consts", "defs", "code_printing", "quick_and_dirty", "skip_proofs", "cheat_tac",
    "Skip_Proof", "bundle", "unbundle",
}
_TOP_LEVEL = {
    "theorem", "lemma", "corollary", "proposition", "schematic_goal", "theory", "end", "definition",
    "fun", "function", "primrec", "datatype", "locale", "interpretation", "instantiation", "context",
}
# Diagnostic commands: they prove nothing, so a final proof that still holds one is a hole.
_DIAGNOSTIC = {"sledgehammer", "try0", "try", "nitpick", "quickcheck", "print_state"}
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_']*")


class ScreenError(ValueError):
    """Unbalanced comment, string or cartouche."""


def mask_text(text: str) -> str:
    """`text` with comments `(* *)`, strings `"..."` and cartouches blanked out, offsets and line
    breaks kept, so a match in the result is at the same place in `text`."""
    out, i, n = list(text), 0, len(text)

    def blank(a: int, b: int) -> None:
        for k in range(a, min(b, n)):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        if text.startswith("(*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("(*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*)", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            if depth:
                raise ScreenError("unclosed comment")
        elif text.startswith("\\<open>", i) or text[i] == "\u2039":
            depth, j = 1, i + (7 if text[i] == "\\" else 1)
            while j < n and depth:
                if text.startswith("\\<open>", j) or text[j] == "\u2039":
                    depth, j = depth + 1, j + (7 if text[j] == "\\" else 1)
                elif text.startswith("\\<close>", j) or text[j] == "\u203a":
                    depth, j = depth - 1, j + (8 if text[j] == "\\" else 1)
                else:
                    j += 1
            if depth:
                raise ScreenError("unclosed cartouche")
        elif text[i] in "\"`":
            j = i + 1
            while j < n and text[j] != text[i]:
                j += 2 if text[j] == "\\" else 1
            if j >= n:
                raise ScreenError("unclosed string")
            j += 1
        else:
            i += 1
            continue
        blank(i, j)
        i = j
    return "".join(out)


def screen_proof(text: str, allow: frozenset[str] = frozenset()) -> str | None:
    """Why `text` (proof text, not a theory) may not be sent, or None. `allow` lifts the ban on
    some words (the sketch elaborator allows its own hole markers)."""
    if not text.strip():
        return "empty proof text"
    try:
        words = set(_WORD.findall(mask_text(text)))
    except ScreenError as exc:
        return str(exc)
    for group, why in (
        (_GIVE_UP, "gives up on a goal"),
        (_UNSAFE, "may extend or bypass the logic"),
        (_TOP_LEVEL, "is a top-level command, not proof text"),
        (_DIAGNOSTIC, "proves nothing (a hole left open)"),
    ):
        bad = sorted((words & group) - allow)
        if bad:
            return f"forbidden word {bad[0]!r}: {why}"
    if "[[" in text and re.search(r"\[\[\s*(quick_and_dirty|skip_proofs)", text):
        return "forbidden option: switches off proof checking"
    return None


def screen_tactic(tactic: str) -> str | None:
    """Why `tactic` may not be sent to Isabelle, or None when it may (the registry's screen)."""
    return screen_proof(tactic)
