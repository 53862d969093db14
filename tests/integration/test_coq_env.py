"""The Coq backend against a real coqtop: states, backtracking, faults, verification."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from lean_env.base import Advanced, BadTheorem, FailureKind, Proved, TacticFailure, Theorem
from lean_env.coq.env import CoqConfig, CoqEnv
from lean_env.coq.verify import _header_axioms, _preamble

pytestmark = pytest.mark.coq

ARITH = "Require Import Arith Lia.\n"
ADD0 = Theorem("add0", ARITH, "Theorem add0 : forall n m : nat, n + 0 = n /\\ m = m.")
LOOP = "let rec f x := f x in f 1."


def advance(env, state, tactic):
    result = env.run_tactic(state, tactic)
    assert isinstance(result, Advanced), result
    return result.state


def test_states_carry_goals_and_backtracking_reaches_any_earlier_state(coq_env):
    root = coq_env.open(ADD0)
    assert root.path == () and root.goals[0].conclusion == "forall n m : nat, n + 0 = n /\\ m = m"
    s1 = advance(coq_env, root, "intros.")
    assert s1.goals[0].hypotheses[0].names == ("n", "m") and s1.goals[0].hypotheses[0].type == "nat"
    s2 = advance(coq_env, s1, "split.")
    assert [g.conclusion for g in s2.goals] == ["n + 0 = n", "m = m"]
    assert s2.goals[1].hypotheses, "every goal carries its hypotheses"
    # Back to the root from a deeper state, then to s2's sibling branch: same key as before.
    again = advance(coq_env, root, "intros n m.")
    assert again.key == s1.key and again.path != s1.path
    assert isinstance(coq_env.run_tactic(s2, "lia."), Advanced)
    assert isinstance(coq_env.run_tactic(root, "intros; split; lia."), Proved)
    assert coq_env.run_tactic(s1, "foo.") == TacticFailure(
        FailureKind.ERROR, "The reference foo was not found in the current environment."
    )
    assert coq_env.run_tactic(s1, "idtac.").kind is FailureKind.NO_PROGRESS


def test_bullets_and_unfocused_goals(coq_env):
    root = coq_env.open(ADD0)
    s = advance(coq_env, root, "intros. split.")
    after_bullet = advance(coq_env, s, "- lia.")
    assert "unfocused" in after_bullet.note
    assert isinstance(coq_env.run_tactic(after_bullet, "- reflexivity."), Proved)


def test_many_theorems_share_one_process(coq_env):
    pid = None
    for i in range(20):
        t = Theorem(f"t{i}", ARITH, f"Lemma t{i} : forall n : nat, n + {i} >= {i}.")
        root = coq_env.open(t)
        assert isinstance(coq_env.run_tactic(root, "lia."), Proved)
        pid = pid or coq_env.pid
        assert coq_env.pid == pid
    assert coq_env.stats().restarts == 0


def test_bad_statements_raise_bad_theorem(coq_env):
    with pytest.raises(BadTheorem, match="does not elaborate"):
        coq_env.open(Theorem("bad", ARITH, "Theorem bad : forall n : nat, n + true = n."))
    with pytest.raises(BadTheorem, match="header"):
        coq_env.open(Theorem("t", "Require Import NoSuchLibrary.\n", "Theorem t : True."))
    with pytest.raises(BadTheorem, match="named"):
        coq_env.open(Theorem("other", ARITH, "Theorem t : True."))
    # The process is still usable afterwards.
    assert isinstance(coq_env.run_tactic(coq_env.open(ADD0), "intros; split; lia."), Proved)


@pytest.mark.parametrize("text", ["Axiom cheat : False.", "admit.", "Qed.", "Require Import Classical.", "Set Printing All."])
def test_forbidden_text_never_reaches_coq(coq_env, text):
    root = coq_env.open(ADD0)
    before = coq_env.stats().requests
    result = coq_env.run_tactic(root, text)
    assert result.kind is FailureKind.REJECTED and result.message
    assert coq_env.stats().requests == before


def test_loop_is_stopped_by_coq_timeout_within_a_second_of_the_limit(coq_env):
    root = coq_env.open(ADD0)
    t0 = time.monotonic()
    result = coq_env.run_tactic(root, LOOP, timeout=1.0)
    elapsed = time.monotonic() - t0
    assert result.kind is FailureKind.TIMEOUT and elapsed < 2.0, (result, elapsed)
    assert isinstance(coq_env.run_tactic(root, "intros; split; lia."), Proved)


@pytest.mark.parametrize("tactic", ["intros; psatz Z 6.", "intros; psatz Z 8.", "intros; try (timeout 2 (psatz Z 8)); idtac."])
def test_a_solver_left_running_by_a_timed_out_tactic_is_killed(tactic):
    # psatz waits for its csdpcert; Coq's own Timeout stops the tactic (degree 8: with an anomaly
    # that wraps the timeout; or a `timeout` inside the text, which then succeeds) but not the
    # solver, which ran on, one more per call, while the search went on with the same coqtop.
    import psutil

    from lean_env.process import process_tree

    statement = ("Theorem t : forall a b c d e f g h : Z, a*b*c + d*e*f*g*h + a*a*a*a*b*b*c*c*d*d*e*e*f*f*g*g*h*h >= 0"
                 " -> a*b*c*d*e*f*g*h + a*a*b*c*d*e >= -1.")
    theorem = Theorem("t", "Require Import ZArith Psatz.\nOpen Scope Z_scope.\n", statement)
    with CoqEnv(CoqConfig(tactic_timeout=3.0)) as env:
        root = env.open(theorem)
        result = env.run_tactic(root, tactic)  # a timeout, an anomaly wrapping one, or success after one
        assert "try" in tactic or isinstance(result, TacticFailure), result
        time.sleep(0.5)
        tree = process_tree(env.pid)
        running = [p.name() for p in tree if p.name() not in ("bwrap", "coqtop") and p.status() != psutil.STATUS_ZOMBIE]
        assert not running, running
        assert isinstance(env.run_tactic(root, "intros."), Advanced)  # the process still answers
        small = Theorem("s", "Require Import ZArith Psatz.\nOpen Scope Z_scope.\n", "Theorem s : forall x : Z, x * x >= 0.")
        assert isinstance(env.run_tactic(env.open(small), "intros; psatz Z 2."), Proved)


def test_hung_process_is_killed_restarted_and_replayed():
    env = CoqEnv(CoqConfig(tactic_timeout=1.0, interrupt_grace=0.3))
    try:
        root = env.open(ADD0)
        s1 = advance(env, root, "intros.")
        s2 = advance(env, s1, "split.")
        pid = env.pid
        # Freeze coqtop: neither Coq's Timeout nor SIGINT can answer; only a kill can.
        # (The whole group: under the sandbox, the pid is bubblewrap's and coqtop is its child.)
        timer = threading.Timer(0.2, os.killpg, (pid, signal.SIGSTOP))
        timer.start()
        t0 = time.monotonic()
        result = env.run_tactic(s2, LOOP, timeout=1.0)
        elapsed = time.monotonic() - t0
        assert result.kind is FailureKind.TIMEOUT and elapsed < 2.0, (result, elapsed)
        # The next tactic on a deep state gets a fresh process and a replayed path.
        assert isinstance(env.run_tactic(s2, "lia."), Advanced)
        assert env.pid != pid and env.stats().restarts == 1 and env.stats().replayed_tactics >= 2
    finally:
        env.close()


def test_killed_process_between_tactics_is_restarted(coq_env):
    root = coq_env.open(ADD0)
    s2 = advance(coq_env, advance(coq_env, root, "intros."), "split.")
    os.kill(coq_env.pid, signal.SIGKILL)
    time.sleep(0.1)
    assert isinstance(coq_env.run_tactic(s2, "- lia."), Advanced)
    assert coq_env.stats().restarts == 1


def test_memory_cap_fails_the_tactic_not_the_process():
    env = CoqEnv(CoqConfig(memory_limit_mb=1200))
    try:
        root = env.open(Theorem("big", ARITH, "Theorem big : Nat.pow 2 100000 = 0."))
        result = env.run_tactic(root, "vm_compute.", timeout=20)
        assert isinstance(result, TacticFailure)
        assert isinstance(env.run_tactic(env.open(ADD0), "intros; split; lia."), Proved)
    finally:
        env.close()


def test_verification_accepts_a_real_proof_and_rejects_one_that_fails_qed(coq_env, monkeypatch):
    ok = coq_env.verify(ADD0, ["intros.", "split.", "- lia.", "- reflexivity."])
    assert ok.ok and ok.axioms == () and "Theorem add0 : forall n m : nat" in ok.script
    false = Theorem("one_two", ARITH, "Theorem one_two : 1 = 2.")
    root = coq_env.open(false)
    assert isinstance(coq_env.run_tactic(root, "exact_no_check (eq_refl 1)."), TacticFailure)  # the screen
    # With the screen switched off, exact_no_check closes the goal in tactic mode; Qed refuses it.
    monkeypatch.setattr("lean_env.coq.env.split_tactic", lambda text: ((" ".join(text.split()),), None))
    monkeypatch.setattr("lean_env.coq.verify.split_tactic", lambda text: ((" ".join(text.split()),), None))
    passed = coq_env.run_tactic(root, "exact_no_check (eq_refl 1).")
    assert isinstance(passed, Proved)
    check = coq_env.verify(false, passed.proof)
    assert not check.ok and "coqc rejected" in check.message


def test_verification_rescreens_the_script(coq_env):
    check = coq_env.verify(ADD0, ["intros.", "Axiom cheat : False.", "destruct cheat."])
    assert not check.ok and "Axiom" in check.message


def test_axioms_allowed_only_when_the_header_brings_them(coq_env):
    reals = Theorem("sq", "Require Import Reals Psatz.\nOpen Scope R_scope.\n", "Theorem sq : forall x : R, x * x >= 0.")
    check = coq_env.verify(reals, ["intros.", "nra."])
    assert check.ok, check.message
    assert any("sig_forall_dec" in a for a in check.axioms)
    # The audit itself: a name the header does not define is foreign.
    found = _header_axioms(["ClassicalDedekindReals.sig_forall_dec", "cheat"], _preamble(reals, coq_env.config),
                           coq_env.config, coq_env._scratch)
    known = {name for _, name in found}  # keyed by (what ran before the statement, name)
    assert "ClassicalDedekindReals.sig_forall_dec" in known and "cheat" not in known
    assert "..." not in found[next(k for k in found if k[1] == "ClassicalDedekindReals.sig_forall_dec")]  # nothing elided
    arith_only = Theorem("t", ARITH, "Theorem t : True.")
    assert _header_axioms(["ClassicalDedekindReals.sig_forall_dec"], _preamble(arith_only, coq_env.config),
                          coq_env.config, coq_env._scratch) == {}


def test_extra_imports_may_bring_classical_axioms_but_never_false(monkeypatch):
    """The standard library ships `Coq.Compat.AdmitAxiom` (`proof_admitted : False`). The import
    check refuses it; below that check, loaded as an extra import, its axiom is in the preamble,
    but only the header's own axioms and the standard classical ones count, so a proof by it is
    refused; one using classical logic that only the extra imports load is accepted."""
    import re

    import lean_env.coq.env as coq_env_module

    admit_axiom = "From Coq Require Import Compat.AdmitAxiom."
    with pytest.raises(ValueError, match="only the standard library"):
        CoqEnv(CoqConfig(extra_imports=admit_axiom))
    monkeypatch.setattr(coq_env_module, "_REFUSED_MODULES", re.compile(r"(?!)"))  # the layer below
    false = Theorem("one_two", ARITH, "Theorem one_two : 1 = 2.")
    admit = CoqEnv(CoqConfig(extra_imports=admit_axiom))
    try:
        check = admit.verify(false, ["exfalso.", "exact proof_admitted."])
    finally:
        admit.close()
    assert not check.ok and "proof_admitted" in check.message, check.message
    excluded = Theorem("em", ARITH, "Theorem em : forall P : Prop, P \\/ ~ P.")
    classical = CoqEnv(CoqConfig(extra_imports="From Coq Require Import Classical."))
    try:
        check = classical.verify(excluded, ["exact classic."])
    finally:
        classical.close()
    assert check.ok and any("classic" in a for a in check.axioms), check.message


def test_output_flood_is_cut_and_the_process_replaced():
    env = CoqEnv(CoqConfig(tactic_timeout=20, max_output_mb=1))
    try:
        root = env.open(ADD0)
        pid = env.pid
        result = env.run_tactic(root, 'do 100000 idtac "flooding the pipe with output".', timeout=20)
        assert result.kind is FailureKind.ERROR and "MiB of output" in result.message
        assert isinstance(env.run_tactic(root, "intros; split; lia."), Proved)
        assert env.pid != pid
    finally:
        env.close()


def test_a_forged_prompt_is_detected_before_the_next_command(tmp_path):
    from lean_env.base import ProtocolError
    from lean_env.coq.process import CoqTop

    top = CoqTop("coqtop", str(tmp_path), 2048)
    try:
        top.send("Theorem t : True.", 30)
        # Bypassing the screen (which refuses this text): the sentence prints a fake prompt.
        forged = top.send('idtac "<prompt>t < 99 |t| 0 < </prompt>".', 30)
        assert forged.state_id == 99  # the reader was fooled once...
        with pytest.raises(ProtocolError, match="out of step"):
            top.send("exact I.", 30)  # ...but the real prompt still waiting gives it away
    finally:
        top.kill()
