"""Retrieval features and hypothesis renaming, without a proof assistant."""

from __future__ import annotations

from lean_env.base import Goal, Hypothesis
from prover.knn import KnnIndex, rename_hypotheses, state_features


def _goal(conclusion: str, *hyps: tuple[tuple[str, ...], str]) -> Goal:
    return Goal(tuple(Hypothesis(names, typ) for names, typ in hyps), conclusion)


def _record(conclusion: str, hyps: list[tuple[list[str], str]], tactic: str) -> dict:
    """A trace step record with one focused goal."""
    goal = {"conclusion": conclusion, "hypotheses": [{"names": n, "type": t, "value": None} for n, t in hyps]}
    return {"tactic": tactic, "state_before": {"goals": [goal]}, "theorem": "t", "file": "f.v"}


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
    index = KnnIndex.build([
        _record("a + 0 = a", [(["a"], "nat")], "apply Nat.add_0_r."),
        _record("b = a", [(["a", "b"], "nat"), (["Hab"], "a = b")], "symmetry; exact Hab."),
        _record("x * y = y * x", [(["x", "y"], "R")], "ring."),
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


def test_composition_appends_a_closer_as_one_sentence_and_only_where_it_adds_something() -> None:
    from prover.knn import compose

    assert compose("destruct b.", "lia") == "destruct b; lia."
    assert compose("induction n as [| n IH]; simpl.", "lia") == "induction n as [| n IH]; simpl; lia."
    assert compose("rewrite H by lia.", "lra") == "(rewrite H by lia); lra."  # `by` must not take the closer
    assert compose("lia.", "nia") is None and compose("intros; field; trivial.", "lra") is None  # ends closed
    assert compose("2: reflexivity.", "lia") is None  # a goal selector applies to one goal only
    assert compose("intros. lia.", "lia") is None  # two sentences: not a retrieved step


def test_closers_follow_the_kind_of_numbers_in_the_goal() -> None:
    from prover.knn import CLOSERS, number_kind

    assert number_kind(_goal("x = 1", (("x",), "R"))) == "R"
    assert number_kind(_goal("forall (a b : Z), a = b")) == "Z"
    assert number_kind(_goal("INR n = 2", (("n",), "nat"))) == "R"  # a real goal about a natural
    assert number_kind(_goal("(if b then 1 else 2) <= 2", (("b",), "bool"))) == ""
    assert "lra" in CLOSERS["R"] and "lia" in CLOSERS["nat"] and "lia" in CLOSERS[""]


def test_the_generator_puts_each_composed_candidate_after_the_tactic_it_extends() -> None:
    from lean_env.base import ProofState, Theorem
    from prover.knn import KnnGenerator

    index = KnnIndex.build([_record("(if b then 0 else 1) <= 1", [(["b"], "bool")], "destruct b."),
                            _record("(if b then 0 else 1) <= 1", [(["b"], "bool")], "auto.")])
    state = ProofState("t", (), (_goal("(if c then 1 else 2) <= 2", (("c",), "bool")),), "")
    theorem = Theorem("t", "", "Theorem t (c : bool) : (if c then 1 else 2) <= 2.")
    texts = [c.tactic for c in KnnGenerator(index).generate(theorem, state, 16)]
    assert texts[:2] == ["destruct c.", "destruct c; lia."] and "auto." in texts
    assert not any(t.startswith("auto;") for t in texts)  # `auto` is a closer already
    plain = [c.tactic for c in KnnGenerator(index, compose=0).generate(theorem, state, 16)]
    assert sorted(plain) == ["auto.", "destruct c."]
    scores = [c.score for c in KnnGenerator(index).generate(theorem, state, 16)]
    assert scores == sorted(scores, reverse=True)


def test_a_tactic_naming_one_hypothesis_is_tried_with_each_similar_one() -> None:
    from prover.knn import renamings

    source = [("H", ["$x", "=", "1"])]
    target = [("n", {"nat"}), ("h0", {"forall", "$x", "=", "*", "5"}), ("h1", {"$x", "=", "2"}), ("h2", {"$x", "<", "3"})]
    assert renamings("rewrite H; lra.", source, target, limit=3) == ["rewrite h1; lra.", "rewrite h0; lra.",
                                                                     "rewrite h2; lra."]
    assert renamings("rewrite H.", source, [("n", {"nat"})], limit=3) == []  # no counterpart: dropped
    two = [("H", ["$x", "=", "1"]), ("H0", ["$x", "<", "3"])]
    assert renamings("rewrite H in H0.", two, target, limit=3) == ["rewrite h1 in h2."]  # several: best mapping only


def test_only_structural_steps_are_composed() -> None:
    from prover.knn import compose

    assert compose("apply derivable_pt_inv.", "lra") is None  # a lemma of another development
    assert compose("rewrite h0 in h1.", "lra") == "(rewrite h0 in h1); lra."
    assert compose("unfold f.", "lra") == "unfold f; lra."
