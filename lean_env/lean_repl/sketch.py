"""Lean 4 sketches: check a skeleton with `sorry` holes in one REPL command, return each hole as a lemma.

A sketch is the proof body after `:= by` (the model may restate the theorem first; it must then be the
original statement, whitespace and comments aside). Comments are dropped (they carry the informal
text, whose words - "notation", "axiom", "prefix" - would trip the tactic screen) and blank lines
too; what is left is one step per line, indentation kept relative to the body. `sorry` is allowed
only as a hole: `… := by sorry`, `… := sorry`, or a line that is just `sorry` (or `· sorry`); every
other line, and the part of a hole line before its `sorry`, passes `screen_tactic`.

Elaboration sends the statement and the skeleton as ONE command on the theorem's header env,
byte for byte the command `verify_proof` compiles (`proof_command`), through the search's own
REPL for that header (no extra Mathlib process). An error message becomes a SketchFailure naming
the line it points at (or INCOMPLETE for `unsolved goals` at the theorem's own `by`); each reported
sorry becomes a Hole with the sorry's goal.

Filling: each hole is a standalone lemma `theorem <name>_hole<k> (x y : ℝ) (h₀ : …) : <goal> := by`,
its binders being the hole's hypotheses as Lean printed them, searched by `best_first_search` on the
same header (search.informal.SearchFiller, exactly as for Coq). Why not search from the sorry's
`proofState` directly: REPL ids live only as long as their process, and every other part of
the bridge (restart, replay, timeouts, recycling) knows a state by (theorem, tactic path) from a
root that a fresh process can rebuild; a lemma is such a root, a sorry id is not. Since the lemma's
binders carry the hypotheses' own names, its proof runs unchanged at the hole: assembly puts the
found tactics in place of the `sorry` (inaccessible names `x✝` get fresh names in the lemma and a
`rename_i` before the tactics at the hole). Let-values (`y : ℕ := e`) become plain binders: the
lemma is then stronger, never unsound. A goal whose text cannot be read back (`⋯` elisions, a line
that is no hypothesis) has no lemma and its hole cannot be filled.

The assembled body is then verified by `LeanEnv.verify` on the original theorem, like every Lean proof:
fresh process, no error, no sorry, axioms allowlisted.
"""

from __future__ import annotations

import re
import textwrap
import time
from collections.abc import Callable, Mapping, Sequence

from lean_env.base import BadTheorem, EnvError, EnvTimeout, Goal, Theorem
from lean_env.lean_repl.goals import parse_goal
from lean_env.lean_repl.protocol import (
    CommandRequest,
    CommandResponse,
    Message,
    Outcome,
    ProofStepRequest,
    ReplError,
    unsendable,
)
from lean_env.lean_repl.screen import DEFAULT_MAX_HEARTBEATS, MAX_PROOF_CHARS, MAX_TACTIC_CHARS, screen_tactic
from lean_env.lean_repl.verify import FIRST, declared_name, parse_probe, proof_command
from lean_env.sketch import (
    Elaboration,
    ElaborationResult,
    Fill,
    Hole,
    SketchFailure,
    SketchFailureKind,
    normalise_space,
    replace_holes,
    strip_fences,
)

K = SketchFailureKind

_BY_SORRY = re.compile(r"^(?P<pre>\s*\S.*?:=\s*by)\s+sorry\s*$")
_TERM_SORRY = re.compile(r"^(?P<pre>\s*\S.*?:=)\s*sorry\s*$")
_BARE_SORRY = re.compile(r"^(?P<indent>\s*)(?P<bullet>[·.]\s*)?sorry\s*$")
# An attribute list on its line: one that may span lines is read from every line start to the
# text's end, quadratic on a sketch of lines opening `@[`.
_DECL = re.compile(r"(?m)^[ \t]*(?:@\[[^\]\n]*\]\s*)?(?:theorem|lemma)\s")
_BY = re.compile(r":=\s*by\b")
_LEADING_BY = re.compile(r"^\s*(?::=\s*)?by\s*$")
_INACCESSIBLE = "✝"
_NAME_CHARS = r"[\w'!?✝⁰¹²³⁴⁵⁶⁷⁸⁹₀₁₂₃₄₅₆₇₈₉]"


# ----------------------------------------------------------------------------- text


