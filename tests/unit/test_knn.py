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
    from prover.knn import closer_for

    assert closer_for("R") == "first [lra | nra | field]"  # one candidate per composed step


def test_the_generator_puts_each_composed_candidate_after_the_tactic_it_extends() -> None:
    from lean_env.base import ProofState, Theorem
    from prover.knn import KnnGenerator

    index = KnnIndex.build([_record("(if b then 0 else 1) <= 1", [(["b"], "bool")], "destruct b."),
                            _record("(if b then 0 else 1) <= 1", [(["b"], "bool")], "auto.")])
    state = ProofState("t", (), (_goal("(if c then 1 else 2) <= 2", (("c",), "bool")),), "")
    theorem = Theorem("t", "", "Theorem t (c : bool) : (if c then 1 else 2) <= 2.")
    texts = [c.tactic for c in KnnGenerator(index).generate(theorem, state, 16)]
    assert texts[:2] == ["destruct c.", "destruct c; first [lia | lra | nia | auto with arith]."] and "auto." in texts
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
    # Several: the best mapping first, then those that move one choice down the ranking.
    assert renamings("rewrite H in H0.", two, target, limit=3) == ["rewrite h1 in h2.", "rewrite h0 in h2.",
                                                                   "rewrite h1 in h0."]
    assert renamings("rewrite H in H0.", two, target, limit=1) == ["rewrite h1 in h2."]


def test_a_fact_is_never_renamed_onto_data_nor_data_onto_a_fact() -> None:
    from prover.knn import is_data, renamings

    assert is_data({"R", "->"}) and is_data({"nat"}) and is_data({"list", "Z"})
    assert not is_data({"$x", "=", "1"}) and not is_data({"prime", "$x"}) and not is_data({"False"})
    source = [("H", ["$x", "=", "R"]), ("f", ["R", "->"])]
    target = [("g", {"R", "->"}), ("h", {"forall", "$x", "R", "=", "+"})]
    assert renamings("rewrite H.", source, target, limit=3) == ["rewrite h."]  # not `rewrite g`
    assert renamings("unfold f.", source, target, limit=3) == ["unfold g."]


def test_only_structural_steps_are_composed() -> None:
    from prover.knn import compose

    assert compose("apply derivable_pt_inv.", "lra") is None  # a lemma of another development
    assert compose("rewrite h0 in h1.", "lra") == "(rewrite h0 in h1); lra."
    assert compose("unfold f.", "lra") == "unfold f; lra."


def test_retrieval_by_hypothesis_finds_what_was_done_with_a_similar_hypothesis() -> None:
    """A state unlike any traced one, but with a hypothesis like one a traced tactic used: the
    tactic comes back on this hypothesis, with the other hypothesis it names mapped too."""
    closers = ["auto.", "simpl.", "reflexivity.", "easy.", "trivial.", "lia.", "intuition.", "tauto."]
    records = [_record(f"k 4 = {i}", [(["k"], "Z -> Z"), (["Hk"], "forall x : Z, k x > a"), (["H1"], "k 1 = 3")], t)
               for i, t in enumerate(closers)]
    records.append(_record("P (g 3)", [(["g"], "nat -> nat"), (["Hdef"], "forall n : nat, g n = 2 * n + 1"),
                                       (["Hval"], "g 1 = 3")], "rewrite Hdef in Hval."))
    index = KnnIndex.build(records)
    goal = _goal("f 4 = 9", (("f",), "Z -> Z"), (("h0",), "forall x : Z, f x = a * x + b"), (("h1",), "f 1 = 3"))
    assert not any("h0" in t for t, _ in index.propose(goal, 3))  # the states are not alike
    by_hyp = [t for t, _ in index.by_hypothesis(goal, 5)]
    assert by_hyp[0] == "rewrite h0 in h1."
    assert index.by_hypothesis(_goal("x = 1", (("x",), "R")), 5) == []  # no fact: nothing to retrieve for


def test_the_index_keeps_its_hypothesis_table_on_disk(tmp_path) -> None:
    records = [_record("P (g 3)", [(["Hdef"], "forall n : nat, g n = 2 * n + 1"), (["Hval"], "g 1 = 3")],
                       "rewrite Hdef in Hval.")]
    KnnIndex.build(records).save(tmp_path / "idx")
    loaded = KnnIndex.load(tmp_path / "idx")
    goal = _goal("f 4 = 9", (("h0",), "forall x : Z, f x = a * x + b"), (("h1",), "f 1 = 3"))
    assert [t for t, _ in loaded.by_hypothesis(goal, 5)] == ["rewrite h0 in h1."]


def test_a_retrieved_rewrite_is_also_tried_everywhere() -> None:
    from prover.knn import rewrite_variants

    def everywhere(tactic: str) -> str | None:  # the first form of a rewrite: everywhere, as often as it applies
        forms = rewrite_variants(tactic)
        return forms[0] if forms and forms[0].endswith(" in *.") else None

    assert everywhere("rewrite h0.") == "rewrite !h0 in *."
    assert everywhere("rewrite <- H in H1.") == "rewrite <- H in *."  # backwards once: `!` may loop
    assert everywhere("rewrite (H x), H2.") == "rewrite !(H x), !H2 in *."
    assert everywhere("rewrite H by lia.") is None and everywhere("rewrite H; lra.") is None
    assert everywhere("apply H.") is None and everywhere("rewrite H. lia.") is None


