"""Pieces of Lean verification that need no process: the checked text and the axiom audit."""

from __future__ import annotations

from lean_env.base import Theorem
from lean_env.lean_repl.verify import declared_name, parse_axioms, proof_command
from lean_env.lean_repl.worker import sorry_command

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


def test_axiom_output_is_parsed_across_line_wraps() -> None:
    wrapped = "'t' depends on axioms: [propext,\n Classical.choice,\n Quot.sound]"
    assert parse_axioms(["unrelated", wrapped]) == ("propext", "Classical.choice", "Quot.sound")
    assert parse_axioms(["'t' does not depend on any axioms"]) == ()
    assert parse_axioms(["unknown constant 't'"]) is None
