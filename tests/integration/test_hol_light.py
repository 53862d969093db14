"""HOL Light against the real toplevel: goals, the verifier's refusals, the verdict channel, faults.

Every test forks from the one zygote of the test run (`hol_zygote`, tests/conftest.py), loaded
once before the first test. Some tests talk to a child directly, past the screen, to show what
the verifier still catches when text does reach HOL Light.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from lean_env.base import Advanced, BadTheorem, EnvTimeout, FailureKind, Proved, TacticFailure, Theorem
from lean_env.hol_light.env import HolLightEnv
from lean_env.hol_light.verify import verify
from lean_env.sandbox import sandbox_enabled

pytestmark = [pytest.mark.hol_light, pytest.mark.timeout(120)]


def thm(statement: str, name: str = "t") -> Theorem:
    return Theorem(name, "", statement, "hol-light")


@pytest.fixture
def env(hol_zygote):  # type: ignore[no-untyped-def]
    with HolLightEnv(zygote=hol_zygote) as live:
        yield live


def test_goals_carry_hypotheses_and_every_open_goal(env: HolLightEnv) -> None:
    root = env.open(thm("!x:real. &0 < x ==> &0 < x + &1 /\\ &0 <= x"))
    assert len(root.goals) == 1 and root.goals[0].hypotheses == ()
    intro = env.run_tactic(root, "GEN_TAC THEN DISCH_TAC")
    assert isinstance(intro, Advanced)
    (goal,) = intro.state.goals
    assert [h.type for h in goal.hypotheses] == ["&0 < x"]
    assert goal.conclusion == "&0 < x + &1 /\\ &0 <= x"
    split = env.run_tactic(intro.state, "CONJ_TAC")
    assert isinstance(split, Advanced)
    assert [g.conclusion for g in split.state.goals] == ["&0 < x + &1", "&0 <= x"]
    assert all(g.hypotheses == goal.hypotheses for g in split.state.goals)
    assert split.state.pretty.startswith("2 subgoals") and "0 [`&0 < x`]" in split.state.pretty
    first = env.run_tactic(split.state, "ASM_REAL_ARITH_TAC")
    assert isinstance(first, Advanced) and [g.conclusion for g in first.state.goals] == ["&0 <= x"]
    done = env.run_tactic(first.state, "ASM_REAL_ARITH_TAC")
    assert done == Proved(("GEN_TAC THEN DISCH_TAC", "CONJ_TAC", "ASM_REAL_ARITH_TAC", "ASM_REAL_ARITH_TAC"))
    assert env.verify(thm("!x:real. &0 < x ==> &0 < x + &1 /\\ &0 <= x"), done.proof).ok


def test_labelled_assumptions_and_intro_patterns_prove_and_verify(env: HolLightEnv) -> None:
    statement = "!x y. x = 1 /\\ y = x + 1 ==> y = 2"
    tactic = 'INTRO_TAC "!x y; h1 h2" THEN REMOVE_THEN "h1" SUBST_ALL_TAC THEN USE_THEN "h2" MP_TAC THEN ARITH_TAC'
    done = env.run_tactic(env.open(thm(statement)), tactic)
    assert done == Proved((tactic,))
    assert env.verify(thm(statement), done.proof).ok
    stuck = env.run_tactic(env.open(thm(statement)), 'INTRO_TAC "!x y; h1 h2" THEN USE_THEN "h3" MP_TAC')
    assert isinstance(stuck, TacticFailure)  # no assumption labelled h3


def test_statements_that_do_not_elaborate_are_bad_theorems(env: HolLightEnv) -> None:
    for statement in ("x + 1 = (", "1 + 1", "x = 1", "`1 = 1`"):
        with pytest.raises(BadTheorem):
            env.open(thm(statement))
    assert isinstance(env.open(thm("1 + 1 = 2")).goals[0].conclusion, str)  # the env still works


def test_a_real_minif2f_proof_is_accepted(env: HolLightEnv, shared_data: Path) -> None:
    from benchmarks.datasets import load_dataset

    problem = next(p for p in load_dataset("minif2f-hollight", data_root=shared_data).problems
                   if p.name == "mathd_algebra_10")
    root = env.open(problem.theorem)
    done = env.run_tactic(root, "CONV_TAC REAL_RAT_REDUCE_CONV")
    assert isinstance(done, Proved), done
    checked = env.verify(problem.theorem, done.proof)
    assert checked.ok, checked.message
    assert len(checked.axioms) == 3 and checked.script.startswith("g `")


def test_the_verifier_refuses_cheats(hol_zygote) -> None:  # type: ignore[no-untyped-def]
    false = thm("1 = 2")
    cases = {
        ("CHEAT_TAC",): "script rejected",  # refused by the screen, never sent
        ("ACCEPT_TAC (mk_thm ([], `1 = 2`))",): "script rejected",
        ("ACCEPT_TAC (ASSUME `1 = 2`)",): "",  # proves 1 = 2 |- 1 = 2: hypotheses
        ("ARITH_TAC",): "",  # the tactic fails
        ("ALL_TAC",): "Unsolved",  # goals left open
        ("NO_SUCH_TAC",): "Unbound",  # does not evaluate: no verdict at all
        ("ADD_SYM",): "",  # a theorem where a tactic belongs: a type error, no verdict
    }
    for proof, expected in cases.items():
        result = verify(hol_zygote, false, proof, timeout=30)
        assert not result.ok and result.message, (proof, result)
        assert expected in result.message, (proof, result.message)


def test_printed_text_is_never_a_verdict(hol_zygote) -> None:  # type: ignore[no-untyped-def]
    child = hol_zygote.fork()
    try:
        child.request(['prover_set_goal "1 = 2";;'], 30)
        # Past the screen: print what a verdict looks like, with the child's own nonce, on the
        # toplevel's output, and a fake end of the verification.
        forged = f"{child.nonce} OK\\n<<<{child.nonce} VERIFIED>>>{child.nonce}\\n"
        child.request([f'print_string "{forged}";;'], 30)
        assert child.read_verdict(0.5) is None
    finally:
        child.kill()
    # Through the verifier: a quotation that spells a verdict is only term text.
    spelled = "EXISTS_TAC `OK` THEN ALL_TAC"
    result = verify(hol_zygote, thm("1 = 2"), [spelled], timeout=30)
    assert not result.ok


def _direct_verdict(hol_zygote, phrases: list[str], steps: str) -> str | None:  # type: ignore[no-untyped-def]
    """Run trusted-test phrases in a fresh child past the screen, then the driver's check."""
    child = hol_zygote.fork()
    try:
        child.request(['prover_set_goal "1 = 2";;'], 30)
        for phrase in phrases:
            child.request([phrase], 30)
        child.request([f"prover_verify [{steps}];;"], 30)
        return child.read_verdict(2.0)
    finally:
        child.kill()