def test_a_hypothesis_is_renamed_only_onto_one_of_the_same_outermost_form() -> None:
    from prover.knn import renamings, shape

    assert [shape(t) for t in ("forall x, f x = 1", "f 7 = 4", "(0 <= x)%R", "0 < a /\\ 0 < b", "prime a")] == [
        "^forall", "^=", "^<=", "^/\\", "^app"]
    source = [("H", ["$x", "<", "0", "^/\\"])]  # a conjunction
    target = [("h0", {"$x", "<", "0", "^<"}), ("h1", {"$x", "<", "1", "^/\\"})]
    assert renamings("destruct H.", source, target, limit=3) == ["destruct h1."]  # not the bare inequality


def test_a_rewrite_with_a_hypothesis_here_is_tried_in_both_directions_and_everywhere() -> None:
    from prover.knn import rewrite_variants

    assert rewrite_variants("rewrite h0.", ["h0", "h1"]) == ["rewrite !h0 in *.", "rewrite <- h0 in *.",
                                                             "rewrite <- h0."]
    assert rewrite_variants("rewrite <- h0 in h1.", ["h0", "h1"]) == ["rewrite <- h0 in *.", "rewrite <- h0.",
                                                                      "rewrite !h0 in *.", "rewrite h0."]
    assert rewrite_variants("rewrite -> h0.", ["h0"])[:2] == ["rewrite !h0 in *.", "rewrite h0."]
    assert rewrite_variants("rewrite 2!h0, <- h1.", ["h0", "h1"]) == [  # several: their way, and each alone
        "rewrite 2!h0, <- h1 in *.", "rewrite 2!h0 in *.", "rewrite <- h1 in *."]
    assert rewrite_variants("rewrite Rplus_comm.", ["h0"]) == []  # a library lemma's direction is its meaning
    assert rewrite_variants("rewrite Rplus_comm.") != []  # without the names, every rewrite has forms


def test_each_hypothesis_of_a_rewrite_chain_is_also_tried_alone_everywhere() -> None:
    from prover.knn import rewrite_variants

    assert rewrite_variants("rewrite h1, h0.", ["h0", "h1"]) == ["rewrite !h1, !h0 in *.", "rewrite !h1 in *.",
                                                                 "rewrite !h0 in *."]
    assert rewrite_variants("rewrite 2!h0, Rplus_0_l.", ["h0"]) == ["rewrite 2!h0, !Rplus_0_l in *.",
                                                                    "rewrite 2!h0 in *."]


def test_mappings_are_enumerated_lazily_in_order_of_summed_rank() -> None:
    import itertools
    import time

    from prover.knn import _by_rank_sum, renamings

    sizes = [3, 2, 3]
    expected = sorted(itertools.product(*(range(n) for n in sizes)), key=lambda r: (sum(r), r))
    assert list(_by_rank_sum(sizes)) == expected
    # A tactic naming twenty hypotheses, each with three counterparts: 3**20 mappings, a few wanted.
    names = [f"H{i}" for i in range(20)]
    source = [(n, ["$x", "<", str(i)]) for i, n in enumerate(names)]
    target = [(f"h{i}", {"$x", "<", str(i)}) for i in range(20)] + [(f"g{i}", {"$x", str(i)}) for i in range(20)]
    start = time.monotonic()
    found = renamings("clear " + " ".join(names) + ".", source, target, limit=3)
    assert time.monotonic() - start < 1.0 and len(found) == 3
    assert found[0] == "clear " + " ".join(f"h{i}" for i in range(20)) + "."  # then one hypothesis moved
    assert found[1] == "clear " + " ".join(f"h{i}" for i in range(19)) + " g19."


def test_several_traces_are_read_one_after_the_other_and_checked_first(tmp_path) -> None:
    import json

    import pytest

    from prover.knn import read_all_records

    for name, tactic in (("a", "lia."), ("b", "lra.")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "steps.jsonl").write_text(json.dumps({"tactic": tactic}) + "\n")
    assert [r["tactic"] for r in read_all_records([tmp_path / "a", tmp_path / "b" / "steps.jsonl"])] == ["lia.", "lra."]
    with pytest.raises(ValueError, match="missing: no trace here"):
        read_all_records([tmp_path / "a", tmp_path / "missing"])  # before a record is read


def test_retrieval_and_a_model_are_staged_together_behind_the_portfolio(tmp_path) -> None:
    import pytest

    pytest.importorskip("torch")
    from prover.combined import ChainedGenerator, InterleavedGenerator, StagedSearch
    from prover.factory import GeneratorOptions, make_generator
    from prover.knn import KnnGenerator
    from prover.model_spec import ModelSpec

    KnnIndex.build([_record("a + 0 = a", [(["a"], "nat")], "apply Nat.add_0_r.")]).save(tmp_path / "idx")
    options = {"model": ModelSpec("tiny", engine="tiny"), "knn_index": str(tmp_path / "idx")}
    staged = make_generator(GeneratorOptions("coq", **options))
    # Both learned proposers sit behind the portfolio's own first stage; before, the model was
    # chained after the staged pair, which hid the stages from the search.
    assert isinstance(staged, StagedSearch) and staged.stages[0][0].name == "portfolio"
    learned = staged.chain.second
    assert isinstance(learned, ChainedGenerator) and isinstance(learned.first, KnnGenerator)
    assert learned.second.name == "model"
    assert isinstance(make_generator(GeneratorOptions("coq", combine="interleave", **options)), InterleavedGenerator)
    chained = make_generator(GeneratorOptions("coq", combine="chain", **options))
    assert isinstance(chained, ChainedGenerator) and chained.second is not None and chained.first.name == "portfolio"
    alone = make_generator(GeneratorOptions("coq", portfolio=False, **options))
    assert isinstance(alone, ChainedGenerator) and isinstance(alone.first, KnnGenerator)
