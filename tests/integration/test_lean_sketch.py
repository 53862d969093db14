"""Lean sketches over the toy REPL: elaborate `have … := by sorry` holes, fill them by search, verify.

The toy's sketch mode (tests/fakes/toy_repl.py, SKETCH_CLOSERS) plays Lean's part: one tactic per
line, each `sorry` reported with its goal and position, errors at the offending line.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from lean_env.base import Theorem
from lean_env.lean_repl.config import LeanConfig
from lean_env.lean_repl.env import LeanEnv
from lean_env.lean_repl.sketch import LeanSketcher, extract_steps, strip_comments
from lean_env.sketch import (
    Elaboration,
    Fill,
    SketchBackend,
    SketchFailure,
    SketchFailureKind,
    UnfilledHole,
)
from prover.portfolio import PortfolioGenerator
from prover.sketch_prompts import InformalProblem
from prover.sketcher import FixedCompleter
from search.best_first import SearchConfig
from search.informal import run_informal, sketch_backends, sketch_pipeline

TOY = Path(__file__).resolve().parents[1] / "fakes" / "toy_repl.py"
HEADER = "import Mathlib\nset_option maxHeartbeats 400000\nopen BigOperators Real Nat Topology Rat\n"
THM = Theorem("toy_thm", HEADER, "theorem toy_thm (a b : ℕ) (h₀ : a = b) : b = a := by\n", "lean")
TWO_HOLES = """  -- a equals itself
  have h₁ : a = a := by sorry
  /- and b equals a, by the notation of the problem -/
  have h₂ : b = a := by sorry
  linarith"""
K = SketchFailureKind


@pytest.fixture
def log_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    log = tmp_path / "requests.jsonl"
    monkeypatch.setenv("FAKE_REPL_LOG", str(log))
    monkeypatch.setenv("PROVER_SANDBOX_WRITABLE", str(log.parent))
    return log


def requests(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


@pytest.fixture
def env():
    with LeanEnv(LeanConfig(repl_command=(sys.executable, str(TOY)), tactic_timeout=5.0)) as lean:
        yield lean


def test_two_have_holes_become_two_holes_with_their_goals(env: LeanEnv, log_file: Path) -> None:
    sketcher = LeanSketcher(env)
    assert isinstance(sketcher, SketchBackend)
    elaboration = sketcher.elaborate(THM, TWO_HOLES)
    assert isinstance(elaboration, Elaboration), elaboration
    assert elaboration.steps == ("have h₁ : a = a := by sorry", "have h₂ : b = a := by sorry", "linarith")
    assert [h.step for h in elaboration.holes] == [0, 1]
    first, second = elaboration.holes
    assert first.pretty == "a b : ℕ\nh₀ : a = b\n⊢ a = a"
    assert second.goal.conclusion == "b = a"
    assert [n for h in second.goal.hypotheses for n in h.names] == ["a", "b", "h₀", "h₁"]
    assert first.lemma.statement == "theorem toy_thm_hole1 (a b : ℕ) (h₀ : a = b) : a = a := by\n"
    assert second.lemma.statement == "theorem toy_thm_hole2 (a b : ℕ) (h₀ : a = b) (h₁ : a = a) : b = a := by\n"
    assert second.lemma.header == HEADER and second.lemma.backend == "lean"
    sketch_cmd = [r for r in requests(log_file) if "cmd" in r and "have h₁" in r["cmd"]]
    assert len(sketch_cmd) == 1 and sketch_cmd[0]["env"] == 0  # one command on the header env
    assert sketch_cmd[0]["cmd"].startswith("set_option maxHeartbeats 400000 in\ntheorem toy_thm")


def test_a_restated_original_statement_is_accepted(env: LeanEnv) -> None:
    text = "```lean\ntheorem toy_thm (a b : ℕ)  (h₀ : a = b) :\n    b = a := by\n" + TWO_HOLES + "\n```"
    elaboration = LeanSketcher(env).elaborate(THM, text)
    assert isinstance(elaboration, Elaboration), elaboration
    assert len(elaboration.holes) == 2


def test_a_different_statement_is_rejected(env: LeanEnv, log_file: Path) -> None:
    text = "theorem toy_thm (a b : ℕ) (h₀ : a = b) : a = b := by\n" + TWO_HOLES
    failure = LeanSketcher(env).elaborate(THM, text)
    assert isinstance(failure, SketchFailure) and failure.kind is K.STATEMENT_CHANGED
    assert requests(log_file) == []  # refused before anything is sent


@pytest.mark.parametrize(
    "line",
    ["#eval 1 + 1", "native_decide", "have h : a = a := by simp; sorry", "exact sorry", "set_option maxHeartbeats 0 in",
     "axiom cheat : False"],
)
def test_forbidden_lines_are_rejected_before_sending(env: LeanEnv, log_file: Path, line: str) -> None:
    failure = LeanSketcher(env).elaborate(THM, f"  have h₁ : a = a := by sorry\n  {line}\n  linarith")
    assert isinstance(failure, SketchFailure) and failure.kind is K.FORBIDDEN, failure
    assert failure.step_index == 1 and failure.step == line
    assert requests(log_file) == []


def test_a_sketch_is_parsed_as_one_block_before_any_command_holds_it(
    env: LeanEnv, log_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the screen (switched off here), a line that would end the `by` block and start a
    command is a parse error of the skeleton read as one tactic block, unrun: the command that
    holds the sketch is never sent. A sketch that parses is sent with the same lines."""
    monkeypatch.setattr("lean_env.lean_repl.sketch.screen_tactic", lambda *args, **kwargs: None)
    failure = LeanSketcher(env).elaborate(THM, "  have h₁ : a = a := by sorry\n  def pwn := 1\n  linarith")
    assert isinstance(failure, SketchFailure) and failure.kind is K.PARSE, failure
    assert "unexpected token 'def'" in failure.message
    assert not [r for r in requests(log_file) if "pwn" in r.get("cmd", "")]
    probes = [r for r in requests(log_file) if r.get("tactic", "").startswith("iterate 0\n  focus")]
    assert len(probes) == 1 and "def pwn" in probes[0]["tactic"]
    # a line starting with `|`, which would end the command's `by` block, ends the probe's too
    bar = LeanSketcher(env).elaborate(THM, "  have h₁ : a = a := by sorry\n  | def pwn2 := 1\n  linarith")
    assert isinstance(bar, SketchFailure) and bar.kind is K.PARSE, bar
    assert not [r for r in requests(log_file) if "pwn2" in r.get("cmd", "")]
    assert isinstance(LeanSketcher(env).elaborate(THM, TWO_HOLES), Elaboration)
    (sent,) = [r["cmd"] for r in requests(log_file) if "have h₂" in r.get("cmd", "")]
    assert "by\n  skip\n  have h₁" in sent  # the lines the probe read, `skip` first in both


