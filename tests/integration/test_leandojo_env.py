"""`--backend leandojo` over a stand-in for the lean_dojo package (same API, toy Lean behind it).

No traced repository can be built here, so the stand-in mimics `Dojo`, `TacticState`,
`ProofFinished`, `LeanError` and its errors; the env must treat them as the real ones.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lean_env.base import Advanced, BadTheorem, FailureKind, ProofEnv, Proved, SetupError, TacticFailure
from lean_env.leandojo.env import DojoConfig, LeanDojoEnv, dojo_theorem

STANDIN = Path(__file__).resolve().parents[1] / "fakes" / "lean_dojo_standin"
THM = dojo_theorem("https://github.com/leanprover-community/mathlib4", "29dcec074de168ac2bf835a77ef68bbe069194c5",
                   "Mathlib/Algebra/Toy.lean", "Nat.toy_add_zero")


@pytest.fixture
def ld(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.syspath_prepend(str(STANDIN))
    import lean_dojo

    lean_dojo.OPENED.clear()
    lean_dojo.CHECKED.clear()
    yield lean_dojo


def test_open_step_prove_and_verify(ld) -> None:
    with LeanDojoEnv(DojoConfig(tactic_timeout=5)) as env:
        assert isinstance(env, ProofEnv)
        root = env.open(THM)
        assert root.pretty == "n : ℕ\n⊢ n + 0 = n" and root.goals[0].conclusion == "n + 0 = n"
        opened = ld.OPENED[0]
        assert opened.entry.full_name == "Nat.toy_add_zero" and str(opened.entry.file_path) == "Mathlib/Algebra/Toy.lean"
        assert opened.entry.repo.commit == "29dcec074de168ac2bf835a77ef68bbe069194c5" and opened.timeout == 5
        split = env.run_tactic(root, "split")
        assert isinstance(split, Advanced) and len(split.state.goals) == 2
        one = env.run_tactic(split.state, "rfl")
        assert isinstance(one, Advanced)
        done = env.run_tactic(one.state, "simp")
        assert done == Proved(("split", "rfl", "simp"))
        verdict = env.verify(THM, done.proof)
        assert verdict.ok, verdict.message
        assert ld.CHECKED == [("Nat.toy_add_zero", "by\n  split\n  rfl\n  simp")]
        assert not env.verify(THM, ("split", "rfl")).ok
        assert "rejected" in env.verify(THM, ("exact?",)).message


@pytest.mark.parametrize(
    "steps",
    [
        ("skip; /-", "-- -/ sorry"),  # a block comment opened by one step, closed inside the next one's line comment
        ("have : True := by exact (fun (_ : String) => trivial) \"", "-- \" ; sorry"),  # a string, the same
    ],
)
def test_steps_are_screened_as_the_compiled_file_joins_them(ld, steps: tuple[str, str]) -> None:
    """Each step alone passes the screen (the `sorry` is in a comment), but the file
    `check_proof` compiles reads `skip; sorry` (red-team round 26). `check_proof` audits no
    axioms and looks only for the 'sorry' spelling of the warning; the REPL's verifier screens
    the joined steps, and now this one does too: nothing is compiled."""
    from lean_env.lean_repl.screen import screen_tactic

    assert all(screen_tactic(step, final=True) is None for step in steps)
    with LeanDojoEnv() as env:
        env.open(THM)
        verdict = env.verify(THM, steps)
        assert not verdict.ok and "rejected before sending" in verdict.message
        assert ld.CHECKED == []


@pytest.mark.parametrize(
    "tactic, kind",
    [("nonsense", FailureKind.ERROR), ("giveup", FailureKind.GAVE_UP), ("skip", FailureKind.NO_PROGRESS),
     ("sorry", FailureKind.REJECTED), ("native_decide", FailureKind.REJECTED)],
)
def test_failures_are_values(ld, tactic: str, kind: FailureKind) -> None:
    with LeanDojoEnv() as env:
        result = env.run_tactic(env.open(THM), tactic)
        assert isinstance(result, TacticFailure) and result.kind is kind, result


def test_a_timeout_closes_the_dojo_and_the_next_tactic_replays_on_a_fresh_one(ld) -> None:
    with LeanDojoEnv() as env:
        state = env.run_tactic(env.open(THM), "intro x").state
        hung = env.run_tactic(state, "hang")
        assert isinstance(hung, TacticFailure) and hung.kind is FailureKind.TIMEOUT
        assert ld.OPENED[0].exited  # the stuck Dojo is closed: it would time out forever
        again = env.run_tactic(state, "intro y")  # a fresh Dojo, `intro x` replayed
        assert isinstance(again, Advanced) and "x : ℕ\ny : ℕ" in again.state.pretty
        assert len(ld.OPENED) == 2 and env.stats().restarts == 1 and env.stats().replayed_tactics == 1


def test_a_crash_is_retried_once_then_blamed(ld) -> None:
    with LeanDojoEnv() as env:
        root = env.open(THM)
        crashed = env.run_tactic(root, "crash")
        assert isinstance(crashed, TacticFailure) and crashed.kind is FailureKind.CRASHED
        assert isinstance(env.run_tactic(root, "intro z"), Advanced)
        assert env.stats().extra["crashes"] == 2


def test_bad_theorems_and_a_missing_package(ld, monkeypatch: pytest.MonkeyPatch) -> None:
    with LeanDojoEnv() as env:
        with pytest.raises(BadTheorem, match="cannot open"):
            env.open(dojo_theorem("https://x/y", "abc", "A.lean", "missing_thm"))
        with pytest.raises(BadTheorem, match="<url>@<commit>"):
            env.open(THM.__class__("t", "no-commit", "A.lean", "leandojo"))
    with pytest.raises(SetupError, match="pip install lean-dojo"):
        LeanDojoEnv(DojoConfig(module="lean_dojo_not_installed"))


def test_registry_makes_the_backend(ld) -> None:
    from lean_env.registry import make_env, screen

    with make_env("leandojo", 7.0) as env:
        assert isinstance(env, LeanDojoEnv) and env.config.tactic_timeout == 7.0
    assert screen("leandojo", "sorry") is not None and screen("leandojo", "simp") is None
