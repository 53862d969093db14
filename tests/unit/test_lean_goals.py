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