def strip_comments(text: str) -> str:
    """`text` without `-- …` line comments and (nested) `/- … -/` block comments; string literals
    are kept as they are. Newlines inside block comments are kept, so lines stay lines."""
    out: list[str] = []
    i, n, depth = 0, len(text), 0
    while i < n:
        if depth:
            if text.startswith("/-", i):
                depth, i = depth + 1, i + 2
            elif text.startswith("-/", i):
                depth, i = depth - 1, i + 2
            else:
                if text[i] == "\n":
                    out.append("\n")
                i += 1
            continue
        c = text[i]
        if text.startswith("/-", i):
            depth, i = 1, i + 2
        elif text.startswith("--", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def hole_kind(step: str) -> tuple[str, str] | None:
    """For a hole line, (kind, text before the `sorry`): kind "by" (`… := by sorry`), "term"
    (`… := sorry`), "bare" (`sorry`, `· sorry`); None for any other line."""
    m = _BY_SORRY.match(step)
    if m:
        return "by", m.group("pre")
    m = _TERM_SORRY.match(step)
    if m:
        return "term", m.group("pre")
    m = _BARE_SORRY.match(step)
    if m:
        return "bare", m.group("indent") + (m.group("bullet") or "")
    return None


def _statement_end(text: str, count: int) -> int | None:
    """The end of the `count`-th `:= by` in `text` (the original statement has `count` of them)."""
    found = list(_BY.finditer(text))
    return found[count - 1].end() if len(found) >= count else None


def extract_steps(theorem: Theorem, text: str, max_heartbeats: int = DEFAULT_MAX_HEARTBEATS) -> list[str] | SketchFailure:
    """The skeleton's lines from a model's text: fences, comments and blank lines removed, dedented;
    a restated theorem is accepted only when it is the original statement."""
    body = strip_comments(strip_fences(text))
    decl = _DECL.search(body)
    if decl is not None:
        preamble = body[: decl.start()]
        header_lines = {normalise_space(line) for line in strip_comments(theorem.header).splitlines()}
        extra = [line for line in preamble.splitlines() if line.strip() and normalise_space(line) not in header_lines]
        if extra:
            return SketchFailure(K.FORBIDDEN, "the sketch adds commands before the theorem", extra[0].strip(), None)
        original = normalise_space(strip_comments(theorem.statement))
        end = _statement_end(body[decl.start() :], max(1, len(_BY.findall(original))))
        if end is None:
            return SketchFailure(K.PARSE, "the restated theorem has no ':= by'")
        stated = body[decl.start() : decl.start() + end]
        if normalise_space(stated) != original:
            return SketchFailure(K.STATEMENT_CHANGED, "the sketch states a different theorem", normalise_space(stated), None)
        rest = body[decl.start() + end :]
        first, _, following = rest.partition("\n")
        lines = ([first.strip()] if first.strip() else []) + textwrap.dedent(following).split("\n")
    else:
        lines = textwrap.dedent(body).split("\n")
        # leading blank lines dropped in one cut (one slice per line was quadratic in their number)
        lines = lines[next((k for k, line in enumerate(lines) if line.strip()), len(lines)) :]
        if lines and _LEADING_BY.match(lines[0]):
            lines = textwrap.dedent("\n".join(lines[1:])).split("\n")
    steps = [line.rstrip() for line in lines if line.strip()]
    if not steps:
        return SketchFailure(K.PARSE, "the sketch has no proof steps")
    # The lines are sent as one text: a string or comment opened on one line changes how Lean
    # reads the next, so the text is screened whole too (a hole's `sorry` is its own business).
    # Its length is checked first: screening a line costs about as much as screening a text of
    # a thousand characters, and a sketch of a hundred thousand short lines took seconds.
    joined = "\n".join(step if hole_kind(step) is None else hole_kind(step)[1] for step in steps)
    if len(joined) > MAX_PROOF_CHARS:
        return SketchFailure(K.FORBIDDEN, f"the sketch read as one text: longer than {MAX_PROOF_CHARS} characters")
    for i, step in enumerate(steps):
        kind = hole_kind(step)
        checked = step if kind is None else kind[1]
        if kind is not None and kind[0] == "bare":
            continue
        why = screen_tactic(checked, max_heartbeats)
        if why is not None:
            return SketchFailure(K.FORBIDDEN, why, step, i)
    why = screen_tactic(joined, max_heartbeats, max_chars=MAX_PROOF_CHARS) if joined.strip() else None
    if why is not None:
        return SketchFailure(K.FORBIDDEN, f"the sketch read as one text: {why}", None, None)
    return steps


# ----------------------------------------------------------------------------- hole lemmas


def _fresh_names(goal: Goal) -> dict[str, str]:
    """Inaccessible hypothesis names (`x✝`, `h✝¹`) mapped to fresh, writable ones, in context order."""
    used = {name for hyp in goal.hypotheses for name in hyp.names}
    fresh: dict[str, str] = {}
    tried: dict[str, int] = {}  # per base, the suffix to try next (from 1 each time was quadratic)
    for hyp in goal.hypotheses:
        for name in hyp.names:
            if _INACCESSIBLE not in name or name in fresh:
                continue
            base = name.split(_INACCESSIBLE)[0] or "h"
            k = tried.get(base, 1)
            while f"{base}_{k}" in used:
                k += 1
            tried[base] = k + 1
            fresh[name] = f"{base}_{k}"
            used.add(fresh[name])
    return fresh


def _renamer(names: Mapping[str, str]) -> Callable[[str], str]:
    """A function renaming each of `names` where it stands as a whole name: its pattern is built
    once per goal (once per hypothesis was quadratic in a context of many shadowed names)."""
    if not names:
        return lambda text: text
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w'.])(?:{alternatives})(?!{_NAME_CHARS})")
    return lambda text: pattern.sub(lambda m: names[m.group(0)], text)


# A lemma's statement is screened as a tactic is (MAX_TACTIC_CHARS at most, blanks collapsed): a
# goal much longer, or with more inaccessible names than a hole ever needs, gets no lemma before
# any work (each name is an alternative tried at every character of the goal).
MAX_HOLE_GOAL_CHARS = 4 * MAX_TACTIC_CHARS
MAX_HOLE_RENAMES = 64


def hole_statement(goal: Goal, pretty: str) -> tuple[str, str] | None:
    """(binders, conclusion) stating `goal` on its own, or None when its text cannot be read back."""
    if "⋯" in pretty or not goal.conclusion or len(pretty) > MAX_HOLE_GOAL_CHARS:
        return None
    names = _fresh_names(goal)
    if len(names) > MAX_HOLE_RENAMES:
        return None
    rename = _renamer(names)
    binders: list[str] = []
    for hyp in goal.hypotheses:
        if not hyp.names or not hyp.type:
            return None  # a context line the parser could not read
        binders.append(f"({' '.join(names.get(n, n) for n in hyp.names)} : {normalise_space(rename(hyp.type))})")
    return " ".join(binders), normalise_space(rename(goal.conclusion))


def hole_lemma(theorem: Theorem, number: int, goal: Goal, pretty: str) -> Theorem | None:
    stated = hole_statement(goal, pretty)
    if stated is None:
        return None
    binders, conclusion = stated
    if screen_tactic(f"{binders} : {conclusion}") is not None:
        return None  # printed by the search's process: text that would run as a command is no goal
    name = f"{theorem.name}_hole{number}"
    head = f"theorem {name} {binders}" if binders else f"theorem {name}"
    return Theorem(name, theorem.header, f"{head} : {conclusion} := by\n", "lean")


# ----------------------------------------------------------------------------- backend


class LeanSketcher:
    """`SketchBackend` for Lean 4, on the header REPLs of a `LeanEnv` (the env the holes are searched
    with and the assembled proof is verified by)."""

    backend = "lean"

    def __init__(self, env, timeout: float | None = None) -> None:  # env: LeanEnv
        self.env = env
        self.timeout = env.config.theorem_timeout if timeout is None else timeout
        self._checked: set[tuple[str, str]] = set()  # (header, statement) known to elaborate

    def elaborate(self, theorem: Theorem, sketch: str) -> ElaborationResult:
        start = time.monotonic()
        if theorem.backend != "lean":
            raise BadTheorem(f"{theorem.name} is written for {theorem.backend!r}, not Lean")
        if declared_name(theorem.statement) != theorem.name:
            raise BadTheorem(f"{theorem.name}: the statement must declare a theorem named {theorem.name!r}")
        max_heartbeats = self.env.config.max_heartbeats
        steps = extract_steps(theorem, sketch, max_heartbeats)
        if isinstance(steps, SketchFailure):
            return steps
        if (theorem.header, theorem.statement) not in self._checked:
            self.env.open(theorem)  # BadTheorem here is the theorem's fault, never the sketch's
            self._checked.add((theorem.header, theorem.statement))
        command = proof_command(theorem, FIRST + tuple(steps), max_heartbeats)
        # Lines that went through one by one may still not fit one request together.
        too_big = (unsendable(ProofStepRequest(proof_state=0, tactic=parse_probe(steps)))
                   or unsendable(CommandRequest(cmd=command)))
        if too_big is not None:
            return SketchFailure(K.FORBIDDEN, too_big)
        # The skeleton parsed as one tactic block, unrun, before the command holding the same
        # lines (`skip` first in both): text that would end the `by` block and go on with
        # commands, which Lean runs even after a parse error, fails here and is never sent.
        unparsed = self._parse(theorem, steps)
        if unparsed is not None:
            return unparsed
        first_body_line = proof_command(theorem, FIRST, max_heartbeats).count("\n") + 2  # 1-based
        response = self._run(theorem, command)
        if isinstance(response, SketchFailure):
            return response
        errors = sorted(response.errors(), key=lambda m: (m.pos.line, m.pos.column))
        if errors:
            return _failure(errors[0], steps, first_body_line)
        holes = self._holes(theorem, steps, response, first_body_line)
        if isinstance(holes, SketchFailure):
            return holes
        return Elaboration(theorem, tuple(steps), holes, time.monotonic() - start)

    def _parse(self, theorem: Theorem, steps: list[str]) -> SketchFailure | None:
        for attempt in range(2):  # as `_run`: one fresh try on a process that dies under us
            repl = self.env._repl_for(theorem.header)
            try:
                root, _ = repl.open(theorem)
                read = repl.step(theorem.name, (), root, parse_probe(steps), self.timeout)
            except EnvTimeout:
                return SketchFailure(K.TIMEOUT, f"the sketch's parse ran past {self.timeout:.0f} s")
            except EnvError:
                repl.kill()
                if attempt:
                    raise
                continue
            if read.outcome is Outcome.OPEN:
                return None
            return SketchFailure(K.PARSE, f"the sketch does not parse as one tactic block: {read.message}")
        raise AssertionError("unreachable")

    def _run(self, theorem: Theorem, command: str) -> CommandResponse | SketchFailure:
        last: EnvError | None = None
        for _attempt in range(2):  # a process that dies under us gets one fresh try, as in LeanEnv
            repl = self.env._repl_for(theorem.header)
            try:
                response = repl.command(command, None, self.timeout)
            except EnvTimeout:
                return SketchFailure(K.TIMEOUT, f"the sketch ran past {self.timeout:.0f} s")
            except EnvError as e:
                last = e
                continue
            if isinstance(response, ReplError):
                return SketchFailure(K.STEP_FAILED, response.message)
            if not isinstance(response, CommandResponse):
                return SketchFailure(K.STEP_FAILED, "the REPL answered the sketch with a proof-step response")
            return response
        assert last is not None
        raise last

    def _holes(
        self, theorem: Theorem, steps: list[str], response: CommandResponse, first_body_line: int
    ) -> tuple[Hole, ...] | SketchFailure:
        by_step: dict[int, list] = {}
        for s in response.sorries:
            index = None if s.pos is None else s.pos.line - first_body_line
            if index is None or not 0 <= index < len(steps) or hole_kind(steps[index]) is None:
                return SketchFailure(K.STEP_FAILED, f"Lean reported a sorry outside the holes: {s.goal[:200]!r}")
            by_step.setdefault(index, []).append(s)
        holes: list[Hole] = []
        for i, step in enumerate(steps):
            if hole_kind(step) is None:
                continue
            found = by_step.get(i, [])
            if len(found) != 1:
                why = ("the hole is never reached" if not found else
                       f"the hole is reached {len(found)} times (inside all_goals, <;> or the like)")
                return SketchFailure(K.STEP_FAILED, why, step, i)
            goal_text = found[0].goal
            goal = parse_goal(goal_text)
            number = len(holes) + 1
            holes.append(Hole(len(holes), i, step, goal, goal_text, hole_lemma(theorem, number, goal, goal_text)))
        return tuple(holes)

    def assemble(self, elaboration: Elaboration, fills: Mapping[int, Fill]) -> tuple[str, ...]:
        def render(step: str, hole: Hole, fill: Fill) -> list[str]:
            kind, pre = hole_kind(step) or ("bare", "")
            indent = len(step) - len(step.lstrip())
            renames = list(_fresh_names(hole.goal).values())
            tactics = ([f"rename_i {' '.join(renames)}"] if renames else []) + [t.strip() for t in fill.proof]
            if kind == "by":
                return [pre, *_indented(tactics, indent + 2)]
            if kind == "term":
                return [pre + " by", *_indented(tactics, indent + 2)]
            if pre.strip():  # `· sorry`: the first tactic after the bullet, the rest under it
                first, *more = _indented(tactics, indent + 2)
                return [" " * indent + pre.strip() + " " + first.lstrip(), *more]
            return _indented(tactics, indent)

        return replace_holes(elaboration, fills, render)


def _indented(tactics: Sequence[str], width: int) -> list[str]:
    """Each tactic (possibly several lines) as one entry, every line moved right by `width`."""
    return [textwrap.indent(t, " " * width, lambda _: True) for t in tactics]


def _failure(error: Message, steps: list[str], first_body_line: int) -> SketchFailure:
    data = error.data
    kind = K.TIMEOUT if ("deterministic" in data and "timeout" in data) or "maxHeartbeats" in data else K.STEP_FAILED
    index = error.pos.line - first_body_line
    if 0 <= index < len(steps):
        return SketchFailure(kind, data, steps[index], index)
    if kind is K.STEP_FAILED and data.startswith("unsolved goals"):
        return SketchFailure(K.INCOMPLETE, f"the sketch leaves goals unsolved: {data[:300]}")
    return SketchFailure(kind, data)
