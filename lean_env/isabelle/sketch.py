"""Isabelle sketches (DSP): holes are `sledgehammer` or `sorry`; fill them with a hammer portfolio.

Elaboration writes the sketch with every hole as `sorry` on a line of its own and checks the theory
with `isabelle server`; the first error names the failing line. Filling follows DSP's checker
(draft_sketch_prove `autoformalization/checker.py`): cheap methods first, then Sledgehammer. Over the
server this is done in rounds, all open holes at once: round k puts method k (`by auto`, ...) into
every open hole and keeps it where its line has no error (PIDE goes on past a failed proof, so one
hole's failure does not hide another's); the last round writes `sledgehammer [timeout = N]` then
`sorry` and maps each "Try this: ..." message back to its hole by line. Every round is time-limited
as a whole (the server cancels the task); the assembled proof is verified from scratch.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass

from lean_env.base import EnvTimeout, Theorem
from lean_env.isabelle.env import IsabelleEnv, RefusedProof, first_error, proof_start_line
from lean_env.isabelle.protocol import try_this
from lean_env.isabelle.screen import MAX_PROOF_CHARS, ScreenError, mask_text, screen_proof
from lean_env.sketch import (
    Elaboration,
    ElaborationResult,
    Fill,
    FillFailure,
    FillResult,
    Hole,
    SketchFailure,
    SketchFailureKind,
    UnfilledHole,
    normalise_space,
    strip_fences,
)

K = SketchFailureKind
HOLE_WORDS = frozenset({"sledgehammer", "sorry"})
# DSP's heuristics, in its order (checker.py), as one-line Isar proofs, with `code_simp` in place
# of `eval`: both evaluate with the code equations, but `eval` trusts the code generator through
# an oracle, which the verifier refuses, while `code_simp` is checked by the kernel.
DEFAULT_METHODS: tuple[str, ...] = (
    "by auto", "by simp", "by blast", "by fastforce", "by force", "by code_simp", "by presburger",
    "by sos", "by arith", "by linarith", "by (auto simp: field_simps)",
)
# Read as Isabelle reads words: `x_sorry` is a name, `_sorry` the symbol `_` and then `sorry`.
_HOLE = re.compile(r"(?<![A-Za-z0-9'])(sledgehammer|sorry)(?![A-Za-z0-9_'])")
_STATEMENT = re.compile(r"^\s*(theorem|lemma)\b")
# `[ \t]*`, not `\s*`, after a line start: a `\s*` that spans lines is tried again from every
# line start, quadratic on a sketch of blank lines (17 s for 40,000 of them, before any time limit).
_PROOF_OPENERS = re.compile(r"^[ \t]*(proof|by|apply|using|unfolding|have|show|from|then|hence|thus)\b", re.MULTILINE)
_SHOWN = 200  # characters of a hole's source line kept for showing (the end, next to the hole)


def split_holes(proof: str) -> list[str] | SketchFailure:
    """The proof as alternating segments: text, hole, text, ... (holes at odd indices).

    Hole words inside comments, strings or cartouches are not holes: they are found on a masked
    copy of the same length."""
    try:
        masked = mask_text(proof)
    except ScreenError as exc:
        return SketchFailure(K.PARSE, str(exc))
    segments, last = [], 0
    for m in _HOLE.finditer(masked):
        segments += [proof[last : m.start()], m.group(1)]
        last = m.end()
    segments.append(proof[last:])
    return segments


def extract_proof(theorem: Theorem, text: str) -> str | SketchFailure:
    """The proof text of a model's sketch; a restated theorem must be the original statement."""
    body = strip_fences(text).strip()
    if len(body) > MAX_PROOF_CHARS:
        return SketchFailure(K.PARSE, f"the sketch is longer than {MAX_PROOF_CHARS} characters")
    if _STATEMENT.match(body):
        opener = _PROOF_OPENERS.search(body)
        statement = body[: opener.start()] if opener else body
        if normalise_space(statement) != normalise_space(theorem.statement):
            return SketchFailure(K.STATEMENT_CHANGED, "the sketch states a different theorem", statement.strip(), 0)
        body = body[len(statement) :]
    head, newline, last = body.rstrip().rpartition("\n")
    if newline and last.strip() == "end":  # the theory's `end`, on a line of its own
        body = head
    body = body.strip()
    if not body:
        return SketchFailure(K.PARSE, "the sketch has no proof text")
    return body


