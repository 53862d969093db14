"""Sketch values, Coq skeleton extraction (no Coq process), prompts, the sketcher and the pipeline loop."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from lean_env.base import Goal, Hypothesis, Theorem, Verification
from lean_env.coq.sketch import extract_steps, hole_prefix, hole_statement
from lean_env.sketch import (
    Elaboration,
    Fill,
    FillFailure,
    Hole,
    SketchFailure,
    SketchFailureKind,
    strip_fences,
)
from prover.sketch_prompts import COQ, ISABELLE, LEAN, InformalProblem, draft_prompt, sketch_format
from prover.sketcher import EngineCompleter, FixedCompleter, Sketcher
from search.informal import InformalConfig, prove_informal, summary

K = SketchFailureKind
THEOREM = Theorem("t", "Require Import Arith Lia.\n", "Theorem t : forall n : nat, n + 0 = n.", "coq")


# -- Coq skeleton extraction ---------------------------------------------------------------------


def test_hole_forms():
    assert hole_prefix("admit.") == ""
    assert hole_prefix("assert (h : n = 0) by admit.") == "assert (h : n = 0)."
    assert hole_prefix("enough (h : P) by admit.") == "enough (h : P)."
    assert hole_prefix("lia.") is None
    assert hole_prefix("try admit.") is None


def test_extract_drops_fences_proof_and_qed_and_whatever_follows():
    text = "```coq\nProof.\n  intros n. (* step *)\n  lia.\nQed.\nTheorem other : False.\n```"
    assert extract_steps(THEOREM, text) == ["intros n.", "lia."]


@pytest.mark.parametrize(
    "text, kind, step",
    [
        ("Theorem t : forall n : nat, n = n.\nProof. auto. Qed.", K.STATEMENT_CHANGED, "Theorem t : forall n : nat, n = n."),
        ("intros n.\nAxiom cheat : False.\ndestruct cheat.", K.FORBIDDEN, "Axiom cheat : False."),
        ("intros n.\ntry admit.", K.FORBIDDEN, "try admit."),
        ("intros n.\nadmit; lia.", K.FORBIDDEN, "admit; lia."),
        ("intros n.\nassert (h : False) by (admit).", K.FORBIDDEN, "assert (h : False) by (admit)."),
        ("intros n. give_up.", K.FORBIDDEN, "give_up."),
        ("intros n. lia. Admitted.", K.FORBIDDEN, "Admitted."),
        ("Proof. Qed.", K.PARSE, None),
        ("intros n. (* unclosed", K.PARSE, None),
    ],
)
def test_extract_rejects(text, kind, step):
    failure = extract_steps(THEOREM, text)
    assert isinstance(failure, SketchFailure) and failure.kind is kind, failure
    assert failure.step == step


def test_restated_original_statement_is_accepted():
    text = "Theorem t :\n  forall n : nat,  n + 0 = n.\nProof.\nadmit.\nQed."
    assert extract_steps(THEOREM, text) == ["admit."]


def test_hole_statement_generalises_the_context():
    goal = Goal(
        (Hypothesis(("x", "y"), "R"), Hypothesis(("w",), "R", "y - 3 * z"), Hypothesis(("h0",), "x > 0")),
        "x + w > 0",
    )
    assert hole_statement(goal) == (
        "forall (x y : R), let w : R := y - 3 * z in forall (h0 : x > 0), x + w > 0"
    )
    assert hole_statement(Goal((Hypothesis((), "garbled"),), "P")) is None
    assert hole_statement(Goal((), "1 = 1")) == "1 = 1"


def test_a_hole_statement_that_would_run_a_tactic_is_not_made():
    """The statement is built from a printed goal and run as a command in the search's coqtop. With
    a header importing Coq.Strings.String a step can print any text in a goal (a string term with
    newlines, and a value/type split inside the string): `ltac:(...)` landed outside the quotes and
    an unscreened tactic ran there (red-team round 26: `do 30000000 idtac` for 8 s)."""
    forged = Hypothesis(("s",), 'ltac:(do 30000000 idtac; exact nat)"%string : string', '"%string')
    assert hole_statement(Goal((forged,), "True")) is None
    assert hole_statement(Goal((), "P ltac2 :(idtac)")) is None
    assert hole_statement(Goal((), "x:{{ a }} = 1")) is None
    assert hole_statement(Goal((Hypothesis(("ltac_count",), "nat"),), "ltac_count = 1")) is not None


def test_strip_fences():
    assert strip_fences("Sure:\n```isabelle\nproof -\nqed\n```\nDone") == "proof -\nqed\n"
    assert strip_fences("by simp") == "by simp"


# -- prompts and sketcher ------------------------------------------------------------------------

PROBLEM = InformalProblem("t", "Show that n + 0 = n.", "Adding zero changes nothing.", THEOREM)


def test_sketch_prompt_ends_with_this_problem_and_its_statement():
    prompt = COQ.render(PROBLEM, PROBLEM.informal_proof)
    assert prompt.count("Informal:") == len(COQ.exemplars) + 1
    assert prompt.endswith("Adding zero changes nothing.*)\n\nFormal:\nTheorem t : forall n : nat, n + 0 = n.\n")
    for exemplar in COQ.exemplars:
        assert exemplar.formal_sketch in prompt
    assert all("by admit." in e.formal_sketch for e in COQ.exemplars)
    assert all("sledgehammer" in e.formal_sketch for e in ISABELLE.exemplars)
    assert all(":= by sorry" in e.formal_sketch for e in LEAN.exemplars)
    assert {"\n\n\n", "Informal:"} <= set(COQ.stop)
    with pytest.raises(ValueError, match="no sketch prompt format"):
        sketch_format("agda")


def test_draft_prompt_is_minerva_style():
    prompt = draft_prompt(PROBLEM)
    assert prompt.endswith("Problem:\nShow that n + 0 = n.\n\nSolution:\n")
    assert prompt.count("Problem:") == 3


def test_sketcher_dedupes_and_limits_and_records_prompts():
    completer = FixedCompleter(["lia.", " lia. ", "", "auto.", "easy."])
    sketcher = Sketcher(completer, "coq")
    assert sketcher.sketch(PROBLEM, "draft", 5) == ["lia.", "auto.", "easy."]
    assert sketcher.sketch(PROBLEM, "draft", 4) == ["lia.", "auto."]  # duplicates and blanks count
    assert "draft*)" in completer.prompts[-1]
    assert sketcher.draft(PROBLEM) == "lia."
    assert completer.prompts[-1].endswith("Solution:\n")


class _FakeEngine:
    def __init__(self, result):
        self.result, self.requests = result, []

    def generate_batch(self, requests):
        self.requests.extend(requests)
        return [self.result]


def test_engine_completer_passes_settings_and_raises_request_errors():
    from prover.engines.base import Completion

    engine = _FakeEngine([Completion("intros n.", -1.0, 3)])
    texts = EngineCompleter(engine).complete("P", 4, 99, ["Qed."], 0.0)
    assert texts == ["intros n."]
    settings = engine.requests[0].settings
    assert (settings.n, settings.max_new_tokens, settings.stop, settings.temperature) == (1, 99, ("Qed.",), 0.0)
    EngineCompleter(engine).complete("P", 4, 99, [], 0.7)
    assert engine.requests[1].settings.n == 4
    with pytest.raises(RuntimeError, match="too long"):
        EngineCompleter(_FakeEngine(RuntimeError("prompt too long"))).complete("P", 1, 9, [], 0.0)


# -- the pipeline loop, with fakes for the backend ------------------------------------------------


class FakeBackend:
    """Elaborates "ok:<holes>" to that many holes; anything else fails at step 0."""

    backend = "coq"

    def elaborate(self, theorem, sketch):
        if not sketch.startswith("ok:"):
            return SketchFailure(K.STEP_FAILED, "bad", sketch, 0)
        holes = tuple(Hole(i, i, "admit.", Goal((), f"g{i}"), "") for i in range(int(sketch[3:])))
        return Elaboration(theorem, ("admit.",) * len(holes), holes)

    def assemble(self, elaboration, fills: Mapping[int, Fill]):
        return tuple(fills[h.index].proof[0] for h in elaboration.holes) + ("done",)


class FakeFiller:
    def __init__(self, fail_goal=None):
        self.fail_goal = fail_goal

    def fill(self, elaboration):
        return tuple(
            FillFailure(h.index, "no") if h.goal.conclusion == self.fail_goal else Fill(h.index, (f"p{h.index}",), "search")
            for h in elaboration.holes
        )


def _verifier(accept):
    calls = []

    def verify(theorem, proof):
        calls.append((theorem, tuple(proof)))
        ok = accept(proof)
        return Verification(ok, "" if ok else "refused", "script")

    return verify, calls


def test_pipeline_tries_sketches_until_one_verifies():
    verify, calls = _verifier(lambda proof: len(proof) == 3)
    sketcher = Sketcher(FixedCompleter(["broken", "ok:1", "ok:2", "ok:3"]), "coq")
    result = prove_informal(PROBLEM, sketcher, FakeBackend(), FakeFiller(), verify, InformalConfig(num_sketches=4))
    assert result.proved and result.proof == ("p0", "p1", "done")
    assert [a.outcome for a in result.attempts] == ["sketch_failed", "rejected", "proved"]
    assert all(t is THEOREM for t, _ in calls)  # always the original theorem
    record = summary(result)
    assert record["attempts"] == {"sketch_failed": 1, "rejected": 1, "proved": 1} and record["proved"]


def test_pipeline_never_verifies_with_an_unfilled_hole_and_drafts_when_needed():
    verify, calls = _verifier(lambda proof: True)
    completer = FixedCompleter(["ok:2"])
    problem = InformalProblem("t", "Show it.", None, THEOREM)
    result = prove_informal(problem, Sketcher(completer, "coq"), FakeBackend(), FakeFiller("g1"), verify)
    assert not result.proved and result.attempts[0].outcome == "hole_failed" and calls == []
    assert result.drafted and result.draft == "ok:2"
    assert result.stop_reason == "sketches"


def test_pipeline_without_sketches_says_so():
    verify, _ = _verifier(lambda proof: True)
    result = prove_informal(PROBLEM, Sketcher(FixedCompleter([]), "coq"), FakeBackend(), FakeFiller(), verify)
    assert not result.proved and result.stop_reason == "no_sketch"


def test_to_informal_reads_missing_informal_text_from_the_informal_folder(tmp_path):
    from types import SimpleNamespace

    from lean_env.base import BadTheorem
    from prover_cli.informal import to_informal

    (tmp_path / "test").mkdir()
    (tmp_path / "test" / "t.json").write_text('{"informal_statement": "S", "informal_proof": "P"}')
    bare = SimpleNamespace(theorem=THEOREM, split="test", informal_statement="", informal_proof="")
    assert to_informal(bare, tmp_path) == InformalProblem("t", "S", "P", THEOREM)
    given = SimpleNamespace(theorem=THEOREM, split="test", informal_statement="S2", informal_proof="")
    assert to_informal(given) == InformalProblem("t", "S2", None, THEOREM)
    with pytest.raises(BadTheorem):
        to_informal(bare, tmp_path / "nowhere")