def test_an_error_fails_naming_its_line(env: LeanEnv) -> None:
    sketch = "  have h₁ : a = a := by sorry\n  -- a comment line does not count\n  frobnicate h₁\n  linarith"
    failure = LeanSketcher(env).elaborate(THM, sketch)
    assert isinstance(failure, SketchFailure) and failure.kind is K.STEP_FAILED, failure
    assert failure.step_index == 1 and failure.step == "frobnicate h₁"
    assert "unknown tactic" in failure.message


def test_a_sketch_that_leaves_the_goal_open_is_incomplete(env: LeanEnv) -> None:
    failure = LeanSketcher(env).elaborate(THM, "  have h₁ : a = a := by sorry")
    assert isinstance(failure, SketchFailure) and failure.kind is K.INCOMPLETE, failure
    assert "unsolved goals" in failure.message


def test_assembly_replaces_exactly_the_holes(env: LeanEnv) -> None:
    sketcher = LeanSketcher(env)
    sketch = "  intro x\n  have h₁ : a = a := sorry\n  have h₂ : b = a := by\n    sorry\n  linarith"
    elaboration = sketcher.elaborate(THM, sketch)
    assert isinstance(elaboration, Elaboration), elaboration
    assert elaboration.steps == ("intro x", "have h₁ : a = a := sorry", "have h₂ : b = a := by", "  sorry", "linarith")
    assert [h.step for h in elaboration.holes] == [1, 3]
    fills = {0: Fill(0, ("rfl",), "search"), 1: Fill(1, ("subst h₀", "nlinarith [h₁,\n  h₀]"), "search")}
    assert sketcher.assemble(elaboration, fills) == (
        "intro x",
        "have h₁ : a = a := by",
        "  rfl",
        "have h₂ : b = a := by",
        "  subst h₀",
        "  nlinarith [h₁,\n    h₀]",
        "linarith",
    )


