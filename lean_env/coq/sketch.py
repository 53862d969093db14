"""Coq sketches: check a skeleton with `admit` holes in a fresh coqtop, return each hole as a lemma.

Holes are the only place `admit` is allowed: a step `admit.` (the focused goal is the hole) or
`<tactic> by admit.` (run `<tactic>.`, the first goal it leaves is the hole, as Coq's own `by` would
have it, e.g. `assert (h : P) by admit.`). Every other step passes the normal tactic screen, so no
`Axiom`, `Admitted` or `give_up` gets in. Each hole's goal is printed by `Show.` and generalised over
its context into a standalone lemma (`Lemma t_hole1 : forall (x : R) (h0 : x > 0), P.`), which a
tactic search can prove on the theorem's own header; assembly replaces the hole by
`{ revert <context>. <that proof> }`. The assembled script is then verified by coqc from scratch on
the original theorem, which re-screens every sentence, so nothing admitted can survive.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import textwrap
import time
from collections.abc import Mapping

from lean_env.base import BadTheorem, Goal, SetupError, Theorem
from lean_env.coq import output
from lean_env.coq.declarations import DECLARATION, declared_name
from lean_env.coq.env import CoqConfig, stop_helpers
from lean_env.coq.process import CoqTop, OutOfStep, with_timeout
from lean_env.coq.sentences import SentenceError, screen_sentence, split_sentences
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

_BY_ADMIT = re.compile(r"^(.*\S)\s+by\s+admit\s*\.$", re.DOTALL)
_BARE_HOLE = re.compile(r"^admit\s*\.$")
_PROOF_START = {"Proof."}
_PROOF_END = {"Qed.", "Defined."}
# A tactic inside a term (`ltac:(...)`, `ltac2:(...)`) or a quotation: a printed goal never holds
# one, but a goal can print text a step computed (with Coq.Strings.String imported, a string term
# with newlines and quotes), and the hole's statement is run as a command, unscreened.
_TACTIC_IN_TERM = re.compile(r"\bltac2?\s*:|:\{\{")

K = SketchFailureKind


def hole_prefix(step: str) -> str | None:
    """For a hole step, the tactic to run before the hole ("" for a bare `admit.`); else None."""
    if _BARE_HOLE.match(step):
        return ""
    m = _BY_ADMIT.match(step)
    return m.group(1) + "." if m else None


def extract_steps(theorem: Theorem, text: str) -> list[str] | SketchFailure:
    """The skeleton's steps from a model's text: fences, `Proof.` and `Qed.` removed; a restated
    theorem is accepted only if it is the original statement (whitespace and comments aside)."""
    try:
        steps = split_sentences(strip_fences(text))
    except SentenceError as exc:
        return SketchFailure(K.PARSE, str(exc))
    if steps and DECLARATION.match(steps[0]):
        original = split_sentences(theorem.statement)
        if [normalise_space(s) for s in original] != [normalise_space(steps[0])]:
            return SketchFailure(K.STATEMENT_CHANGED, "the sketch states a different theorem", steps[0], 0)
        steps = steps[1:]
    if steps and steps[0] in _PROOF_START:
        steps = steps[1:]
    ends = [i for i, s in enumerate(steps) if s in _PROOF_END]
    if ends:  # whatever follows the first Qed (a model rambling on) is not part of the proof
        steps = steps[: ends[0]]
    if not steps:
        return SketchFailure(K.PARSE, "the sketch has no proof steps")
    for i, step in enumerate(steps):
        prefix = hole_prefix(step)
        if prefix == "":
            continue
        reason = screen_sentence(prefix if prefix is not None else step)
        if reason:
            return SketchFailure(K.FORBIDDEN, reason, step, i)
    return steps


def hole_statement(goal: Goal) -> str | None:
    """`goal` as one closed proposition: its context turned into binders, oldest outermost; None
    when it cannot be stated, or would run a tactic when stated (`_TACTIC_IN_TERM`)."""
    text = goal.conclusion
    for hyp in reversed(goal.hypotheses):
        if not hyp.names:
            return None  # a context line the parser could not read: not expressible
        if hyp.value is not None:
            if len(hyp.names) != 1:
                return None
            text = f"let {hyp.names[0]} : {hyp.type} := {hyp.value} in {text}"
        else:
            text = f"forall ({' '.join(hyp.names)} : {hyp.type}), {text}"
    return None if _TACTIC_IN_TERM.search(text) else text


def context_names(goal: Goal) -> list[str]:
    return [name for hyp in goal.hypotheses for name in hyp.names]


class CoqSketcher:
    """`SketchBackend` for Coq. Each `elaborate` uses its own coqtop, killed when it returns."""

    backend = "coq"

    def __init__(self, config: CoqConfig | None = None, step_timeout: float = 10.0) -> None:
        self.config = config or CoqConfig()
        self.step_timeout = step_timeout  # seconds per skeleton step (Coq's own `Timeout`)
        if shutil.which(self.config.coqtop) is None:
            raise SetupError(f"{self.config.coqtop!r} not found: install Coq 8.16 (apt-get install -y coq)")

    def elaborate(self, theorem: Theorem, sketch: str) -> ElaborationResult:
        start = time.monotonic()
        steps = extract_steps(theorem, sketch)
        if isinstance(steps, SketchFailure):
            return steps
        if declared_name(theorem.statement.strip()) != theorem.name:
            raise BadTheorem(f"{theorem.name}: the statement must declare a theorem named {theorem.name!r}")
        with tempfile.TemporaryDirectory(prefix="prover-coq-sketch-") as scratch:
            top = CoqTop(self.config.coqtop, scratch, self.config.memory_limit_mb)
            try:
                self._enter(top, theorem)
                result = self._run_steps(top, theorem, steps)
            finally:
                top.kill()
        if isinstance(result, SketchFailure):
            return result
        return Elaboration(theorem, tuple(steps), result, time.monotonic() - start)

    def _send(self, top: CoqTop, sentence: str, timeout: float, fenced: bool = False) -> tuple[output.Parsed, bool]:
        reply = top.send(sentence, timeout, self.config.interrupt_grace, fenced=fenced)
        parsed = output.parse_output(reply.output)
        stop_helpers(top, reply, parsed.error)  # a step's `try (timeout ..)` may leave a solver
        return parsed, reply.interrupted

    def _enter(self, top: CoqTop, theorem: Theorem) -> None:
        self._send(top, "Set Printing Width 1000.", self.config.command_timeout)
        # The extra imports (library loads) run where the search and the proof module run them.
        preamble = split_sentences(theorem.header) + split_sentences(self.config.extra_imports)
        for sentence in preamble + split_sentences(theorem.statement):
            parsed, _ = self._send(top, sentence, self.config.command_timeout)
            if parsed.error:
                raise BadTheorem(f"{theorem.name}: {sentence[:80]!r}: {parsed.error}")

    def _run_steps(self, top: CoqTop, theorem: Theorem, steps: list[str]) -> tuple[Hole, ...] | SketchFailure:
        holes: list[Hole] = []
        status = "goals"
        for i, step in enumerate(steps):
            prefix = hole_prefix(step)
            tactic = step if prefix is None else prefix
            if tactic:
                try:  # model text: fenced, so that a step Coq reads as two sentences is caught
                    parsed, interrupted = self._send(
                        top, with_timeout(tactic, self.step_timeout), self.step_timeout + 1.0, fenced=True
                    )
                except OutOfStep as exc:
                    return SketchFailure(K.FORBIDDEN, f"Coq did not read the step as one sentence: {exc}", step, i)
                if interrupted or (parsed.error or "").startswith("Timeout"):
                    return SketchFailure(K.TIMEOUT, f"ran past {self.step_timeout:.0f} s", step, i)
                if parsed.error:
                    return SketchFailure(K.STEP_FAILED, parsed.error, step, i)
                if parsed.status != "empty":
                    status = _status(parsed)
            if prefix is None:
                continue
            shown, _ = self._send(top, "Show.", self.config.command_timeout)
            if shown.error or not shown.goals:
                return SketchFailure(K.STEP_FAILED, shown.error or "no goal left for this hole", step, i)
            goal = shown.goals[0]
            number = len(holes) + 1
            statement = hole_statement(goal)
            lemma = None
            if statement is not None:
                name = f"{theorem.name}_hole{number}"
                lemma = Theorem(name, theorem.header, f"Lemma {name} : {statement}.", "coq")
            holes.append(Hole(len(holes), i, step, goal, _first_goal_text(shown.display), lemma))
            parsed, _ = self._send(top, "admit.", self.config.command_timeout)
            if parsed.error:
                return SketchFailure(K.STEP_FAILED, parsed.error, step, i)
            status = _status(parsed)
        # Confirmed by Coq's own `Show.`, not by what the steps printed: a step's message can read
        # "No more goals." (`idtac "No more goals."`) while goals remain.
        shown, _ = self._send(top, "Show.", self.config.command_timeout)
        if status not in ("proved", "gave_up") or shown.status not in ("proved", "gave_up"):
            count = len(shown.goals) or "some"
            left = output.printable(shown.display[:300])  # it may print what a step computed
            return SketchFailure(K.INCOMPLETE, f"the sketch leaves {count} goal(s) unsolved: {left}")
        return tuple(holes)

    def assemble(self, elaboration: Elaboration, fills: Mapping[int, Fill]) -> tuple[str, ...]:
        def render(step: str, hole: Hole, fill: Fill) -> list[str]:
            prefix = hole_prefix(step)
            names = context_names(hole.goal)
            # One text per block: the verifier screens each entry, and a lone brace is no tactic.
            body = ([f"revert {' '.join(names)}."] if names else []) + [t.strip() for t in fill.proof]
            return ([prefix] if prefix else []) + ["{ " + " ".join(body) + " }"]

        return replace_holes(elaboration, fills, render)


def _status(parsed: output.Parsed) -> str:
    """"proved" once no goal is left; admitted goals are reported in an info block (stripped by
    the parser), so the notes are read too."""
    if any(n.startswith("No more goals") for n in parsed.notes):
        return "gave_up"
    return parsed.status


def _first_goal_text(display: str) -> str:
    """The focused goal of a display, as printed (what a model would be prompted with)."""
    body = display.split("\n", 1)[1] if "\n" in display else display
    return textwrap.dedent(re.split(r"\n\s*goal \d+ is:", body)[0]).strip()