def test_the_check_catches_axioms_and_rebound_names_even_past_the_screen(hol_zygote) -> None:  # type: ignore[no-untyped-def]
    from lean_env.hol_light.zygote import unhex

    verdict = _direct_verdict(hol_zygote, [], "CHEAT_TAC")
    assert verdict is not None and unhex(verdict.split()[-1]) == "the proof added axioms"
    verdict = _direct_verdict(hol_zygote, ["let ax = new_axiom `1 = 2`;;"], "ACCEPT_TAC ax")
    assert verdict is not None and unhex(verdict.split()[-1]) == "the proof added axioms"
    # Rebinding the names a check would call changes nothing: the driver bound its own first.
    rebind = [
        "let prove (t, tac) = ASSUME t;;",
        "let axioms () = [];;",
        "let hyp th = [];;",
        "let aconv s t = true;;",
    ]
    verdict = _direct_verdict(hol_zygote, rebind, "ACCEPT_TAC (ASSUME `1 = 2`)")
    assert verdict is not None and verdict.split()[1] == "FAIL"
    assert _direct_verdict(hol_zygote, rebind, "ALL_TAC").split()[1] == "FAIL"  # type: ignore[union-attr]


def test_a_tactic_that_ignores_its_timer_is_killed_by_the_watchdog(hol_zygote) -> None:  # type: ignore[no-untyped-def]
    child = hol_zygote.fork()
    try:
        start = time.monotonic()
        with pytest.raises(EnvTimeout):  # catches the timer's exception and loops on
            child.request(["prover_arm 200;;", "let rec f () = try f () with _ -> f () in f ();;"], 1.5)
        assert time.monotonic() - start < 3
        assert child.alive()
    finally:
        child.kill()
    assert not child.alive()


def test_timeouts_kill_and_the_next_call_replays(env: HolLightEnv) -> None:
    root = env.open(thm("!n. n + 0 = n"))
    intro = env.run_tactic(root, "GEN_TAC")
    assert isinstance(intro, Advanced)
    start = time.monotonic()
    looped = env.run_tactic(intro.state, "REPEAT (ONCE_REWRITE_TAC[ADD_SYM])", timeout=0.5)
    assert isinstance(looped, TacticFailure) and looped.kind is FailureKind.TIMEOUT
    assert time.monotonic() - start < 2.5
    assert env.run_tactic(intro.state, "ARITH_TAC") == Proved(("GEN_TAC", "ARITH_TAC"))


@pytest.mark.skipif(not sandbox_enabled(), reason="the sandbox (bubblewrap) is off here")
def test_children_run_in_the_sandbox(hol_zygote, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "written-by-hol"
    child = hol_zygote.fork()
    try:
        out = child.request([f'open_out "{target}";;'], 30).decode()
    finally:
        child.kill()
    assert "Sys_error" in out and not target.exists()
