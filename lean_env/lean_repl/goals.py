"""Lean's pretty-printed goals (`Meta.ppGoal`) parsed into `Goal`/`Hypothesis` values.

The REPL only gives goals as text: an optional `case tag` line, one line per hypothesis group
(`a b : ℕ`, `y : ℕ := x + 1`), then `⊢ conclusion`. Long expressions wrap onto lines indented
by the pretty printer, which belong to the item above them; a long hypothesis is printed as
`h₀ :` with its whole type on the following indented lines. A type may itself contain ` := `
(`f (n := 1)`, `let x := 1; x = x`), so the value of a local definition starts only at a
` := ` outside brackets that no `let`/`have` in the type claims.
"""

from __future__ import annotations

import re

from lean_env.base import Goal, Hypothesis

TURNSTILE = "⊢"
_CASE = re.compile(r"case\s+(\S.*)$")
# Names, then ` :` followed by a space or the end of the line (the type wraps below).
_NAMES = re.compile(r"^(\S+(?: \S+)*?) :(?=[ \n]|$)")
_OPEN, _CLOSE = "([{⟨⦃", ")]}⟩⦄"
_BINDS_VALUE = re.compile(r"(?<![\w'.])(?:let|have|letI|haveI|let_fun)(?![\w'!?])")


def parse_goal(text: str) -> Goal:
    """Parse one goal; text that does not look like a goal becomes its conclusion verbatim."""
    # Lines gathered per item, then joined: `+=` on the item copied it per line, quadratic in the
    # lines of one item (a «name» may hold thousands of line breaks, printed as they are).
    runs: list[list[str]] = []
    for line in text.split("\n"):
        if runs and (line[:1].isspace() or not line):
            runs[-1].append(line)
        else:
            runs.append([line])
    items = ["\n".join(run) for run in runs]
    tag = ""
    if items:
        case = _CASE.match(items[0])
        if case:
            tag = case.group(1).strip()
            items = items[1:]
    hypotheses: list[Hypothesis] = []
    conclusion: str | None = None
    for i, item in enumerate(items):
        if item.startswith(TURNSTILE):
            conclusion = "\n".join(items[i:])[len(TURNSTILE) :].strip()
            break
        hypotheses.append(_parse_hypothesis(item))
    if conclusion is None:
        return Goal((), text.strip())
    return Goal(tuple(hypotheses), conclusion, tag)


def _parse_hypothesis(item: str) -> Hypothesis:
    found = _NAMES.match(item)
    if found is None:
        return Hypothesis((), item.strip())
    rest = item[found.end() :]
    split = _value_separator(rest)
    if split < 0:
        return Hypothesis(tuple(found.group(1).split()), rest.strip())
    return Hypothesis(tuple(found.group(1).split()), rest[:split].strip(), rest[split + 4 :].strip())


def _value_separator(text: str) -> int:
    """Index of the ` := ` that starts a local definition's value, or -1."""
    depth = 0
    pending = 0  # `let`/`have` binders in the type whose own `:=` is still to come
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(0, depth - 1)
        elif depth == 0:
            binder = _BINDS_VALUE.match(text, i)
            if binder and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "_'.")):
                pending += 1
                i = binder.end()
                continue
            if text.startswith(" := ", i) or (text.startswith(" :=", i) and text[i + 3 : i + 4] in ("\n", "")):
                if pending:
                    pending -= 1
                else:
                    return i
        i += 1
    return -1


def parse_goals(goals: tuple[str, ...] | list[str]) -> tuple[Goal, ...]:
    return tuple(parse_goal(g) for g in goals)


def pretty(goals: tuple[str, ...] | list[str]) -> str:
    """The goals as Lean shows them one after another (blank line between goals)."""
    return "\n\n".join(goals) if goals else "no goals"
