"""Proof sketches with holes: the values and protocols shared by every backend (issue 6).

A sketch is a proof skeleton written by a model (Draft-Sketch-Prove): informal steps as comments,
intermediate claims whose proofs are holes (Coq `assert (h : P) by admit.`, Lean `have h : P := by
sorry`, Isabelle `sledgehammer`/`sorry`). A backend *elaborates* it, checking every step and returning
each hole's goal; a filler closes the holes; the backend *assembles* the filled proof, which is then
verified from scratch against the original theorem like any other proof. A sketch the assistant
rejects is a value (`SketchFailure`), as is a hole nobody could fill (`FillFailure`).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from lean_env.base import Goal, Theorem


@dataclass(frozen=True, slots=True)
class Hole:
    """One gap of an elaborated sketch, with what a filler needs to close it on its own."""

    index: int  # 0-based, in order of appearance
    step: int  # index in `Elaboration.steps` of the step holding the hole
    text: str  # the hole as written (`assert (h : P) by admit.`, `have "P" sledgehammer`)
    goal: Goal | None  # the goal at the hole with its context; None when the backend cannot show it
    pretty: str  # that goal as the assistant printed it ("" when unknown)
    lemma: Theorem | None = None  # the hole as a standalone theorem (goal generalised over its
    # context) that a tactic search can prove on the same header; None when not expressible


@dataclass(frozen=True, slots=True)
class Elaboration:
    """A sketch every step of which the assistant accepted, holes left open."""

    theorem: Theorem  # the ORIGINAL theorem: sketches never carry their own statement
    steps: tuple[str, ...]  # the skeleton, one entry per step, holes as written
    holes: tuple[Hole, ...]
    seconds: float = 0.0


class SketchFailureKind(str, enum.Enum):
    PARSE = "parse"  # the text does not split into steps (unclosed comment, no proof body)
    STATEMENT_CHANGED = "statement_changed"  # the sketch states a different theorem
    FORBIDDEN = "forbidden"  # a step that may never be sent (Axiom, Admitted, admit outside a hole)
    STEP_FAILED = "step_failed"  # the assistant rejected a step
    TIMEOUT = "timeout"  # a step ran past its time limit
    INCOMPLETE = "incomplete"  # goals are left that no step or hole addresses


@dataclass(frozen=True, slots=True)
class SketchFailure:
    kind: SketchFailureKind
    message: str  # the assistant's message, or why the step was refused
    step: str | None = None  # the failing step as written
    step_index: int | None = None

    def __str__(self) -> str:
        where = f" at step {self.step_index} {self.step!r}" if self.step is not None else ""
        return f"{self.kind.value}{where}: {self.message}"


ElaborationResult = Elaboration | SketchFailure


@dataclass(frozen=True, slots=True)
class Fill:
    """A proof of one hole, in the form the backend's `assemble` splices in."""

    hole: int
    proof: tuple[str, ...]  # Coq/Lean: a verified script for `Hole.lemma`; Isabelle: the method text
    method: str  # "search", "auto", "sledgehammer", ...
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class FillFailure:
    hole: int
    message: str
    seconds: float = 0.0


FillResult = Fill | FillFailure


class UnfilledHole(ValueError):
    """`assemble` was asked to build a proof while a hole has no fill: a caller bug, never a proof."""


@runtime_checkable
class SketchBackend(Protocol):
    """Elaborates sketches for one proof assistant and splices fills back in."""

    backend: str

    def elaborate(self, theorem: Theorem, sketch: str) -> ElaborationResult:
        """Check `sketch` (the model's text) as a proof of `theorem` with holes.

        Returns an Elaboration, or a SketchFailure naming the first bad step. Raises BadTheorem
        when `theorem` itself does not elaborate and EnvError when the assistant is broken.
        """
        ...

    def assemble(self, elaboration: Elaboration, fills: Mapping[int, Fill]) -> tuple[str, ...]:
        """The complete proof script, every hole replaced by its fill.

        Raises UnfilledHole when a hole has no fill. The result is unverified: callers must run the
        backend's `verify` on the original theorem.
        """
        ...


@runtime_checkable
class HoleFiller(Protocol):
    """Closes the holes of an elaboration (tactic search, hammer portfolio, ...)."""

    def fill(self, elaboration: Elaboration) -> tuple[FillResult, ...]:
        """One result per hole, in order. May stop at the first failure (later holes then get a
        FillFailure saying so), since one open hole already sinks the sketch."""
        ...


_FENCE = re.compile(r"```[A-Za-z0-9_+-]*\n(.*?)(?:```|$)", re.DOTALL)


def strip_fences(text: str) -> str:
    """The body of the first Markdown code block if the text has one (chat models add them)."""
    m = _FENCE.search(text)
    return m.group(1) if m else text


def normalise_space(text: str) -> str:
    return " ".join(text.split())


def skipped(holes: Sequence[Hole], start: int, reason: str) -> tuple[FillFailure, ...]:
    """FillFailures for the holes not tried after an earlier hole failed."""
    return tuple(FillFailure(h.index, reason) for h in holes[start:])


def replace_holes(
    elaboration: Elaboration,
    fills: Mapping[int, Fill],
    render: Callable[[str, Hole, Fill], Sequence[str]],
) -> tuple[str, ...]:
    """The sketch's steps with each hole's step replaced by `render(step, hole, fill)`.

    The one assembly loop every step-based backend shares (Coq, Lean); raises UnfilledHole when a
    hole has no fill, so a sketch with a hole left can never be assembled into a proof.
    """
    by_step = {h.step: h for h in elaboration.holes}
    script: list[str] = []
    for i, step in enumerate(elaboration.steps):
        hole = by_step.get(i)
        if hole is None:
            script.append(step)
            continue
        fill = fills.get(hole.index)
        if fill is None or hole.goal is None or not fill.proof:
            raise UnfilledHole(f"hole {hole.index + 1} ({hole.text!r}) has no fill")
        script.extend(render(step, hole, fill))
    return tuple(script)
