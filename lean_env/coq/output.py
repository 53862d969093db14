"""Read what `coqtop -emacs` prints after a sentence: errors, goal displays, and proof status.

Formats: a display starts with "N goals (ID k)"; only the first goal
shows hypotheses, the others show "goal i (ID j) is:" and a conclusion; `Show i.` prints goal i in
full. After a `BackTo`, the restored goals are printed together with the next command's output, so
the *last* display is the one that counts. Info and warning blocks are removed first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from lean_env.base import Goal, Hypothesis, LazyGoals, ProtocolError

# The location Coq prints before a warning: a line naming the characters, then the input echoed
# on lines that start with ">".
_LOCATION = re.compile(r"Toplevel input, characters \d+-\d+:\n")
_ERROR = re.compile(r"^Error:(.*)", re.S | re.M)
_HEADER = re.compile(r"^(\d+) (?:focused )?goals?(?: \(shelved: \d+\))?(?: \(ID \d+\))?$", re.M)
_OTHER_GOAL = re.compile(r"^goal (\d+)(?: \(ID \d+\))? is:$", re.M)
_HYP = re.compile(r"^([^\s:,=]+(?:, [^\s:,=]+)*) (:=|:) (.*)$", re.S)

NO_MORE_GOALS = "No more goals."
GAVE_UP = "No more goals, but there are some goals you gave up"
UNFOCUSED = "This subproof is complete, but there are some unfocused goals."
SHELF = "All the remaining goals are on the shelf."
_MEANINGFUL_NOTES = (UNFOCUSED.split(",")[0], SHELF.rstrip("."), "No more goals")


@dataclass(frozen=True, slots=True)
class Parsed:
    error: str | None  # Coq's error message, None when the sentence succeeded
    goals: Sequence[Goal]  # the last goal display, focused goal first (parsed when first read)
    count: int  # how many goals the display announces
    display: str  # that display as printed, IDs removed
    notes: tuple[str, ...]  # info messages such as "This subproof is complete, ..."
    status: str  # "goals", "proved", "gave_up", "empty" (nothing printed)


def _blocks(text: str, tag: str) -> tuple[list[str], list[str]]:
    """Split `text` at its `<tag>...</tag>` blocks: (the pieces around them, their contents).

    Read with `find`, in one pass: an answer can hold text a tactic computed (with a header that
    imports Coq.Strings.String, any characters, tags and newlines included), and a regex retried
    from every unclosed tag, or one whose `.*` spans lines, took quadratic or exponential time.
    """
    opening, closing = f"<{tag}>", f"</{tag}>"
    pieces, contents, i = [], [], 0
    while (start := text.find(opening, i)) >= 0 and (end := text.find(closing, start + len(opening))) >= 0:
        pieces.append(text[i:start])
        contents.append(text[start + len(opening) : end])
        i = end + len(closing)
    pieces.append(text[i:])
    return pieces, contents


def _without_location(piece: str) -> str:
    """`piece` without the location that ends it (see `_LOCATION`), read back line by line."""
    end = len(piece)
    while end and piece.endswith("\n", 0, end):
        start = piece.rfind("\n", 0, end - 1) + 1
        if piece.startswith(">", start):
            end = start
            continue
        if _LOCATION.fullmatch(piece, start, end):
            return piece[:start]
        break
    return piece


def _without_warnings(text: str) -> str:
    if "<warning>" not in text:
        return text
    pieces, _ = _blocks(text, "warning")
    return "".join([_without_location(p) for p in pieces[:-1]] + pieces[-1:])


def strip_noise(text: str) -> tuple[str, tuple[str, ...]]:
    """Remove warning blocks (with the location printed before each) and info blocks; return
    the rest and the info messages."""
    text = _without_warnings(text)
    if "<infomsg>" not in text:
        return text, ()
    pieces, contents = _blocks(text, "infomsg")
    return "".join(pieces), tuple(" ".join(m.split()) for m in contents)


def printable(text: str) -> str:
    """`text` with control and format characters (newlines aside) written as escapes (`\\x1b`):
    Coq prints a string term's bytes below 128 raw (with a header that imports Coq.Strings.String),
    so a proof can put escape sequences into an error message, which the CLI prints to a terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c == "\n" else ascii(c)[1:-1] for c in text)


def _split_type_value(rest: str) -> tuple[str | None, str]:
    """For "x + 1 : nat" (the part after ":=") find the top-level " : " separating value and type."""
    depth = 0
    for i, c in enumerate(rest):
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif depth == 0 and rest.startswith(" : ", i):
            return rest[:i], rest[i + 3 :]
    return None, rest


def _join_wrapped(lines: list[str], indent: int) -> list[str]:
    """Lines indented deeper than `indent` continue the previous line (Coq wraps long terms)."""
    out: list[list[str]] = []  # each line's parts, joined once at the end (not quadratic)
    for line in lines:
        depth = len(line) - len(line.lstrip(" "))
        if out and depth > indent:
            out[-1].append(line.strip())
        elif line.strip():
            out.append([line.strip()])
    return [" ".join(parts) for parts in out]


