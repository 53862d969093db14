"""Best-first search end to end on real Coq: proofs, budgets, faults, verification."""

from __future__ import annotations

import os
import signal

import networkx as nx
import pytest

from lean_env.base import Proved, Theorem
from prover.base import Candidate
from prover.portfolio import PortfolioGenerator
from search.best_first import SearchConfig, best_first_search
from search.tree import ROOT

pytestmark = pytest.mark.coq

ARITH = "Require Import Arith Lia.\n"
ADD0 = Theorem("add_0_r'", ARITH, "Theorem add_0_r' : forall n : nat, n + 0 = n.")
REALS = Theorem(
    "two_squares",
    "Require Import Reals Psatz.\nOpen Scope R_scope.\n",
    "Theorem two_squares : forall x y : R, x * x + y * y >= 2 * x * y.",
)
FALSE = Theorem("succ_ne", ARITH, "Theorem succ_ne : forall n : nat, n + 1 = n.")
INDUCTION_ONLY = ["intros n.", "induction n.", "simpl.", "reflexivity.", "rewrite IHn."]


class ListGenerator:
    """Proposes a fixed list in order (like --tactics), optionally calling a hook per expansion."""

    name = "list"

    def __init__(self, tactics, hook=None):
        self.tactics, self.hook, self.calls = list(tactics), hook, 0

    def generate(self, theorem, state, k):
        self.calls += 1
        if self.hook:
            self.hook(self.calls)
        return [Candidate(t, -0.1 * i) for i, t in enumerate(self.tactics)][:k]


def test_portfolio_proves_in_one_step(coq_env):
    result = best_first_search(coq_env, PortfolioGenerator("coq"), ADD0, SearchConfig(max_expansions=5))
    assert result.proved and len(result.proof) == 1 and result.verification.ok
    assert result.stats.expansions == 1 and result.stop_reason == "proved"


def test_portfolio_needs_several_steps_for_real_squares(coq_env):
    result = best_first_search(coq_env, PortfolioGenerator("coq"), REALS, SearchConfig(max_expansions=10))
    assert result.proved and len(result.proof) >= 2 and result.proof[0].startswith("intros")
    assert result.verification.ok and result.verification.axioms  # Reals' axioms, allowed by the header


REAL_HEADER = "Require Import Reals.\nOpen Scope R_scope.\n"


@pytest.mark.parametrize(
    "theorem, marker",
    [
        # nat remainders: lia alone sees `n mod 8` as an atom (Coq 8.16), the header has no ZArith
        (Theorem("mod_8_4", "Require Import Arith.\n",
                 "Theorem mod_8_4 : forall n : nat, n mod 8 = 7 -> n mod 4 = 3."), "div_mod_to_equations"),
        # a nat numeral of 5,000 or more is `Nat.of_num_uint <digits>` to Coq: an atom to lia
        (Theorem("big_numeral", "Require Import Arith.\n",
                 "Theorem big_numeral (n : nat) : 123 * n + 17 = 39500 -> n = 321."), "Nat.of_num_uint"),
        (Theorem("abs_bound", REAL_HEADER,
                 "Theorem abs_bound : forall a : R, Rabs (2 * a + 9) < 5 -> -7 < a /\\ a < -2."), "Rcase_abs"),
        (Theorem("solve_div", REAL_HEADER,
                 "Theorem solve_div : forall x : R, x <> 0 -> 3 + 1 / x = 7 / x -> x = 2."), "field_simplify_eq"),
    ],
    ids=["nat-mod", "large-nat-numeral", "rabs", "division-in-hypothesis"],
)
def test_portfolio_arithmetic_normalisers(theorem, marker):
    """Each of these needs its normalising tactic: lia, lra and nra alone fail on them. They run
    with the default extra imports (the command line's), as in an evaluation."""
    from lean_env.coq.assistant import DEFAULT_EXTRA_IMPORTS
    from lean_env.coq.env import CoqConfig, CoqEnv

    env = CoqEnv(CoqConfig(tactic_timeout=5.0, extra_imports=DEFAULT_EXTRA_IMPORTS))
    try:
        state = env.open(theorem)
        for closer in ("intros; lia.", "intros; lra.", "intros; nra."):
            assert not isinstance(env.run_tactic(state, closer), Proved), closer
        result = best_first_search(env, PortfolioGenerator("coq"), theorem, SearchConfig(max_expansions=6))
    finally:
        env.close()
    assert result.proved and result.verification.ok
    assert any(marker in step for step in result.proof), result.proof


