"""A toy proof assistant for propositional logic: the worked example of docs/adding-a-proof-assistant.md.

One JSON object per line on stdin, one answer per line on stdout:

    {"open": "p /\\ q -> q /\\ p"}           -> {"state": 0, "goals": [GOAL, ...]}  or {"error": ...}
    {"state": 0, "tactic": "intro h"}       -> {"state": 1, "goals": [...], "gave_up": false}  or {"error": ...}
    {"check": "p -> p", "proof": [...]}     -> {"ok": true}  or {"ok": false, "error": ...}

A GOAL is {"hyps": [[name, formula], ...], "conclusion": formula}. Formulas: atoms (lowercase
words), True, `A /\\ B`, `A -> B` (right associative, weaker than /\\), parentheses.
Tactics: `intro h` (goal A -> B), `split` (goal A /\\ B: two goals), `destruct h as a b`
(hypothesis A /\\ B), `exact h`, `trivial` (goal True), `idle` (changes nothing), `loop` (never
answers), and `admit`, which closes any goal: the bridge must never send it, and `check` refuses
a proof that uses it.
"""

from __future__ import annotations

import json
import re
import sys

Formula = str | tuple[str, "Formula", "Formula"]  # an atom, or (connective, left, right)
_TOKEN = re.compile(r"\s*(->|/\\|\(|\)|[A-Za-z_]\w*)")


def parse(text: str) -> Formula:
    tokens = _TOKEN.findall(text)
    if "".join(tokens) != re.sub(r"\s+", "", text):
        raise ValueError(f"cannot read {text!r}")
    formula, rest = _implication(tokens)
    if rest:
        raise ValueError(f"unexpected {rest[0]!r} in {text!r}")
    return formula


def _implication(tokens: list[str]) -> tuple[Formula, list[str]]:
    left, rest = _conjunction(tokens)
    if rest[:1] == ["->"]:
        right, rest = _implication(rest[1:])
        return ("->", left, right), rest
    return left, rest


def _conjunction(tokens: list[str]) -> tuple[Formula, list[str]]:
    left, rest = _atom(tokens)
    while rest[:1] == ["/\\"]:
        right, rest = _atom(rest[1:])
        left = ("/\\", left, right)
    return left, rest


def _atom(tokens: list[str]) -> tuple[Formula, list[str]]:
    if not tokens:
        raise ValueError("formula ends too early")
    if tokens[0] == "(":
        inner, rest = _implication(tokens[1:])
        if rest[:1] != [")"]:
            raise ValueError("missing )")
        return inner, rest[1:]
    if tokens[0] in ("->", "/\\", ")"):
        raise ValueError(f"unexpected {tokens[0]!r}")
    return tokens[0], tokens[1:]


def show(f: Formula) -> str:
    if isinstance(f, str):
        return f
    op, left, right = f
    return f"{_paren(left)} {op} {show(right) if op == '->' else _paren(right)}"


def _paren(f: Formula) -> str:
    return f if isinstance(f, str) else f"({show(f)})"


Goal = tuple[tuple[tuple[str, Formula], ...], Formula]  # (hypotheses, conclusion)


def step(goals: list[Goal], tactic: str) -> tuple[list[Goal], bool]:
    """The goals after `tactic` on the first goal, and whether it gave up. Raises ValueError."""
    if not goals:
        raise ValueError("no goals left")
    (hyps, concl), rest = goals[0], goals[1:]
    words = tactic.split()
    named = dict(hyps)
    if words == ["loop"]:
        while True:
            pass
    if words == ["admit"]:
        return rest, True
    if words == ["idle"]:
        return goals, False
    if len(words) == 2 and words[0] == "intro" and isinstance(concl, tuple) and concl[0] == "->":
        return [(hyps + ((words[1], concl[1]),), concl[2])] + rest, False
    if words == ["split"] and isinstance(concl, tuple) and concl[0] == "/\\":
        return [(hyps, concl[1]), (hyps, concl[2])] + rest, False
    if len(words) == 5 and words[0] == "destruct" and words[2] == "as":
        both = named.get(words[1])
        if isinstance(both, tuple) and both[0] == "/\\":
            return [(hyps + ((words[3], both[1]), (words[4], both[2])), concl)] + rest, False
    if len(words) == 2 and words[0] == "exact" and named.get(words[1]) == concl:
        return rest, False
    if words == ["trivial"] and concl == "True":
        return rest, False
    raise ValueError(f"{tactic!r} does not apply to the goal {show(concl)}")


def encode(goals: list[Goal]) -> list[dict[str, object]]:
    return [{"hyps": [[n, show(f)] for n, f in hyps], "conclusion": show(c)} for hyps, c in goals]


def main() -> None:
    states: list[list[Goal]] = []
    for line in sys.stdin:
        request = json.loads(line)
        try:
            if "open" in request:
                states.append([((), parse(request["open"]))])
                answer: dict[str, object] = {"state": len(states) - 1, "goals": encode(states[-1])}
            elif "tactic" in request:
                goals, gave_up = step(states[request["state"]], request["tactic"])
                states.append(goals)
                answer = {"state": len(states) - 1, "goals": encode(goals), "gave_up": gave_up}
            else:
                goals = [((), parse(request["check"]))]
                for number, tactic in enumerate(request["proof"], start=1):
                    goals, gave_up = step(goals, tactic)
                    if gave_up:
                        raise ValueError(f"step {number} gives up")
                answer = {"ok": True} if not goals else {"ok": False, "error": "goals remain"}
        except (ValueError, IndexError, KeyError) as exc:
            answer = {"error": str(exc)} if "check" not in request else {"ok": False, "error": str(exc)}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
