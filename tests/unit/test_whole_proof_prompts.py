"""Whole-proof prompt formats: chosen from the model id, sources stated, proof extracted from
hand-written model outputs in the shape each format answers in (tests/fakes/whole_proof_outputs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lean_env.base import Theorem
from lean_env.registry import UnknownName
from prover.whole_proof import (
    WHOLE_PROOF_FORMATS,
    CompleterSampler,
    ExtractionError,
    RecordedSampler,
    get_whole_format,
    whole_format_for,
)
from prover.sketcher import FixedCompleter

OUTPUTS = Path(__file__).resolve().parents[1] / "fakes" / "whole_proof_outputs"
LEAN = Theorem("amgm_two", "import Mathlib", "theorem amgm_two (a b : ℝ) : 2 * a * b ≤ a ^ 2 + b ^ 2 := by", "lean")
COQ = Theorem("t2", "Require Import Arith.", "Theorem t2 : forall n : nat, n = n + 0.", "coq")


def out(name: str) -> str:
    return (OUTPUTS / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("model, expected", [
    ("deepseek-ai/DeepSeek-Prover-V1.5-RL", "deepseek-prover-v1.5"),
    ("deepseek-ai/DeepSeek-Prover-V2-7B", "deepseek-prover-v2-cot"),
    ("Goedel-LM/Goedel-Prover-SFT", "goedel-prover"),
    ("Goedel-LM/Goedel-Prover-V2-32B", "goedel-prover-v2"),
    ("AI-MO/Kimina-Prover-Preview-Distill-7B", "kimina-prover"),
    ("/models/my-own-llm", "deepseek-prover-v1.5"),
])
def test_format_from_model_id(model, expected):
    assert whole_format_for(model, "lean") == expected
    assert whole_format_for(model, "coq") == "coq-whole"


def test_every_format_states_its_published_source_and_renders_the_statement():
    names = WHOLE_PROOF_FORMATS.names()
    assert {"deepseek-prover-v1.5", "deepseek-prover-v2", "deepseek-prover-v2-cot", "goedel-prover",
            "goedel-prover-v2", "kimina-prover", "coq-whole"} <= set(names)
    for name in names:
        fmt = WHOLE_PROOF_FORMATS.get(name)
        assert fmt.source and ("arXiv" in fmt.source or fmt.backend == "coq"), name
        theorem = COQ if fmt.backend == "coq" else LEAN
        prompt = fmt.render(theorem, "Show that 2ab is at most a^2 + b^2.")
        assert theorem.statement.strip().rstrip(":= by").strip() in prompt, name
        if fmt.completion:  # the prompt stops inside the open code block, right after the statement
            assert prompt.count("```") == 1 and prompt.rstrip().endswith(("by", "Proof.")), name
    assert "<｜User｜>" in WHOLE_PROOF_FORMATS.get("deepseek-prover-v2").render(LEAN)
    assert "plan" in WHOLE_PROOF_FORMATS.get("deepseek-prover-v2-cot").render(LEAN)
    assert "plan" not in WHOLE_PROOF_FORMATS.get("deepseek-prover-v2").render(LEAN)
    kimina = WHOLE_PROOF_FORMATS.get("kimina-prover").render(LEAN, "Show that 2ab <= a^2+b^2.")
    assert "<|im_start|>system" in kimina and "Show that 2ab <= a^2+b^2." in kimina


def test_wrong_backend_and_unknown_format_are_refused():
    with pytest.raises(ValueError, match="is for lean, not coq"):
        get_whole_format("kimina-prover", None, "coq")
    with pytest.raises(UnknownName):
        get_whole_format("deepseek-prover-v9", None, "lean")


@pytest.mark.parametrize("fmt, fixture, proof", [
    ("deepseek-prover-v2-cot", "deepseek_v2_cot.txt", "have h := sq_nonneg (a - b)\nnlinarith [h]"),
    ("kimina-prover", "kimina.txt", "nlinarith [sq_nonneg (a - b), sq_nonneg (a + b)]"),
    ("goedel-prover-v2", "goedel_v2.txt", "nlinarith [sq_nonneg (a - b)]"),
    ("deepseek-prover-v1.5", "v15_completion.txt",
     "-- the square of a difference is non-negative\nhave h : 0 ≤ (a - b) ^ 2 := sq_nonneg (a - b)\n"
     "-- expand and conclude\nnlinarith [h]"),
    ("deepseek-prover-v2", "truncated.txt", "nlinarith [sq_nonneg (a - b),"),  # cut at the token limit: checked, fails
])
def test_lean_extraction_takes_the_last_block_after_the_statement(fmt, fixture, proof):
    assert WHOLE_PROOF_FORMATS.get(fmt).extract(out(fixture), LEAN) == proof


@pytest.mark.parametrize("fixture, message", [
    ("no_block.txt", "no ```lean4 block"),
    ("other_theorem.txt", "does not prove amgm_two"),
])
def test_lean_outputs_without_a_proof_of_the_theorem(fixture, message):
    with pytest.raises(ExtractionError, match=message):
        WHOLE_PROOF_FORMATS.get("deepseek-prover-v2-cot").extract(out(fixture), LEAN)


@pytest.mark.parametrize("fixture, proof", [
    ("coq_block.txt", "induction n as [|n IH].\n  - reflexivity.\n  - simpl. rewrite <- IH. reflexivity."),
    ("coq_completion.txt", "intros n.\n  induction n; simpl; auto."),
    ("coq_admitted.txt", "intros n.\n  admit.\nAdmitted."),  # kept: the screen must refuse it
])
def test_coq_extraction(fixture, proof):
    assert WHOLE_PROOF_FORMATS.get("coq-whole").extract(out(fixture), COQ) == proof


def test_coq_injection_after_a_qed_stays_in_the_script():
    from lean_env.coq.sentences import split_tactic

    script = WHOLE_PROOF_FORMATS.get("coq-whole").extract(out("coq_injection.txt"), COQ)
    assert "Axiom cheat" in script
    assert split_tactic(script)[1] == "vernacular command 'Qed' is not a tactic"


def test_samplers():
    fmt = get_whole_format(None, None, "coq")
    completer = FixedCompleter(["a", "b", "c"])
    assert CompleterSampler(completer, fmt).sample(COQ, 0, 2) == ["a", "b"]
    assert "Theorem t2" in completer.prompts[0] and completer.prompts[0].endswith("Proof.\n")
    recorded = RecordedSampler(lambda theorem: ["p0", "p1", "p2"])
    assert recorded.sample(COQ, 1, 5) == ["p1", "p2"] and recorded.sample(COQ, 3, 2) == []


def test_lean_extraction_is_linear_in_the_answer():
    """Extraction runs in the search's process on every sample: an answer of blank lines (a model
    may write tens of thousands of tokens) must not take time quadratic in its length."""
    import time

    answer = "```lean4\n" + " \n" * 30_000 + "theorem other : True := by\n  trivial\n```"
    start = time.monotonic()
    with pytest.raises(ExtractionError):
        WHOLE_PROOF_FORMATS.get("deepseek-prover-v2").extract(answer, LEAN)
    assert time.monotonic() - start < 1.0


def test_lean_extraction_is_linear_on_lines_that_open_an_attribute():
    """An attribute list that may span lines was read from every line start to the answer's end
    (red-team round 26): 240,000 characters of `@[` lines took seconds."""
    import time

    answer = "```lean4\n" + "@[\n" * 80_000 + "theorem other : True := by\n  trivial\n```"
    start = time.monotonic()
    with pytest.raises(ExtractionError):
        WHOLE_PROOF_FORMATS.get("deepseek-prover-v2").extract(answer, LEAN)
    assert time.monotonic() - start < 1.0
    honest = "```lean4\n@[simp]\ntheorem amgm_two (a b : ℝ) : 2 * a * b ≤ a ^ 2 + b ^ 2 := by\n  nlinarith\n```"
    assert WHOLE_PROOF_FORMATS.get("deepseek-prover-v2").extract(honest, LEAN) == "nlinarith"


def test_a_fence_followed_by_a_run_of_blanks_is_read_in_linear_time():
    """Two `[ \t]*` around an optional language name split a run of blanks after the backticks
    every possible way: 100,000 tabs took seconds (found by benchmarks.perf.screen_worst_case)."""
    import time

    from prover.whole_proof import last_block

    start = time.monotonic()
    assert last_block("```" + "\t" * 100_000 + "x", ("coq",)) is None
    assert time.monotonic() - start < 1.0
    assert last_block("``` coq \nintros.\n```", ("coq",)) == "intros.\n"
    assert last_block("```\t\nlia.\n```", ("",)) == "lia.\n"  # a fence without a language
