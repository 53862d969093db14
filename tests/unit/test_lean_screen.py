"""The Lean tactic screen: cheats and smuggled commands are refused, real tactics pass."""

from __future__ import annotations

import pytest

from lean_env.lean_repl.screen import screen_tactic
from lean_env.registry import screen


@pytest.mark.parametrize(
    "tactic",
    [
        "nlinarith [sq_nonneg (a - b), sq_nonneg (a + b)]",
        "intro x\n  simp [h₀] at *",
        "have h : #s = 3 := by simp",  # Mathlib's card notation is not a command
        "rw [Nat.sorry_free_lemma]",  # an identifier containing the word is fine
        "set_option maxHeartbeats 100000 in\n  nlinarith",
        "exact fun h => h.elim",
        "open Real in\n  norm_num [Real.sqrt_eq_iff]",
        "decide",
    ],
)
def test_ordinary_tactics_pass(tactic: str) -> None:
    assert screen_tactic(tactic) is None


@pytest.mark.parametrize(
    "tactic, why",
    [
        ("sorry", "sorry"),
        ("  admit", "admit"),
        ("exact sorryAx _ false", "sorry"),
        ("native_decide", "compiled"),
        ("decide +native", "compiled"),
        ("exact Lean.ofReduceBool _ _ rfl", "compiled"),
        ("run_tac Lean.Elab.Tactic.evalTactic", "code"),
        ("simp\n#exit", "command"),
        ("#eval IO.println 1", "command"),
        ("exact h\ntheorem evil : False := by trivial", "new command"),
        ("exact h\n  axiom cheat : False", "trust"),
        ("set_option maxHeartbeats 0 in simp", "maxHeartbeats"),
        ("set_option maxHeartbeats 999999999 in simp", "maxHeartbeats"),
        ("set_option debug.skipKernelTC true in simp", "option"),
        ("elab \"x\" : tactic => pure ()", "code"),
        ("   \n ", "empty"),
        ("simp \x00", "control"),
        ("simp \ud800", "Unicode"),
        ("simp " + "a" * 30_000, "longer"),
    ],
)
def test_cheats_and_unsendable_texts_are_refused(tactic: str, why: str) -> None:
    reason = screen_tactic(tactic)
    assert reason is not None and why in reason, reason


def test_heartbeat_cap_is_configurable_and_registry_finds_the_screen() -> None:
    assert screen_tactic("set_option maxHeartbeats 500000 in simp", max_heartbeats=10**6) is None
    assert screen("lean", "admit") is not None and screen("lean", "simp") is None
