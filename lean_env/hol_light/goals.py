"""HOL Light goals as the driver prints them, turned into `Goal` values and a HOL-style display.

The driver frames a state as lines `H <label> <term>` (one per assumption, oldest first) and
`C <term>` (the conclusion, ending each goal), every field hex-encoded so that no term text can
break the framing.
"""

from __future__ import annotations

import re

from lean_env.base import Goal, Hypothesis
from lean_env.base import ProtocolError
from lean_env.hol_light.zygote import unhex


def parse_state(body: str) -> tuple[Goal, ...]:
    """The goals of one framed state (its lines after the `STATE <id>` line)."""
    goals: list[Goal] = []
    hyps: list[Hypothesis] = []
    for line in body.splitlines():
        if not line.strip():
            continue
        fields = line.split()
        if fields[0] == "H" and len(fields) in (2, 3):
            label = unhex(fields[1]) if len(fields) == 3 else ""
            hyps.append(Hypothesis((label or str(len(hyps)),), unhex(fields[-1])))
        elif fields[0] == "C" and len(fields) == 2:
            goals.append(Goal(tuple(hyps), unhex(fields[1])))
            hyps = []
        else:
            raise ProtocolError(f"unexpected line in a HOL Light state: {line[:80]!r}")
    if hyps:
        raise ProtocolError("assumptions without a conclusion in a HOL Light state")
    return tuple(goals)


def pretty(goals: tuple[Goal, ...]) -> str:
    """The goals as HOL Light's `print_goal` shows them: numbered assumptions, then the goal."""
    blocks = []
    for goal in goals:
        lines = []
        for i, hyp in enumerate(goal.hypotheses):
            label = hyp.names[0]
            suffix = f" ({label})" if label != str(i) else ""
            lines.append(f"{i:>3} [`{hyp.type}`]{suffix}")
        blocks.append("\n".join(lines + ([""] if lines else []) + [f"`{goal.conclusion}`"]))
    head = f"{len(goals)} subgoals\n\n" if len(goals) > 1 else ""
    return head + "\n\n".join(blocks)


_ERROR_LINE = re.compile(
    r"^(Error|Exception|Stack overflow during evaluation)[^\n]*(?:\n[ \t]+[^\n]*)*", re.M
)
_PROMPTS = re.compile(r"^(?:# )+", re.M)


def without_prompts(text: str) -> str:
    """`text` with the toplevel's `# ` prompts taken off each line's start: an exception raised
    while OCaml builds the tactic (before the driver's handler) is printed right after one."""
    return _PROMPTS.sub("", text)


def toplevel_errors(text: str) -> str:
    """The toplevel's error lines in `text` (a type error, an unbound name, an exception), as one line."""
    found = _ERROR_LINE.finditer(without_prompts(text))
    return "; ".join(" ".join(m.group().split()) for m in found)[:500]
