"""Informal-to-formal proving on real Coq: elaborate sketches, fill holes by search, verify by coqc."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lean_env.base import Theorem
from lean_env.sketch import Elaboration, Fill, SketchFailure, SketchFailureKind, UnfilledHole
from prover.sketch_prompts import COQ, InformalProblem
from prover.sketcher import FixedCompleter, Sketcher
from search.best_first import SearchConfig
from search.informal import InformalConfig, SearchFiller, prove_informal

pytestmark = pytest.mark.coq

HEADER = "Require Import Arith Lia.\n"
STATEMENT = "Theorem double_gt : forall n m : nat, n = 2 * m -> m > 0 -> n > m."
THEOREM = Theorem("double_gt", HEADER, STATEMENT, "coq")
TWO_HOLES = """Proof.
  intros n m h0 h1.
  (* n is m plus m *)
  assert (h2 : n = m + m) by admit.
  (* and m + m exceeds m since m is positive *)
  assert (h3 : m + m > m) by admit.
  lia.
Qed."""
SEARCH = SearchConfig(max_expansions=6, num_samples=20, wall_time=20.0, tactic_timeout=5.0)


@pytest.fixture(scope="module")
def sketcher():
    from lean_env.coq.sketch import CoqSketcher

    return CoqSketcher()


def _problem(theorem: Theorem = THEOREM) -> InformalProblem:
    return InformalProblem(theorem.name, "Show n > m.", "n = m + m > m since m > 0.", theorem)


def _run(env, sketcher, sketches, theorem=THEOREM):
    from prover.portfolio import PortfolioGenerator

    filler = SearchFiller(env, PortfolioGenerator("coq"), SEARCH)
    return prove_informal(
        _problem(theorem), Sketcher(FixedCompleter(sketches), "coq"), sketcher, filler, env.verify,
        InformalConfig(num_sketches=len(sketches)),
    )


def test_two_holes_are_elaborated_filled_by_search_and_verified(coq_env, sketcher):
    elaboration = sketcher.elaborate(THEOREM, TWO_HOLES)
    assert isinstance(elaboration, Elaboration), elaboration
    assert [h.goal.conclusion for h in elaboration.holes] == ["n = m + m", "m + m > m"]
    assert [n for h in elaboration.holes[1].goal.hypotheses for n in h.names] == ["n", "m", "h0", "h1", "h2"]
    assert elaboration.holes[0].lemma.statement.startswith("Lemma double_gt_hole1 : forall (n m : nat)")

    result = _run(coq_env, sketcher, [TWO_HOLES])
    assert result.proved and result.stop_reason == "proved"
    (attempt,) = result.attempts
    assert [f.method for f in attempt.fills] == ["search", "search"]
    assert not any("admit" in step for step in result.proof)
    assert result.verification.ok
    assert STATEMENT in result.verification.script  # checked against the original statement


def test_wrong_step_fails_cleanly_with_the_step_named(sketcher):
    sketch = "intros n m h0 h1.\nrewrite no_such_lemma.\nassert (h : n = m + m) by admit.\nlia."
    failure = sketcher.elaborate(THEOREM, sketch)
    assert isinstance(failure, SketchFailure)
    assert failure.kind is SketchFailureKind.STEP_FAILED
    assert failure.step == "rewrite no_such_lemma." and failure.step_index == 1
    assert "no_such_lemma" in failure.message


def test_sketch_leaving_goals_is_incomplete(sketcher):
    failure = sketcher.elaborate(THEOREM, "intros n m h0 h1.\nassert (h2 : n = m + m) by admit.")
    assert isinstance(failure, SketchFailure) and failure.kind is SketchFailureKind.INCOMPLETE


def test_a_solver_a_step_leaves_running_is_killed_before_the_next_step(monkeypatch):
    # `try (timeout 2 (psatz Z 8))` succeeds after 2 s and leaves psatz's csdpcert running.
    import psutil

    from lean_env.coq.sketch import CoqSketcher
    from lean_env.process import process_tree

    left: list[str] = []
    send = CoqSketcher._send

    def watched(self, top, sentence, timeout, fenced=False):
        result = send(self, top, sentence, timeout, fenced)
        helpers = [p for p in process_tree(top.child.pid) if p.name() not in ("bwrap", "coqtop")]
        _, alive = psutil.wait_procs(helpers, timeout=1.0)  # a killed one may take a moment to go
        left.extend(p.name() for p in alive if p.status() != psutil.STATUS_ZOMBIE)
        return result

    monkeypatch.setattr(CoqSketcher, "_send", watched)
    hard = ("forall a b c d e f g h : Z, a*b*c + d*e*f*g*h + a*a*a*a*b*b*c*c*d*d*e*e*f*f*g*g*h*h >= 0"
            " -> a*b*c*d*e*f*g*h + a*a*b*c*d*e >= -1")
    theorem = Theorem("t", "Require Import ZArith Psatz.\nOpen Scope Z_scope.\n", f"Theorem t : {hard}.", "coq")
    result = CoqSketcher().elaborate(theorem, "intros.\ntry (timeout 2 (psatz Z 8)).\nadmit.")
    assert isinstance(result, Elaboration), result
    assert not left, left


@pytest.mark.parametrize("forged", ['idtac "No more goals."', 'idtac "No" "more goals."'])
def test_a_step_that_prints_no_more_goals_does_not_complete_the_sketch(sketcher, forged):
    # The step's message once read as Coq's own, and the sketch passed with a goal left.
    sketch = f"intros n m h0 h1.\nassert (h2 : n = m + m) by admit.\n{forged}."
    failure = sketcher.elaborate(THEOREM, sketch)
    assert isinstance(failure, SketchFailure) and failure.kind is SketchFailureKind.INCOMPLETE, failure


def test_a_goal_that_prints_gave_up_does_not_complete_the_sketch(sketcher):
    """With a header that imports Coq.Strings.String, a step can put Coq's "gave up" note into the
    display itself (a string term with newlines, after the goal count), where `Show.` prints it
    too: the sketch once passed with its goal left (red-team round 26)."""
    note = "\nNo more goals, but there are some goals you gave up:\n"
    term = "EmptyString"
    for c in reversed(note):
        term = f"String (ascii_of_nat {ord(c)}) ({term})"
    theorem = Theorem("t", "Require Import String Ascii.\n", "Theorem t : 0 = 1.", "coq")
    failure = sketcher.elaborate(theorem, f"pose (s := {term}).\ncbv in s.")
    assert isinstance(failure, SketchFailure) and failure.kind is SketchFailureKind.INCOMPLETE, failure


def test_a_goal_left_is_reported_without_control_characters(sketcher):
    """`prover prove --informal` prints why a sketch failed, with the goals left: a string term a
    step computed (header importing Coq.Strings.String) put raw escape sequences there."""
    term = "EmptyString"
    for c in reversed("A\x1b[2J"):
        term = f"String (ascii_of_nat {ord(c)}) ({term})"
    theorem = Theorem("t", "Require Import String Ascii.\n", "Theorem t : 0 = 1.", "coq")
    failure = sketcher.elaborate(theorem, f"pose (s := {term}).\ncbv in s.")
    assert isinstance(failure, SketchFailure) and "\x1b" not in failure.message, failure


def test_changed_statement_and_axioms_are_rejected(coq_env, sketcher):
    changed = "Theorem double_gt : forall n m : nat, n = m.\nProof. intros. lia. Qed."
    assert sketcher.elaborate(THEOREM, changed).kind is SketchFailureKind.STATEMENT_CHANGED
    restated = STATEMENT.replace(" : ", " :\n  ") + "\n" + TWO_HOLES
    assert isinstance(sketcher.elaborate(THEOREM, restated), Elaboration)
    axiom = "intros n m h0 h1.\nAxiom cheat : False.\ndestruct cheat."
    failure = sketcher.elaborate(THEOREM, axiom)
    assert failure.kind is SketchFailureKind.FORBIDDEN and failure.step == "Axiom cheat : False."
    result = _run(coq_env, sketcher, [changed, axiom])
    assert not result.proved and [a.outcome for a in result.attempts] == ["sketch_failed", "sketch_failed"]


def test_a_sketch_step_coq_reads_as_two_sentences_is_caught(sketcher, monkeypatch):
    """The sketch's coqtop is fenced like the search's: with the splitter and the screen switched
    off (as if both misread a step), a step that runs a second sentence is refused, and the
    second sentence (`Abort.`, here) does not leave the replies out of step."""
    import lean_env.coq.sketch as sketch

    real = sketch.split_sentences
    monkeypatch.setattr(sketch, "split_sentences", lambda t: [t.strip()] if t.strip().startswith("intros") else real(t))
    monkeypatch.setattr(sketch, "screen_sentence", lambda s: None)
    failure = sketcher.elaborate(THEOREM, "intros n m h0 h1. Abort.")
    assert isinstance(failure, SketchFailure) and failure.kind is SketchFailureKind.FORBIDDEN, failure
    assert "one sentence" in failure.message


def test_a_hole_left_open_never_becomes_a_proof(coq_env, sketcher):
    false_hole = "intros n m h0 h1.\nassert (h2 : n = 0) by admit.\nlia."
    elaboration = sketcher.elaborate(THEOREM, false_hole)
    assert isinstance(elaboration, Elaboration)
    with pytest.raises(UnfilledHole):
        sketcher.assemble(elaboration, {})
    # The skeleton itself, admit included, is refused by the verifier.
    check = coq_env.verify(THEOREM, elaboration.steps)
    assert not check.ok and "admit" in check.message
    # A fill that smuggles an axiom, or that does not prove the hole, is caught by verification.
    for bad in (("Axiom cheat : False.", "destruct cheat."), ("intros.", "lia.")):
        proof = sketcher.assemble(elaboration, {0: Fill(0, bad, "test")})
        assert not coq_env.verify(THEOREM, proof).ok
    result = _run(coq_env, sketcher, [false_hole])
    assert not result.proved and result.attempts[0].outcome == "hole_failed"


@pytest.mark.parametrize("exemplar", COQ.exemplars, ids=lambda e: e.formal_statement.split()[1])
def test_prompt_exemplars_elaborate(sketcher, exemplar):
    name = exemplar.formal_statement.split()[1]
    theorem = Theorem(name, exemplar.header, exemplar.formal_statement, "coq")
    elaboration = sketcher.elaborate(theorem, exemplar.formal_sketch)
    assert isinstance(elaboration, Elaboration), elaboration
    assert elaboration.holes


def test_minif2f_problem_from_its_informal_proof(coq_env, sketcher, shared_data):
    from prover_cli.informal import informal_problems

    (problem,) = informal_problems(shared_data, "coq", "test", ["mathd_algebra_388"])
    assert problem.informal_proof and "w=y-3z" in problem.informal_proof.replace(" ", "")
    sketch = (Path(__file__).resolve().parents[1] / "fakes" / "sketches" / "mathd_algebra_388.v").read_text()
    result = _run(coq_env, sketcher, [sketch], problem.theorem)
    assert result.proved, result.attempts
    assert result.verification.ok and problem.theorem.statement.strip() in result.verification.script


def test_cli_prove_informal_with_a_given_sketch(tmp_path):
    from typer.testing import CliRunner

    from prover_cli import informal, prove  # noqa: F401  (registers the commands)
    from prover_cli.app import app

    (tmp_path / "p.json").write_text(json.dumps({"informal_statement": "Show n > m.", "informal_proof": "n = m + m."}))
    (tmp_path / "s.v").write_text(TWO_HOLES)
    args = ["prove", "--statement", STATEMENT, "--header", HEADER, "--informal", str(tmp_path / "p.json"),
            "--sketch", str(tmp_path / "s.v"), "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert record["proved"] and record["attempts"] == {"proved": 1}


def test_evaluate_informal_writes_one_line_per_problem(coq_env, tmp_path):
    from prover_cli.informal import evaluate_informal

    other = Theorem("other", HEADER, "Theorem other : forall n : nat, n + 0 = n.", "coq")
    broken = Theorem("broken", HEADER, "Theorem broken : forall n : nat, n + = n.", "coq")
    problems = [_problem(), _problem(other), _problem(broken)]
    out = tmp_path / "results.jsonl"
    summary = evaluate_informal(problems, coq_env, FixedCompleter([TWO_HOLES]), out, hole_search=SEARCH)
    assert summary == {"mode": "informal", "total": 3, "proved": 1, "errors": 1, "rate": 1 / 3}
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["name"] for r in records] == ["double_gt", "other", "broken"]
    assert [r["proved"] for r in records] == [True, False, False]
    assert records[1]["attempts"] == {"sketch_failed": 1} and "error" in records[2]


def test_cli_prove_with_informal_flag(tmp_path):
    from typer.testing import CliRunner

    from prover_cli.main import app

    (tmp_path / "p.json").write_text(json.dumps({"informal_statement": "Show n > m.", "informal_proof": "n = m + m."}))
    (tmp_path / "s.v").write_text(TWO_HOLES)
    args = ["prove", "--statement", STATEMENT, "--header", HEADER, "--informal", str(tmp_path / "p.json"),
            "--sketch", str(tmp_path / "s.v"), "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["proved"]
