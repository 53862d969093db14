"""Lean goal text parsed into Goal/Hypothesis values."""

from __future__ import annotations

from lean_env.base import Hypothesis
from lean_env.lean_repl.goals import parse_goal, parse_goals, pretty


def test_hypotheses_with_several_names_and_a_case_tag() -> None:
    goal = parse_goal("case succ\nx y : ℕ\nh₀ : x ≠ 0\nhx : x + 1 > x\n⊢ x + 1 + 1 > x + 1")
    assert goal.hypotheses == (
        Hypothesis(("x", "y"), "ℕ"),
        Hypothesis(("h₀",), "x ≠ 0"),
        Hypothesis(("hx",), "x + 1 > x"),
    )
    assert goal.conclusion == "x + 1 + 1 > x + 1"


def test_let_values_and_wrapped_lines() -> None:
    goal = parse_goal("n✝ : ℕ\ny : ℕ := n✝ + 1\nh : ∀ (a : ℕ),\n    a = a\n⊢ y =\n    n✝ + 1")
    assert goal.hypotheses[1] == Hypothesis(("y",), "ℕ", "n✝ + 1")
    assert goal.hypotheses[2].type == "∀ (a : ℕ),\n    a = a"
    assert goal.conclusion == "y =\n    n✝ + 1"


def test_no_hypotheses_and_unparseable_text() -> None:
    assert parse_goal("⊢ Nat").hypotheses == () and parse_goal("⊢ Nat").conclusion == "Nat"
    assert parse_goal("something odd").conclusion == "something odd"


def test_pretty_joins_goals_like_lean() -> None:
    goals = ("case left\n⊢ p", "case right\n⊢ q")
    assert pretty(goals) == "case left\n⊢ p\n\ncase right\n⊢ q"
    assert [g.conclusion for g in parse_goals(goals)] == ["p", "q"]
    assert pretty(()) == "no goals"


def test_long_hypothesis_with_its_type_on_the_next_lines() -> None:
    goal = parse_goal("x : ℝ\nh₀ :\n  ∀ (a b : ℝ),\n    a * b = b * a\nh₁ : x = 2\n⊢ x = 2")
    assert [h.names for h in goal.hypotheses] == [("x",), ("h₀",), ("h₁",)]
    assert goal.hypotheses[1].type == "∀ (a b : ℝ),\n    a * b = b * a"
    assert goal.hypotheses[1].value is None


def test_values_and_types_that_contain_assignments() -> None:
    goal = parse_goal(
        "f : ℕ → ℕ\n"
        "h : f (n := 1) = 2\n"  # a named argument, not a value
        "y : ℕ := f (n := 1) + 1\n"
        "hl : let z := 3;\n  z = z\n"  # `let` in the type claims its own `:=`
        "w : (let z := 3; z) = 3 := rfl\n"
        "v :\n  ℕ := 7\n"
        "⊢ y = 3"
    )
    hyps = {h.names[0]: h for h in goal.hypotheses}
    assert hyps["h"] == Hypothesis(("h",), "f (n := 1) = 2")
    assert hyps["y"] == Hypothesis(("y",), "ℕ", "f (n := 1) + 1")
    assert hyps["hl"] == Hypothesis(("hl",), "let z := 3;\n  z = z")
    assert hyps["w"] == Hypothesis(("w",), "(let z := 3; z) = 3", "rfl")
    assert hyps["v"] == Hypothesis(("v",), "ℕ", "7")


def test_case_tags_are_kept_and_separate_states() -> None:
    from lean_env.base import ProofState

    left, right = parse_goal("case left\np : Prop\n⊢ p"), parse_goal("case right\np : Prop\n⊢ p")
    assert left.tag == "left" and right.tag == "right" and left.hypotheses == right.hypotheses
    assert str(left).startswith("case left\n")
    a = ProofState("t", ("a",), (left,), "case left\np : Prop\n⊢ p")
    b = ProofState("t", ("b",), (right,), "case right\np : Prop\n⊢ p")
    assert a.key != b.key
    assert parse_goal("case h.e'_2.succ\n⊢ True").tag == "h.e'_2.succ"


def test_a_sketch_hole_with_a_wrapped_hypothesis_is_stated() -> None:
    from lean_env.lean_repl.sketch import hole_statement

    text = "x : ℝ\nh₀ :\n  x ^ 2 + 2 * x + 1 =\n    0\n⊢ x = -1"
    stated = hole_statement(parse_goal(text), text)
    assert stated == ("(x : ℝ) (h₀ : x ^ 2 + 2 * x + 1 = 0)", "x = -1")


def test_a_hypothesis_of_many_lines_is_parsed_in_linear_time() -> None:
    """A «name» holds line breaks as they are, and a type can repeat such names (`And.intro h h`
    doubles them): each line appended to its item copied the item, quadratic (red-team round 26)."""
    import time

    text = "h : ∀ «a" + "\n" * 600_000 + "» : ℕ, True\n⊢ False"
    start = time.monotonic()
    goal = parse_goal(text)
    assert time.monotonic() - start < 1.0
    assert goal.conclusion == "False" and goal.hypotheses[0].names == ("h",)