def parse_hypotheses(lines: list[str]) -> tuple[Hypothesis, ...]:
    hyps = []
    for line in _join_wrapped(lines, 2):
        m = _HYP.match(line)
        if not m:
            hyps.append(Hypothesis((), line))
            continue
        names = tuple(m.group(1).split(", "))
        if m.group(2) == ":=":
            value, typ = _split_type_value(m.group(3))
            hyps.append(Hypothesis(names, typ.strip(), value.strip() if value else None))
        else:
            hyps.append(Hypothesis(names, m.group(3).strip()))
    return tuple(hyps)


def parse_full_goal(block: str) -> Goal:
    """A goal printed with its hypotheses: hyp lines, a rule of '=', then the conclusion."""
    rule = block.find("====")
    if rule < 0:
        return Goal((), " ".join(_join_wrapped(block.split("\n"), 0)))
    start = block.rfind("\n", 0, rule) + 1
    end = block.find("\n", rule)
    hyps = parse_hypotheses(block[:start].split("\n"))
    conclusion = " ".join(_join_wrapped(block[end + 1 :].split("\n"), 2)) if end >= 0 else ""
    return Goal(hyps, conclusion)


def parse_display(display: str) -> tuple[Goal, ...]:
    """Parse one display that starts at its "N goals" header."""
    body = display.split("\n", 1)[1] if "\n" in display else ""
    others = list(_OTHER_GOAL.finditer(body))
    first_end = others[0].start() if others else len(body)
    goals = []
    first = body[:first_end]
    if first.strip():
        goals.append(parse_full_goal(first.strip("\n")))
    for j, m in enumerate(others):
        end = others[j + 1].start() if j + 1 < len(others) else len(body)
        conclusion = " ".join(_join_wrapped(body[m.end() : end].strip("\n").split("\n"), 1))
        goals.append(Goal((), conclusion))
    return tuple(goals)


_ID = re.compile(r" \(ID \d+\)")


def _clean(display: str) -> str:
    return _ID.sub("", display).strip()


def _gave_up(raw: str, first_header: int | None) -> bool:
    """Whether the answer gives goals up: Coq 8.16 prints the note in an <infomsg> block before
    the given-up goals' count. Only there: a goal's display can print it after its count (a string
    term a step computed). `first_header` is where the first count stands in the answer without
    its blocks (None: no count, and the note counts wherever it is); a count printed inside a
    message (`idtac` of a computed string) is no count and does not hide the note after it."""
    note, count = raw.find(GAVE_UP), _HEADER.search(raw)
    if note < 0 or first_header is None or count is None or note < count.start():
        return note >= 0  # no count at all, or the note before any count-like line
    pieces, contents = _blocks(_without_warnings(raw), "infomsg")
    offset = 0  # where each block stands in the answer without its blocks
    for piece, content in zip(pieces, contents):
        if GAVE_UP in piece[: max(0, first_header - offset)]:
            return True
        offset += len(piece)
        if offset > first_header:
            return False
        if GAVE_UP in content:
            return True
    return GAVE_UP in pieces[-1][: max(0, first_header - offset)]


def parse_output(raw: str) -> Parsed:
    if raw and not raw.endswith("\n"):
        # coqtop ends every answer with a newline before its prompt. An answer cut mid-line means
        # the "prompt" that ended it was printed by the sentence itself (a forged prompt): the
        # stream is out of step, and the process must be replaced, not trusted.
        raise ProtocolError(f"answer cut mid-line by a prompt-like text: {raw[-80:]!r}")
    text, notes = strip_noise(raw)
    err = _ERROR.search(text)
    if err:
        message = printable(" ".join(err.group(1).split()))
        return Parsed(message or "error", (), 0, "", notes, "goals")
    headers = list(_HEADER.finditer(text))
    if _gave_up(raw, headers[0].start() if headers else None):
        return Parsed(None, (), 0, "", notes, "gave_up")
    if headers:
        display = _clean(text[headers[-1].start() :])
        return Parsed(None, LazyGoals(display, parse_display), int(headers[-1].group(1)), display, notes, "goals")
    if re.search(r"^No more goals\.$", text, re.M):
        return Parsed(None, (), 0, NO_MORE_GOALS, notes, "proved")
    if not text.strip() and not any(n.startswith(_MEANINGFUL_NOTES) for n in notes):
        # Nothing but messages (an `idtac "..."`): the tactic changed nothing.
        return Parsed(None, (), 0, "", notes, "empty")
    return Parsed(None, (), 0, text.strip(), notes, "goals")


def parse_shown_goal(raw: str) -> Goal | None:
    """Parse the output of `Show i.`: "goal i (ID k) is:" followed by the goal in full."""
    text, _ = strip_noise(raw)
    matches = list(_OTHER_GOAL.finditer(text))
    if not matches:
        return None
    return parse_full_goal(text[matches[-1].end() :].strip("\n"))
