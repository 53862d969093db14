"""Pieces of Lean verification that need no process: the checked text and the axiom audit."""

from __future__ import annotations

import pytest

from lean_env.base import Theorem
from lean_env.lean_repl.protocol import Message
from lean_env.lean_repl.verify import declared_name, parse_axioms, proof_command, statement_proposition
from lean_env.lean_repl.header_repl import sorry_command

STATEMENT = "theorem mathd_algebra_10 : abs ((120 : ℝ) / 100 * 30 - 130 / 100 * 20) = 10 := by\n"


def test_statement_is_kept_byte_for_byte_and_tactics_are_indented() -> None:
    thm = Theorem("mathd_algebra_10", "import Mathlib\n", STATEMENT, "lean")
    text = proof_command(thm, ["norm_num [abs_of_nonneg]", "have h : 1 = 1 := by\n  rfl"], 400000)
    assert text.splitlines() == [
        "set_option maxHeartbeats 400000 in",
        STATEMENT.rstrip(),
        "  norm_num [abs_of_nonneg]",
        "  have h : 1 = 1 := by",
        "    rfl",
    ]


def test_sorry_command_and_declared_name() -> None:
    assert sorry_command(STATEMENT).endswith(":= by sorry")
    assert sorry_command("theorem t : True :=") == "theorem t : True := by sorry"
    assert declared_name(STATEMENT) == "mathd_algebra_10"
    assert declared_name("lemma foo.bar (x : ℕ) : x = x := by") == "foo.bar"
    assert declared_name("example : True := by") is None


def info(text: str, severity: str = "info") -> Message:
    return Message.model_validate({"severity": severity, "pos": {"line": 1, "column": 0}, "data": text})


def test_axiom_output_is_parsed_across_line_wraps() -> None:
    wrapped = "'t' depends on axioms: [propext,\n Classical.choice,\n Quot.sound]"
    assert parse_axioms([info(wrapped)], "t") == ("propext", "Classical.choice", "Quot.sound")
    assert parse_axioms([info("'t' does not depend on any axioms")], "t") == ()


@pytest.mark.parametrize(
    "messages",
    [
        [info("unknown constant 't'")],
        [info("unknown constant 't'", "error")],
        [],
        # Another constant's answer, or one that merely contains the phrase.
        [info("'u' does not depend on any axioms")],
        [info("'t' depends on axioms: [cheat (h : 't' does not depend on any axioms)]")],
        [info("'t' depends on axioms: [propext]\n't' does not depend on any axioms")],
        [info("'t' depends on axioms: [sorryAx]"), info("'t' does not depend on any axioms")],
        [info("note: 't' does not depend on any axioms")],
        [info("'t' does not depend on any axioms", "warning")],
        [info("'t' depends on axioms: [propext, [Quot.sound]]")],
        [info("'t' depends on axioms: [propext, ]")],
        [info("'t' depends on axioms: [«does not depend on any axioms»]")],
    ],
)
def test_axiom_answers_that_are_not_exactly_leans_phrase_are_refused(messages) -> None:
    assert parse_axioms(messages, "t") is None


def test_statement_as_a_proposition_checked_apart_from_the_proof() -> None:
    assert statement_proposition(STATEMENT) == "abs ((120 : ℝ) / 100 * 30 - 130 / 100 * 20) = 10"
    stated = "theorem t (a b : ℕ) {f : ℕ → ℕ} [Fact (1 < 2)] (h₀ : f (n := a) = b) : b = f a := by"
    assert statement_proposition(stated) == (
        "∀ (a b : ℕ) {f : ℕ → ℕ} [Fact (1 < 2)] (h₀ : f (n := a) = b),\n    b = f a")
    assert statement_proposition("theorem t : ∀ x : ℕ, x = x :=") == "∀ x : ℕ, x = x"
    assert statement_proposition("example : True := by") is None
    assert statement_proposition("theorem t (x : ℕ) := by") is None


def test_a_proof_of_a_million_tiny_steps_is_refused_before_each_is_screened() -> None:
    """A published record may hold any list of steps: each was screened before the joined
    length was looked at, about 30 µs a step (28 s for a million; red-team round 26)."""
    import time

    from lean_env.lean_repl.verify import verify_proof

    theorem = Theorem("t", "import Mathlib", "theorem t (h : True) : True := by", "lean")
    start = time.monotonic()
    checked = verify_proof(None, None, theorem, ["x"] * 1_000_000, 400_000, 5.0)  # type: ignore[arg-type]
    assert time.monotonic() - start < 2.5
    assert not checked.ok and "longer than" in checked.message