def test_an_unfilled_hole_raises(env: LeanEnv) -> None:
    sketcher = LeanSketcher(env)
    elaboration = sketcher.elaborate(THM, TWO_HOLES)
    assert isinstance(elaboration, Elaboration), elaboration
    with pytest.raises(UnfilledHole):
        sketcher.assemble(elaboration, {0: Fill(0, ("rfl",), "search")})


def test_inaccessible_names_are_renamed_in_the_lemma_and_at_the_hole(env: LeanEnv) -> None:
    sketcher = LeanSketcher(env)
    elaboration = sketcher.elaborate(THM, "  intro\n  sorry")
    assert isinstance(elaboration, Elaboration), elaboration
    (hole,) = elaboration.holes
    assert hole.pretty == "a b : ℕ\nh₀ : a = b\na✝ : ℕ\n⊢ b = a"
    assert hole.lemma.statement == "theorem toy_thm_hole1 (a b : ℕ) (h₀ : a = b) (a_1 : ℕ) : b = a := by\n"
    assert sketcher.assemble(elaboration, {0: Fill(0, ("omega",), "search")}) == ("intro", "rename_i a_1", "omega")


def test_a_bare_sorry_line_is_replaced_by_the_tactics(env: LeanEnv) -> None:
    sketcher = LeanSketcher(env)
    elaboration = sketcher.elaborate(THM, "  sorry")
    assert isinstance(elaboration, Elaboration)
    assert sketcher.assemble(elaboration, {0: Fill(0, ("subst h₀", "rfl"), "search")}) == ("subst h₀", "rfl")


def test_the_pipeline_fills_holes_by_search_and_verifies_the_assembled_proof(env: LeanEnv, log_file: Path) -> None:
    assert "lean" in sketch_backends()
    backend, _ = sketch_pipeline("lean", env)
    assert isinstance(backend, LeanSketcher)
    problem = InformalProblem("toy_thm", "Show b = a.", "a = a, and b = a by h0.", THM)
    search = SearchConfig(max_expansions=4, num_samples=4, wall_time=20.0, tactic_timeout=5.0)
    result = run_informal(problem, env, FixedCompleter(["  have h₁ : a = a := by sorry\n  frobnicate", TWO_HOLES]),
                          generator=PortfolioGenerator("lean"), num_sketches=2, hole_search=search)
    assert [a.outcome for a in result.attempts] == ["sketch_failed", "proved"], result.attempts
    assert result.proved and result.verification.ok
    assert result.proof == ("have h₁ : a = a := by", "  norm_num", "have h₂ : b = a := by", "  norm_num", "linarith")
    checked = [r["cmd"] for r in requests(log_file) if "cmd" in r and r["cmd"].startswith("set_option maxHeartbeats")]
    assert checked[-1] == (
        "set_option maxHeartbeats 400000 in\ntheorem toy_thm (a b : ℕ) (h₀ : a = b) : b = a := by\n"
        "  skip\n  have h₁ : a = a := by\n    norm_num\n  have h₂ : b = a := by\n    norm_num\n  linarith"
    )


def test_extract_steps_without_a_process() -> None:
    assert strip_comments('a -- x\n/- b /- nested -/ c -/d "-- kept"') == 'a \nd "-- kept"'
    assert extract_steps(THM, "by\n  simp\n  · sorry") == ["simp", "· sorry"]
    assert isinstance(extract_steps(THM, "  -- nothing but a comment"), SketchFailure)
    failure = extract_steps(THM, "import Foo\ntheorem toy_thm (a b : ℕ) (h₀ : a = b) : b = a := by\n  simp")
    assert isinstance(failure, SketchFailure) and failure.kind is K.FORBIDDEN
    ok = extract_steps(THM, HEADER + "\ntheorem toy_thm (a b : ℕ) (h₀ : a = b) : b = a := by simp")
    assert ok == ["simp"]


