"""The search loop, tree and policies against a scripted in-memory ProofEnv (no proof assistant).

A state is its goal text; `Script.moves[(goal, tactic)]` says what the tactic does there: a new
goal text, QED (a tactic-mode proof), a TacticFailure, or an exception to raise.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from lean_env.base import (
    Advanced,
    EnvCrashed,
    EnvError,
    EnvStats,
    FailureKind,
    Goal,
    ProofEnv,
    ProofState,
    Proved,
    TacticFailure,
    TacticResult,
    Theorem,
    Verification,
)
from prover.base import Candidate, TacticGenerator
from search.best_first import SearchConfig, SearchResult, best_first_search
from search.policy import BreadthFirst, CumulativeScore, DepthNormalized, SearchPolicy
from search.tree import ROOT

QED = "QED"
THM = Theorem("t", "", "Theorem t : A.", "fake")
Move = str | TacticFailure | Exception


@dataclass
class FakeClock:
    now: float = 0.0

    def monotonic(self) -> float:
        return self.now


@dataclass
class ScriptedEnv:
    """A ProofEnv whose every answer comes from `moves`; records each call."""

    moves: dict[tuple[str, str], Move]
    rejected: set[tuple[str, ...]] = field(default_factory=set)  # proofs the verifier refuses
    clock: FakeClock | None = None
    seconds_per_tactic: float = 0.0  # advances `clock` on every run_tactic
    calls: list[tuple[tuple[str, ...], str, float | None]] = field(default_factory=list)
    verified: list[tuple[str, ...]] = field(default_factory=list)
    backend: str = "fake"

    def _state(self, path: tuple[str, ...], goal: str) -> ProofState:
        return ProofState(THM.name, path, (Goal((), goal),), f"⊢ {goal}")

    def open(self, theorem: Theorem) -> ProofState:
        return self._state((), "A")

    def run_tactic(self, state: ProofState, tactic: str, timeout: float | None = None) -> TacticResult:
        self.calls.append((state.path, tactic, timeout))
        if self.clock is not None:
            self.clock.now += self.seconds_per_tactic
        move = self.moves.get((state.goals[0].conclusion, tactic))
        if move is None:
            return TacticFailure(FailureKind.ERROR, f"unknown tactic {tactic}")
        if isinstance(move, Exception):
            raise move
        if isinstance(move, TacticFailure):
            return move
        if move == QED:
            return Proved(state.path + (tactic,))
        return Advanced(self._state(state.path + (tactic,), move))

    def screen(self, tactic: str) -> str | None:
        return None

    def verify(self, theorem: Theorem, proof: Sequence[str]) -> Verification:
        self.verified.append(tuple(proof))
        ok = tuple(proof) not in self.rejected
        return Verification(ok, "" if ok else "the kernel said no", "\n".join(proof))

    def stats(self) -> EnvStats:
        return EnvStats(requests=len(self.calls))

    def close(self) -> None:
        pass


@dataclass
class ScriptedGenerator:
    """Proposes `offers[goal]` (tactic, score) pairs; records the goals it was asked about, in order."""

    offers: dict[str, list[tuple[str, float]]]
    asked: list[str] = field(default_factory=list)
    fail_on: set[str] = field(default_factory=set)
    name: str = "scripted"

    def generate(self, theorem: Theorem, state: ProofState, k: int) -> Sequence[Candidate]:
        goal = state.goals[0].conclusion
        self.asked.append(goal)
        if goal in self.fail_on:
            raise RuntimeError("the model fell over")
        return [Candidate(t, s) for t, s in self.offers.get(goal, [])][:k]


def run(env: ScriptedEnv, gen: ScriptedGenerator, **config: Any) -> SearchResult:
    return best_first_search(env, gen, THM, SearchConfig(**config))


def test_the_fakes_satisfy_the_protocols() -> None:
    assert isinstance(ScriptedEnv({}), ProofEnv) and isinstance(ScriptedGenerator({}), TacticGenerator)


# A tree whose expansion order tells the policies apart: A -a-> B (-1.0), A -c-> C (-1.5),
# B -d-> D (-0.9, cumulative -1.9 at depth 2), nothing below C and D.
TREE_MOVES: dict[tuple[str, str], Move] = {("A", "a"): "B", ("A", "c"): "C", ("B", "d"): "D"}
TREE_OFFERS = {"A": [("a", -1.0), ("c", -1.5)], "B": [("d", -0.9)]}


@pytest.mark.parametrize(
    "policy, order",
    [
        (CumulativeScore(), ["A", "B", "C", "D"]),  # C (-1.5) before D (-1.9)
        (DepthNormalized(0.5), ["A", "B", "D", "C"]),  # D: -1.9 / sqrt(2) = -1.34 beats -1.5
        (BreadthFirst(), ["A", "B", "C", "D"]),  # depth 1 before depth 2, ties in insertion order
    ],
)
def test_nodes_are_expanded_best_first_by_the_policy(policy: SearchPolicy, order: list[str]) -> None:
    gen = ScriptedGenerator(TREE_OFFERS)
    result = best_first_search(ScriptedEnv(dict(TREE_MOVES)), gen, THM, SearchConfig(), policy)
    assert gen.asked == order and result.stop_reason == "exhausted" and not result.proved


def test_breadth_first_ignores_scores() -> None:
    moves: dict[tuple[str, str], Move] = {("A", "x"): "B", ("A", "y"): "C", ("C", "z"): "E", ("B", "w"): "D"}
    offers = {"A": [("x", -9.0), ("y", 0.0)], "C": [("z", 0.0)], "B": [("w", -9.0)]}
    gen = ScriptedGenerator(offers)
    best_first_search(ScriptedEnv(moves), gen, THM, SearchConfig(), BreadthFirst())
    assert gen.asked == ["A", "B", "C", "D", "E"]
    gen = ScriptedGenerator(offers)
    best_first_search(ScriptedEnv(moves), gen, THM, SearchConfig(), CumulativeScore())
    assert gen.asked == ["A", "C", "E", "B", "D"]


def chain(n: int) -> tuple[dict[tuple[str, str], Move], dict[str, list[tuple[str, float]]]]:
    """G0 -step-> G1 -step-> ... (the root's goal is "A", standing for G0)."""
    goals = ["A"] + [f"G{i}" for i in range(1, n + 1)]
    moves: dict[tuple[str, str], Move] = {(goals[i], "step"): goals[i + 1] for i in range(n)}
    return moves, {g: [("step", -0.1)] for g in goals}


def test_the_expansion_budget_stops_the_search() -> None:
    moves, offers = chain(10)
    gen = ScriptedGenerator(offers)
    result = run(ScriptedEnv(moves), gen, max_expansions=3)
    assert result.stop_reason == "expansions" and result.stats.expansions == 3
    assert gen.asked == ["A", "G1", "G2"]


def test_a_proof_found_on_the_last_expansion_counts() -> None:
    moves, offers = chain(2)
    moves[("G2", "done")] = QED
    offers["G2"] = [("done", 0.0)]
    result = run(ScriptedEnv(moves), ScriptedGenerator(offers), max_expansions=3)
    assert result.proved and result.stop_reason == "proved"
    assert result.proof == ("step", "step", "done") and result.stats.expansions == 3
    assert result.verification.ok


def test_wall_time_is_measured_on_the_clock_and_limits_the_tactic_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    import search.best_first as best_first

    clock = FakeClock()
    monkeypatch.setattr(best_first, "time", clock)
    moves, offers = chain(10)
    offers["A"] = [("nope", -1.0), ("step", -0.1)]  # two calls at the root
    env = ScriptedEnv(moves, clock=clock, seconds_per_tactic=4.0)
    result = run(env, ScriptedGenerator(offers), wall_time=10.0, tactic_timeout=5.0)
    assert result.stop_reason == "wall_time"
    # 10 s of wall time, 4 s per tactic: the third call gets the 2 s left, not the 5 s limit.
    assert [timeout for _, _, timeout in env.calls] == [5.0, 5.0, 2.0]
    assert result.stats.wall_seconds == 12.0 and result.stats.env_seconds == 12.0


def test_the_tactic_timeout_is_passed_to_every_call() -> None:
    moves, offers = chain(3)
    env = ScriptedEnv(moves)
    run(env, ScriptedGenerator(offers), tactic_timeout=2.5)
    assert env.calls and all(timeout == 2.5 for _, _, timeout in env.calls)


def test_identical_states_are_merged_into_one_node() -> None:
    # A -x-> B and A -y-> C -w-> B: the second path to B is a "merged" edge, B is expanded once.
    moves: dict[tuple[str, str], Move] = {("A", "x"): "B", ("A", "y"): "C", ("C", "w"): "B", ("B", "z"): "D"}
    gen = ScriptedGenerator({"A": [("x", -0.1), ("y", -0.2)], "C": [("w", 0.0)], "B": [("z", -5.0)]})
    result = run(ScriptedEnv(moves), gen)
    graph = result.tree.graph
    assert gen.asked == ["A", "B", "C", "D"]  # B once, though two paths reach it
    assert result.stats.nodes == 4
    (b,) = [v for _, v, d in graph.out_edges(ROOT, data=True) if d["tactic"] == "x"]
    (c,) = [v for _, v, d in graph.out_edges(ROOT, data=True) if d["tactic"] == "y"]
    assert graph.edges[c, b]["outcome"] == "merged" and graph.edges[c, b]["tactic"] == "w"
    assert graph.nodes[b]["state"].path == ("x",)  # the first path to reach it is kept
    assert result.tree.node_for(graph.nodes[b]["state"]) == b


def test_a_proof_the_verifier_rejects_is_recorded_and_the_search_goes_on() -> None:
    moves: dict[tuple[str, str], Move] = {("A", "cheat"): QED, ("A", "x"): "B", ("B", "real"): QED}
    gen = ScriptedGenerator({"A": [("cheat", 0.0), ("x", -0.5)], "B": [("real", 0.0)]})
    env = ScriptedEnv(moves, rejected={("cheat",)})
    result = run(env, gen)
    assert result.proved and result.proof == ("x", "real")
    assert result.stats.rejected_proofs == 1 and env.verified == [("cheat",), ("x", "real")]
    graph = result.tree.graph
    rejected = [d for _, _, d in graph.edges(data=True) if d["outcome"] == "rejected_by_verifier"]
    assert len(rejected) == 1 and rejected[0]["tactic"] == "cheat" and "kernel said no" in rejected[0]["message"]


def test_when_every_proof_is_rejected_the_last_verdict_is_reported() -> None:
    env = ScriptedEnv({("A", "cheat"): QED}, rejected={("cheat",)})
    result = run(env, ScriptedGenerator({"A": [("cheat", 0.0)]}))
    assert not result.proved and result.stop_reason == "exhausted"
    assert result.verification is not None and not result.verification.ok


def test_tactic_failures_are_counted_and_kept_as_leaves() -> None:
    moves: dict[tuple[str, str], Move] = {
        ("A", "bad"): TacticFailure(FailureKind.ERROR, "no such lemma"),
        ("A", "slow"): TacticFailure(FailureKind.TIMEOUT, "ran past 5 s"),
        ("A", "same"): TacticFailure(FailureKind.NO_PROGRESS, "unchanged"),
        ("A", "ok"): QED,
    }
    gen = ScriptedGenerator({"A": [("bad", 0.0), ("slow", -0.1), ("same", -0.2), ("ok", -0.3)]})
    result = run(ScriptedEnv(moves), gen)
    stats = result.stats
    assert result.proved and stats.errors == 3 and stats.timeouts == 1 and stats.tactic_calls == 4
    leaves = {d["tactic"]: d["outcome"] for _, _, d in result.tree.graph.out_edges(ROOT, data=True)}
    assert leaves == {"bad": "error", "slow": "timeout", "same": "no_progress", "ok": "proved"}


def test_a_generator_failure_costs_one_expansion() -> None:
    moves: dict[tuple[str, str], Move] = {("A", "x"): "B", ("A", "y"): "C", ("C", "z"): QED}
    gen = ScriptedGenerator({"A": [("x", 0.0), ("y", -1.0)], "C": [("z", 0.0)]}, fail_on={"B"})
    result = run(ScriptedEnv(moves), gen)
    assert result.proved and result.stats.generator_errors == 1


def test_a_broken_environment_ends_the_search_with_its_error() -> None:
    env = ScriptedEnv({("A", "x"): EnvCrashed("the process is gone for good")})
    with pytest.raises(EnvError, match="gone for good"):
        run(env, ScriptedGenerator({"A": [("x", 0.0)]}))


def test_the_tree_serialises_with_the_proof_marked(tmp_path: Path) -> None:
    moves: dict[tuple[str, str], Move] = {("A", "x"): "B", ("A", "bad"): TacticFailure(FailureKind.ERROR, "e"),
                                          ("B", "done"): QED}
    gen = ScriptedGenerator({"A": [("x", -0.5), ("bad", -1.0)], "B": [("done", 0.0)]})
    result = run(ScriptedEnv(moves), gen)
    tree = result.tree
    tree.write(tmp_path / "tree.json")
    data = json.loads((tmp_path / "tree.json").read_text())
    nodes = {n["id"]: n for n in data["nodes"]}
    assert set(nodes) == {ROOT, "s1", "fail:1", "proved:2"}
    assert nodes[ROOT]["goals"] == "⊢ A" and "path" not in nodes["s1"]  # paths follow from the edges
    assert nodes[ROOT]["status"] == nodes["s1"]["status"] == "proved" and nodes["fail:1"]["kind"] == "fail"
    edges = {(e["source"], e["target"]): e for e in data["edges"]}
    assert edges[(ROOT, "s1")]["on_proof"] and edges[("s1", "proved:2")]["on_proof"]
    assert not edges[(ROOT, "fail:1")]["on_proof"] and edges[(ROOT, "fail:1")]["message"] == "e"
    tree.write(tmp_path / "tree.graphml")
    assert nx.read_graphml(tmp_path / "tree.graphml").number_of_edges() == 3
    assert [e["tactic"] for e in data["edges"] if e["on_proof"]] == ["x", "done"]


def test_states_that_differ_only_in_hypothesis_names_share_a_node() -> None:
    from lean_env.base import Goal, Hypothesis, ProofState
    from search.tree import ProofTree, state_key

    def state(path: tuple[str, ...], *hyps: tuple[str, str], conclusion: str) -> ProofState:
        goal = Goal(tuple(Hypothesis((n,), t) for n, t in hyps), conclusion)
        return ProofState("t", path, (goal,), str(goal))

    xy = state(("intros x y H.",), ("x", "R"), ("y", "R"), ("H", "x < y"), conclusion="x + 1 < y + 1")
    ab = state(("intros a b E.",), ("a", "R"), ("b", "R"), ("E", "a < b"), conclusion="a + 1 < b + 1")
    swapped = state(("intros y x H.",), ("x", "R"), ("y", "R"), ("H", "y < x"), conclusion="x + 1 < y + 1")
    assert xy.key != ab.key and state_key(xy) == state_key(ab)
    assert state_key(swapped) != state_key(xy)  # not the same statement: x and y changed roles
    h0 = state(("intros.",), ("h₀", "f = 1"), ("h", "f = 2"), conclusion="f = 1")
    assert state_key(h0) != state_key(state(("intros.",), ("h₀", "f = 1"), ("h", "f = 2"), conclusion="f = 2"))
    tree = ProofTree(state((), conclusion="forall x y : R, x < y -> x + 1 < y + 1"))
    first, new = tree.add_state("root", xy, "intros x y H.", -1.0, -1.0, -1.0)
    again, new_again = tree.add_state("root", ab, "intros a b E.", -2.0, -2.0, -2.0)
    assert new and not new_again and again == first
    assert tree.state(first).path == ("intros x y H.",)  # the first names are kept: tactics below use them


def test_a_node_whose_path_breaks_is_expanded_again_from_a_path_merged_into_it() -> None:
    from lean_env.base import Goal, Hypothesis, ProofState
    from search.tree import ProofTree

    def state(path: tuple[str, ...], name: str) -> ProofState:
        goal = Goal((Hypothesis((name,), "nat"),), f"{name} = {name}")
        return ProofState("t", path, (goal,), str(goal))

    tree = ProofTree(ProofState("t", (), (Goal((), "forall n : nat, n = n"),), "forall n : nat, n = n"))
    node, _ = tree.add_state("root", state(("intros n.",), "n"), "intros n.", -1.0, -1.0, -1.0)
    same, new = tree.add_state("root", state(("intros n.",), "n"), "intros n.", -1.0, -1.0, -1.0)
    assert same == node and not new and not tree.graph.nodes[node].get("alternatives")  # identical: nothing to keep
    tree.add_state("root", state(("intro k.",), "k"), "intro k.", -2.0, -2.0, -2.0)
    tree.graph.nodes[node]["expanded"] = True
    assert tree.revive(node) and tree.state(node).path == ("intro k.",) and not tree.graph.nodes[node]["expanded"]
    assert not tree.revive(node)  # no other path left


def _deep_first_shallow_second() -> tuple[dict[tuple[str, str], Move], ScriptedGenerator, ScriptedGenerator]:
    """The first generator proves A in six expansions (five steps, then `done`); the second offers
    ten shallow dead ends at every goal, each scored just below the first's step."""
    moves, offers = chain(5)
    moves[("G5", "done")] = QED
    first = ScriptedGenerator({g: [("step", -1.0)] for g in offers} | {"G5": [("done", -1.0)]}, name="first")
    dead = {goal: [(f"{goal}-dead{i}", -0.01 * i) for i in range(10)] for goal in offers}
    for goal, options in dead.items():
        for tactic, _ in options:
            moves[(goal, tactic)] = f"{tactic}-state"
    return moves, first, ScriptedGenerator(dead, name="second")


def test_a_staged_search_keeps_the_first_generators_deep_proof_that_the_chain_starves() -> None:
    from prover.combined import ChainedGenerator, StagedSearch

    moves, first, second = _deep_first_shallow_second()
    chained = run(ScriptedEnv(moves), ChainedGenerator(first, second), max_expansions=12)
    assert not chained.proved  # the second's children at depth 1 outrank the first's at depth 3
    moves, first, second = _deep_first_shallow_second()
    staged = run(ScriptedEnv(moves), StagedSearch(first, second), max_expansions=12)  # 6 for the first
    assert staged.proved and staged.proof == ("step",) * 5 + ("done",)
    assert second.asked == [] and staged.stats.expansions == 6  # the second stage never ran


def test_the_second_stage_searches_on_what_the_first_left_of_the_budget() -> None:
    from prover.combined import StagedSearch

    moves: dict[tuple[str, str], Move] = {("A", "intro"): "B", ("B", "retrieved"): QED}
    first = ScriptedGenerator({"A": [("intro", -0.1)]}, name="first")  # exhausts after 2 expansions
    second = ScriptedGenerator({"B": [("retrieved", -0.5)]}, name="second")
    env = ScriptedEnv(moves)
    result = run(env, StagedSearch(first, second), max_expansions=4)
    assert result.proved and result.proof == ("intro", "retrieved")
    assert first.asked == ["A", "B", "A", "B"]  # its own search, then the chain's (first, then second)
    assert second.asked == ["A", "B"] and result.stats.expansions == 4
    # `intro` on the root ran once: the chain's stage reused the first stage's result for that path.
    assert [(path, tactic) for path, tactic, _ in env.calls] == [((), "intro"), (("intro",), "retrieved")]
    assert result.stats.tactic_calls == 2


def test_only_results_that_would_come_again_are_reused_by_a_later_stage() -> None:
    from search.best_first import _reusable

    state = ProofState("t", ("x",), (Goal((), "B"),), "⊢ B")
    assert _reusable(Advanced(state), full_allowance=False) and _reusable(Proved(("x",)), full_allowance=False)
    assert _reusable(TacticFailure(FailureKind.ERROR, "no"), full_allowance=False)
    assert _reusable(TacticFailure(FailureKind.TIMEOUT, "slow"), full_allowance=True)
    assert not _reusable(TacticFailure(FailureKind.TIMEOUT, "cut short by the wall budget"), full_allowance=False)
    assert not _reusable(TacticFailure(FailureKind.CRASHED, "the process died"), full_allowance=True)


def test_a_staged_search_never_exceeds_the_budget() -> None:
    from prover.combined import StagedSearch

    moves: dict[tuple[str, str], Move] = {("A", "intro"): "B", ("B", "retrieved"): QED}
    first = ScriptedGenerator({"A": [("intro", -0.1)]}, name="first")
    second = ScriptedGenerator({"B": [("retrieved", -0.5)]}, name="second")
    result = run(ScriptedEnv(moves), StagedSearch(first, second), max_expansions=3)
    # The first stage spends 2 expansions and exhausts; the second has 1 left: only its root.
    assert not result.proved and result.stats.expansions == 3 and result.stop_reason == "expansions"
    assert second.asked == ["A"]


def test_the_first_stage_gets_only_its_share_of_the_wall_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import search.best_first as best_first
    from prover.combined import StagedSearch

    clock = FakeClock()
    monkeypatch.setattr(best_first, "time", clock)
    moves, offers = chain(100)  # the first generator could step for ever
    moves[("A", "retrieved")] = QED
    first = ScriptedGenerator(offers, name="first")
    second = ScriptedGenerator({"A": [("retrieved", -9.0)]}, name="second")
    env = ScriptedEnv(moves, clock=clock, seconds_per_tactic=1.0)
    result = run(env, StagedSearch(first, second, first_share=0.25), wall_time=20.0)
    assert result.proved and result.proof == ("retrieved",)
    first_stage = [call for call in env.calls if call[1] == "step"]
    assert 5 <= len(first_stage) <= 6  # 5 s of the 20 (a tactic in flight may end past the share)
    assert result.stats.wall_seconds <= 20.0 and result.stop_reason == "proved"


def test_the_first_stage_gets_only_its_share_of_the_expansions() -> None:
    from prover.combined import StagedSearch

    moves, offers = chain(100)
    moves[("A", "retrieved")] = QED
    first = ScriptedGenerator(offers, name="first")
    second = ScriptedGenerator({"A": [("retrieved", -9.0)]}, name="second")
    result = run(ScriptedEnv(moves), StagedSearch(first, second, first_share=0.5), max_expansions=10)
    assert result.proved and first.asked[:5] == ["A", "G1", "G2", "G3", "G4"] and first.asked[5] == "A"
    assert result.stats.expansions == 6  # five of the first stage's own, then the chain's root
    first = ScriptedGenerator(offers, name="first")
    result = run(ScriptedEnv(moves), StagedSearch(first, second), max_expansions=10)  # default: 70%
    assert result.proved and first.asked[:8] == ["A"] + [f"G{i}" for i in range(1, 7)] + ["A"]
    assert result.stats.expansions == 8


def test_a_staged_generator_called_directly_is_the_chain() -> None:
    from prover.base import StagedGenerator
    from prover.combined import StagedSearch

    first = ScriptedGenerator({"A": [("a", -0.1)]}, name="first")
    second = ScriptedGenerator({"A": [("b", -0.1), ("a", -0.2)]}, name="second")
    staged = StagedSearch(first, second)
    assert isinstance(staged, StagedGenerator) and isinstance(staged, TacticGenerator)
    state = ProofState("t", (), (Goal((), "A"),), "⊢ A")
    assert [c.tactic for c in staged.generate(THM, state, 5)] == ["a", "b"]
    with pytest.raises(ValueError, match="share"):
        StagedSearch(first, second, first_share=1.0)
