"""Retrieval features and hypothesis renaming, without a proof assistant."""

from __future__ import annotations

from lean_env.base import Goal, Hypothesis
from prover.knn import KnnIndex, rename_hypotheses, state_features


def _goal(conclusion: str, *hyps: tuple[tuple[str, ...], str]) -> Goal:
    return Goal(tuple(Hypothesis(names, typ) for names, typ in hyps), conclusion)


def test_features_ignore_local_names_but_not_which_local_is_which() -> None:
    a = state_features(_goal("a + 1 = b + 1", (("a", "b"), "nat"), (("Hab",), "a = b")))
    renamed = state_features(_goal("x + 1 = y + 1", (("x", "y"), "nat"), (("E",), "x = y")))
    same_var = state_features(_goal("a + 1 = a + 1", (("a", "b"), "nat"), (("Hab",), "a = b")))
    assert a == renamed and a != same_var
    bound = state_features(_goal("forall n m : nat, n + m = m + n"))
    assert bound == state_features(_goal("forall p q : nat, p + q = q + p"))
    assert "Nat.add" not in str(bound) and "nat" in bound


def test_renaming_is_one_to_one_by_type_and_drops_what_has_no_counterpart() -> None:
    source = [("n", ["nat"]), ("H", ["$x", "<=", "0"]), ("H0", ["$x", "=", "1"])]
    target = [("k", {"nat"}), ("E", {"$x", "=", "1"}), ("L", {"$x", "<=", "0"})]
    assert rename_hypotheses("rewrite H0 in H; lia.", source, target) == "rewrite E in L; lia."
    assert rename_hypotheses("induction n; simpl; auto.", source, target) == "induction k; simpl; auto."
    assert rename_hypotheses("apply Nat.le_0_r in H.", source, target) == "apply Nat.le_0_r in L."
    assert rename_hypotheses("rewrite H0.", source, [("k", {"nat"})]) is None
    assert rename_hypotheses("lia.", source, []) == "lia."


def test_the_index_ranks_the_closest_state_first_and_renames() -> None:
    def record(conclusion, hyps, tactic):
        goal = {"conclusion": conclusion, "hypotheses": [{"names": n, "type": t, "value": None} for n, t in hyps]}
        return {"tactic": tactic, "state_before": {"goals": [goal]}, "theorem": "t", "file": "f.v"}

    index = KnnIndex.build([
        record("a + 0 = a", [(["a"], "nat")], "apply Nat.add_0_r."),
        record("b = a", [(["a", "b"], "nat"), (["Hab"], "a = b")], "symmetry; exact Hab."),
        record("x * y = y * x", [(["x", "y"], "R")], "ring."),
    ])
    goal = _goal("q = p", (("p", "q"), "nat"), (("Hpq",), "p = q"))
    proposals = index.propose(goal, 3)
    assert proposals[0][0] == "symmetry; exact Hpq." and proposals[0][1] > 0.99


def test_interleaving_alternates_two_generators_and_survives_one_failing() -> None:
    from lean_env.base import ProofState, Theorem
    from prover.base import Candidate
    from prover.combined import InterleavedGenerator

    class Fixed:
        def __init__(self, name, tactics, fail=False):
            self.name, self.tactics, self.fail = name, tactics, fail

        def generate(self, theorem, state, k):
            if self.fail:
                raise RuntimeError("broken")
            return [Candidate(t, -i, self.name) for i, t in enumerate(self.tactics)][:k]

    theorem, state = Theorem("t", "", "Theorem t : True."), ProofState("t", (), (), "")
    mixed = InterleavedGenerator(Fixed("p", ["lia.", "auto.", "ring."]), Fixed("k", ["auto.", "rewrite H.", "f."]))
    assert [c.tactic for c in mixed.generate(theorem, state, 5)] == ["lia.", "auto.", "rewrite H.", "ring.", "f."]
    assert [c.source for c in mixed.generate(theorem, state, 3)] == ["p", "k", "k"]  # auto came first from k
    half = InterleavedGenerator(Fixed("p", ["lia."]), Fixed("k", [], fail=True))
    assert [c.tactic for c in half.generate(theorem, state, 4)] == ["lia."]