class IsabelleSketcher:
    """`SketchBackend` for Isabelle over an `IsabelleEnv`."""

    backend = "isabelle"

    def __init__(self, env: IsabelleEnv, timeout: float = 120.0) -> None:
        self.env = env
        self.timeout = timeout  # seconds for one elaboration check

    def elaborate(self, theorem: Theorem, sketch: str) -> ElaborationResult:
        start = time.monotonic()
        proof = extract_proof(theorem, sketch)
        if isinstance(proof, SketchFailure):
            return proof
        segments = split_holes(proof)
        if isinstance(segments, SketchFailure):
            return segments
        shown = _hole_lines(segments)
        holes = tuple(Hole(k, 2 * k + 1, segments[2 * k + 1], None, shown[k]) for k in range(len(segments) // 2))
        elaboration = Elaboration(theorem, tuple(segments), holes)
        body, _ = render(elaboration, {h.index: "sorry" for h in holes})
        # `check` screens the text that is sent, holes in place: around a hole, the segments glued
        # without it read differently (`(sorry*` would hide the rest behind a comment opener).
        try:
            _, result = self.env.check(theorem, body, self.timeout, holes=HOLE_WORDS)
        except RefusedProof as exc:
            return SketchFailure(K.FORBIDDEN, str(exc))
        except EnvTimeout as exc:
            return SketchFailure(K.TIMEOUT, str(exc))
        error = first_error(result)
        if error is not None or not result.ok:
            line = _source_line(theorem, body, error.line if error else None)
            return SketchFailure(
                K.STEP_FAILED, error.text[:500] if error else "theory check failed", line, error.line if error else None
            )
        return Elaboration(theorem, tuple(segments), holes, time.monotonic() - start)

    def assemble(self, elaboration: Elaboration, fills: Mapping[int, Fill]) -> tuple[str, ...]:
        missing = [h.index for h in elaboration.holes if h.index not in fills]
        if missing:
            raise UnfilledHole(f"holes {[m + 1 for m in missing]} have no fill")
        body, _ = render(elaboration, {i: " ".join(f.proof) for i, f in fills.items()})
        return (body,)


def render(elaboration: Elaboration, texts: Mapping[int, str]) -> tuple[str, dict[int, int]]:
    """The proof with hole i replaced by `texts[i]` on a line of its own; also each hole's line
    offset from the start of the proof (0-based)."""
    # Built in pieces, newlines counted as they come: one pass (a string rebuilt and recounted
    # at every hole took time quadratic in the number of holes).
    pieces: list[str] = []
    newlines, at_line_start, lines = 0, False, {}
    by_step = {h.step: h.index for h in elaboration.holes}
    for i, segment in enumerate(elaboration.steps):
        if i in by_step:
            while pieces and not pieces[-1].rstrip(" \t"):
                pieces.pop()
            if pieces:
                pieces[-1] = pieces[-1].rstrip(" \t")
            hole = "\n  " + texts[by_step[i]] + "\n"
            lines[by_step[i]] = newlines + 1
            newlines += hole.count("\n")
            pieces.append(hole)
            at_line_start = True
        else:
            piece = segment.lstrip(" \t") if at_line_start else segment
            if piece:
                pieces.append(piece)
                newlines += piece.count("\n")
                at_line_start = piece.endswith("\n")
    return "".join(pieces), lines


def _hole_lines(segments: list[str]) -> list[str]:
    """The source line holding each hole (the segments at odd indices), for showing: Isabelle
    cannot print the goal from here. One pass, each line cut to its last `_SHOWN` characters
    (every line whole, each from the text's start, took time and memory quadratic in the holes)."""
    shown, tail = [], ""
    for i, segment in enumerate(segments):
        if i % 2:
            shown.append((tail + segment).strip())
        tail = segment.rsplit("\n", 1)[-1] if "\n" in segment else tail + segment
        tail = tail[-_SHOWN:]
    return shown


def _source_line(theorem: Theorem, body: str, line: int | None) -> str | None:
    if line is None:
        return None
    k = line - proof_start_line(theorem)
    lines = body.split("\n")
    return lines[k].strip() if 0 <= k < len(lines) else None


@dataclass(frozen=True, slots=True)
class HammerConfig:
    methods: tuple[str, ...] = DEFAULT_METHODS
    round_timeout: float = 60.0  # seconds per round (one theory check with every open hole)
    sledgehammer: bool = True
    sledgehammer_timeout: int = 30  # Sledgehammer's own `timeout` parameter, seconds
    provers: str = ""  # e.g. "cvc5 vampire verit e spass z3 zipperposition" (DSP); "" = default
    # The Sledgehammer round's time limit grows with the holes it hammers (they run one after
    # another), and the model chooses how many: with more holes open than this, no round is run
    # (one hole left open sinks the sketch anyway), so no sketch holds the filler for hours.
    max_sledgehammer_holes: int = 10


class HammerFiller:
    """`HoleFiller` for Isabelle: the cheap-methods-then-Sledgehammer portfolio described above."""

    def __init__(self, env: IsabelleEnv, config: HammerConfig = HammerConfig()) -> None:
        self.env, self.config = env, config

    def fill(self, elaboration: Elaboration) -> tuple[FillResult, ...]:
        theorem = elaboration.theorem
        found: dict[int, Fill] = {}
        open_ = [h.index for h in elaboration.holes]
        for method in self.config.methods:
            if not open_:
                break
            t0 = time.monotonic()
            texts = {i: (" ".join(found[i].proof) if i in found else method) for i in range(len(elaboration.holes))}
            result = self._round(elaboration, texts)
            if result is None:
                continue
            lines, error_lines = result
            for i in open_:
                if proof_start_line(theorem) + lines[i] not in error_lines:
                    found[i] = Fill(i, (method,), method.removeprefix("by ").strip("()"), time.monotonic() - t0)
            open_ = [i for i in open_ if i not in found]
        why = "no portfolio method nor Sledgehammer closed it"
        if open_ and self.config.sledgehammer:
            if len(open_) <= self.config.max_sledgehammer_holes:
                self._sledgehammer(elaboration, open_, found)
            else:
                why = f"{len(open_)} holes left open, more than Sledgehammer is run on ({self.config.max_sledgehammer_holes})"
        return tuple(found.get(h.index) or FillFailure(h.index, why) for h in elaboration.holes)

    def _round(self, elaboration: Elaboration, texts: dict[int, str]) -> tuple[dict[int, int], set[int]] | None:
        body, lines = render(elaboration, texts)
        try:
            _, result = self.env.check(elaboration.theorem, body, self.config.round_timeout, holes=HOLE_WORDS)
        except (EnvTimeout, RefusedProof):
            return None  # the whole round counts as failed
        return lines, {m.line for m in result.error_messages() if m.line is not None}

    def _sledgehammer(self, elaboration: Elaboration, open_: list[int], found: dict[int, Fill]) -> None:
        params = [f"timeout = {self.config.sledgehammer_timeout}"]
        if self.config.provers:
            params.append(f'provers = "{self.config.provers}"')
        call = f"sledgehammer [{', '.join(params)}] sorry"
        texts = {i: (" ".join(found[i].proof) if i in found else call) for i in range(len(elaboration.holes))}
        body, lines = render(elaboration, texts)
        t0 = time.monotonic()
        timeout = self.config.sledgehammer_timeout * max(1, len(open_)) + self.config.round_timeout
        try:
            _, result = self.env.check(elaboration.theorem, body, timeout, holes=HOLE_WORDS)
        except (EnvTimeout, RefusedProof):
            return
        start = proof_start_line(elaboration.theorem)
        hole_at = {start + lines[i]: i for i in open_}  # each hole is on a line of its own
        for message in result.messages():
            i = hole_at.get(message.line) if message.line is not None else None
            if i is not None and i not in found:
                method = try_this(message.text)
                if method and screen_proof(method) is None:
                    found[i] = Fill(i, (method,), "sledgehammer", time.monotonic() - t0)