def test_extract_steps_is_linear_on_lines_that_open_an_attribute() -> None:
    """The restated theorem is looked for from each line start: an attribute list read across
    lines made 240,000 characters of `@[` lines take seconds (red-team round 26)."""
    import time

    start = time.monotonic()
    assert isinstance(extract_steps(THM, "@[\n" * 80_000), SketchFailure)
    assert time.monotonic() - start < 1.0


def test_extract_steps_is_linear_in_blank_and_short_lines() -> None:
    """Leading blank lines were dropped one slice at a time (quadratic: 7 s for 400,000
    characters), and every line of an over-long sketch was screened before the whole was found
    too long (red-team round 26)."""
    import time

    start = time.monotonic()
    assert extract_steps(THM, "  \n" * 130_000 + "simp") == ["simp"]
    too_long = extract_steps(THM, "simp\n" * 80_000)
    assert isinstance(too_long, SketchFailure) and "longer than" in too_long.message
    assert time.monotonic() - start < 1.5


def test_a_hole_goal_of_many_shadowed_names_is_read_in_linear_time() -> None:
    """`iterate 10000 have h : True := trivial` before a hole gives a goal of ten thousand names
    `h✝ⁿ`: each got its fresh name by counting from 1, and each hypothesis built and ran an
    alternation of all of them (39 s, red-team round 26). A few are still renamed."""
    import time

    from lean_env.lean_repl.goals import parse_goal
    from lean_env.lean_repl.sketch import hole_lemma

    sup = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")

    def shadowed(n: int) -> str:
        return "\n".join(f"h✝{str(i).translate(sup) if i else ''} : True" for i in range(n)) + "\n⊢ 1 = 1"

    start = time.monotonic()
    assert hole_lemma(THM, 1, parse_goal(shadowed(10_000)), shadowed(10_000)) is None
    assert time.monotonic() - start < 1.0
    few = hole_lemma(THM, 1, parse_goal(shadowed(3)), shadowed(3))
    assert few is not None and "(h_1 : True) (h_2 : True) (h_3 : True) : 1 = 1" in few.statement


def test_a_hole_goal_that_reads_as_a_command_gets_no_lemma() -> None:
    """A hole's lemma is stated from the goal the search's process printed: text there that
    would run as a command is no goal to state."""
    from lean_env.base import Goal, Hypothesis
    from lean_env.lean_repl.sketch import hole_lemma

    fine = Goal((Hypothesis(("a",), "ℕ"),), "a = a")
    assert hole_lemma(THM, 1, fine, "a : ℕ\n⊢ a = a") is not None
    forged = Goal((Hypothesis(("a",), "ℕ"),), "a = a := by rfl\nelab \"pwn\" : term => pure default")
    assert hole_lemma(THM, 1, forged, "a : ℕ\n⊢ a = a") is None


def test_a_sketch_too_long_for_one_request_is_a_failure_not_an_exception(
    env: LeanEnv, log_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lines that went through one by one may not fit one REPL request together: that is the
    sketch's failure, with nothing sent for it (red-team round 25). The request limit is lowered
    here: the screen's limit on a proof keeps real sketches far below it."""
    monkeypatch.setattr("lean_env.lean_repl.protocol.MAX_REQUEST_CHARS", 20_000)
    line = "have : (1 : ℕ) = 1" + " + 0" * 2_000 + " := rfl"
    failure = LeanSketcher(env).elaborate(THM, "\n".join([line] * 3 + ["exact h₀.symm"]))
    assert isinstance(failure, SketchFailure) and "cannot be sent to the REPL" in failure.message
    assert not any(len(r.get("cmd", r.get("tactic", ""))) > 8_000 for r in requests(log_file))