def test_multi_step_search_with_replay_and_a_well_formed_tree(coq_env):
    result = best_first_search(coq_env, ListGenerator(INDUCTION_ONLY), ADD0, SearchConfig(max_expansions=50))
    assert result.proved and len(result.proof) >= 4
    assert "induction n." in result.proof
    g = result.tree.graph
    assert nx.is_directed_acyclic_graph(g)
    on_proof = [d["tactic"] for _, _, d in g.edges(data=True) if d.get("on_proof")]
    assert sorted(on_proof) == sorted(result.proof)
    s = result.stats
    assert s.tactic_calls == g.number_of_edges() or s.tactic_calls >= s.expansions
    assert abs(s.wall_seconds - (s.env_seconds + s.generator_seconds + s.verify_seconds + s.search_seconds)) < 1e-3


def test_unprovable_theorem_ends_within_budget(coq_env):
    result = best_first_search(coq_env, PortfolioGenerator("coq"), FALSE, SearchConfig(max_expansions=8, wall_time=60))
    assert not result.proved and result.proof == ()
    assert result.stop_reason in ("expansions", "exhausted") and result.stats.expansions <= 8


def test_wall_time_budget(coq_env):
    loops = ["let rec f x := f x in f 1."] * 1 + ["intros."]
    result = best_first_search(coq_env, ListGenerator(loops), FALSE, SearchConfig(wall_time=1.5, tactic_timeout=1.0))
    assert not result.proved and result.stop_reason == "wall_time" and result.stats.wall_seconds < 4


def test_proof_found_on_the_last_allowed_expansion_counts(coq_env):
    result = best_first_search(coq_env, ListGenerator(INDUCTION_ONLY), ADD0, SearchConfig(max_expansions=50))
    exact = best_first_search(
        coq_env, ListGenerator(INDUCTION_ONLY), ADD0, SearchConfig(max_expansions=result.stats.expansions)
    )
    assert exact.proved and exact.proof == result.proof


def test_looping_tactic_times_out_and_the_search_goes_on(coq_env):
    tactics = ["let rec f x := f x in f 1.", "lia."]
    result = best_first_search(coq_env, ListGenerator(tactics), ADD0, SearchConfig(tactic_timeout=1.0))
    assert result.proved and result.proof == ("lia.",) and result.stats.timeouts == 1


def test_coqtop_killed_mid_search_finds_the_same_proof(coq_env):
    baseline = best_first_search(coq_env, ListGenerator(INDUCTION_ONLY), ADD0, SearchConfig(max_expansions=50))

    def kill(call):
        if call in (3, 5):
            os.kill(coq_env.pid, signal.SIGKILL)

    killed = best_first_search(coq_env, ListGenerator(INDUCTION_ONLY, kill), ADD0, SearchConfig(max_expansions=50))
    assert killed.proved and killed.proof == baseline.proof
    assert killed.stats.restarts == 2


def test_a_proof_that_fails_qed_is_not_counted(coq_env, monkeypatch):
    # The screen refuses exact_no_check; switched off, the tactic closes the goal and Qed refuses it.
    monkeypatch.setattr("lean_env.coq.env.split_tactic", lambda text: ((" ".join(text.split()),), None))
    monkeypatch.setattr("lean_env.coq.verify.split_tactic", lambda text: ((" ".join(text.split()),), None))
    one_two = Theorem("one_two", ARITH, "Theorem one_two : 1 = 2.")
    result = best_first_search(coq_env, ListGenerator(["exact_no_check (eq_refl 1).", "lia."]), one_two)
    assert not result.proved and result.stats.rejected_proofs == 1
    outcomes = {d["outcome"] for _, _, d in result.tree.graph.edges(ROOT, data=True)}
    assert "rejected_by_verifier" in outcomes


def test_generator_failure_costs_an_expansion_not_the_search(coq_env):
    class Flaky(ListGenerator):
        def generate(self, theorem, state, k):
            if self.calls == 0:
                self.calls += 1
                raise RuntimeError("model server hiccup")
            return super().generate(theorem, state, k)

    result = best_first_search(coq_env, Flaky(["lia."]), ADD0, SearchConfig(max_expansions=3))
    # The root was consumed by the failure; nothing else is queued, so the search ends unproved.
    assert not result.proved and result.stats.generator_errors == 1
