"""Lean's pretty-printed goals (`Meta.ppGoal`) parsed into `Goal`/`Hypothesis` values.

The REPL only gives goals as text: an optional `case tag` line, one line per hypothesis group
(`a b : ℕ`, `y : ℕ := x + 1`), then `⊢ conclusion`; long expressions wrap onto lines indented
by the pretty printer, which belong to the item above them.
"""

from __future__ import annotations

from lean_env.base import Goal, Hypothesis

TURNSTILE = "⊢"


def parse_goal(text: str) -> Goal:
    """Parse one goal; text that does not look like a goal becomes its conclusion verbatim."""
    items: list[str] = []
    for line in text.split("\n"):
        if items and (line[:1].isspace() or not line):
            items[-1] += "\n" + line
        else:
            items.append(line)
    if items and items[0].startswith("case "):
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
    return Goal(tuple(hypotheses), conclusion)


def _parse_hypothesis(item: str) -> Hypothesis:
    names, sep, rest = item.partition(" : ")
    if not sep:
        return Hypothesis((), item.strip())
    value = None
    type_, vsep, body = rest.partition(" := ")
    if vsep:
        value = body.strip()
    return Hypothesis(tuple(names.split()), type_.strip(), value)


def parse_goals(goals: tuple[str, ...] | list[str]) -> tuple[Goal, ...]:
    return tuple(parse_goal(g) for g in goals)


def pretty(goals: tuple[str, ...] | list[str]) -> str:
    """The goals as Lean shows them one after another (blank line between goals)."""
    return "\n\n".join(goals) if goals else "no goals"
