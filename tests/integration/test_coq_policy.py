"""Learning a tactic policy from traced proofs: trace a small development, index it, search with it."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from lean_env.base import Goal, Hypothesis, TacticFailure, Theorem
from lean_env.coq.env import CoqConfig, CoqEnv
from lean_env.coq.trace import LoadPath, TraceOptions, collect_files, coq_project_load_paths, trace_development
from prover.knn import KnnGenerator, KnnIndex, closer_for, goal_from_record, read_records
from prover.portfolio import PortfolioGenerator
from prover.combined import ChainedGenerator, StagedSearch
from search.best_first import SearchConfig, best_first_search
from tests.integration.policy_fixtures import REV_LEN_DEV, REV_LEN_TARGET_STATEMENT

pytestmark = pytest.mark.coq

GOOD = """Require Import Arith List Lia.
Import ListNotations.

(* a bullet proof, with braces *)
Lemma add_comm_bullets : forall n m : nat, n + m = m + n /\\ m + 0 = m.
Proof.
  intros n m. split.
  - apply Nat.add_comm.
  - { rewrite Nat.add_0_r. reflexivity. }
Qed.

Section S.
Variable k : nat.
Lemma with_using : k + 0 = k.
Proof using k.
  lia.
Qed.
End S.

Definition two : nat.
Proof. exact 2. Defined.

Set Nested Proofs Allowed.
Lemma outer : forall a b : nat, a = b -> b + 1 = a + 1.
Proof.
  intros a b Hab.
  Lemma inner : 0 + 0 = 0.
  Proof. reflexivity. Qed.
  rewrite Hab. reflexivity.
Qed.

"""
GOOD += REV_LEN_DEV.split("\n", 1)[1]  # the list lemma, without its Require line

BAD = """Require Import Arith.
Require Import NoSuchLibrary.
Lemma broken : forall n : nat, n = n + 1.
Proof.
  intros n.
  reflexivity.
  auto.
Qed.
Lemma fine_after : 1 + 1 = 2.
Proof. reflexivity. Qed.
"""


@pytest.fixture(scope="module")
def traced(tmp_path_factory) -> Path:
    dev = tmp_path_factory.mktemp("dev")
    (dev / "Good.v").write_text(GOOD)
    (dev / "Bad.v").write_text(BAD)
    out = tmp_path_factory.mktemp("trace")
    trace_development(collect_files([dev]), out, workers=2, progress=False)
    return out


def _steps(trace: Path) -> list[dict]:
    return list(read_records(trace))


def _files(trace: Path) -> dict[str, dict]:
    return {r["file"]: r for r in map(json.loads, (trace / "files.jsonl").read_text().splitlines())}


def test_trace_records_bullets_nested_proofs_defined_and_using(traced: Path) -> None:
    files = _files(traced)
    good = {t["name"]: t for t in files["dev0/Good.v"]["theorems"]} if "dev0/Good.v" in files else None
    good = good or {t["name"]: t for f, r in files.items() if f.endswith("Good.v") for t in r["theorems"]}
    assert {n: t["status"] for n, t in good.items()} == {
        "add_comm_bullets": "qed", "with_using": "qed", "two": "defined", "outer": "qed", "inner": "qed", "rev_len": "qed",
    }
    steps = [s for s in _steps(traced) if s["theorem"] == "add_comm_bullets"]
    assert [s["tactic"] for s in steps] == [
        "intros n m.", "split.", "apply Nat.add_comm.", "rewrite Nat.add_0_r.", "reflexivity."
    ]  # bullets and braces refocus, they are not steps
    split = steps[1]
    assert split["state_before"]["goals"][0]["hypotheses"] == [{"names": ["n", "m"], "type": "nat", "value": None}]
    assert split["state_after"]["count"] == 2 and not split["closed_goal"]
    assert steps[2]["closed_goal"] and not steps[2]["proof_done"]  # a bullet's goal, others remain
    assert steps[-1]["closed_goal"] and steps[-1]["proof_done"]
    outer = [s["tactic"] for s in _steps(traced) if s["theorem"] == "outer"]
    assert outer == ["intros a b Hab.", "rewrite Hab.", "reflexivity."]  # the nested proof is its own
    assert [s["tactic"] for s in _steps(traced) if s["theorem"] == "inner"] == ["reflexivity."]


def test_a_file_that_does_not_compile_is_traced_as_far_as_coq_goes(traced: Path) -> None:
    bad = next(r for f, r in _files(traced).items() if f.endswith("Bad.v"))
    assert {t["name"]: t["status"] for t in bad["theorems"]} == {"broken": "error", "fine_after": "qed"}
    assert bad["errors"] >= 2  # the missing library and the failing tactic
    assert [s["tactic"] for s in _steps(traced) if s["theorem"] == "broken"] == ["intros n."]


def test_trace_resumes_without_losing_or_repeating_a_file(traced: Path, tmp_path: Path) -> None:
    copy = tmp_path / "trace"
    copy.mkdir()
    lines = (traced / "files.jsonl").read_text().splitlines()
    steps = (traced / "steps.jsonl").read_text()
    (copy / "steps.jsonl").write_text(steps + '{"torn": ')  # killed while writing the next file
    (copy / "files.jsonl").write_text(lines[0] + "\n")
    dev = Path(tmp_path / "dev")
    dev.mkdir()
    for f in _files(traced):
        (dev / Path(f).name).write_text(GOOD if f.endswith("Good.v") else BAD)
    files = [(dev / Path(f).name, f) for f in _files(traced)]
    summary = trace_development(files, copy, workers=1, progress=False)
    assert summary["files"] == 2
    assert sorted((copy / "steps.jsonl").read_text().splitlines()) == sorted(steps.splitlines())


def test_a_development_with_its_own_library_name_is_traced_through_its_coq_project(tmp_path: Path) -> None:
    """`Require Import Base.` resolves only under the development's `-R theories MyDev`: read from
    its _CoqProject, the second file's proof is traced; without it, the file stops at the Require."""
    dev = tmp_path / "mydev"
    (dev / "theories").mkdir(parents=True)
    (dev / "_CoqProject").write_text("# the development's binding\n-R theories MyDev\n-arg -w -arg none\ntheories/Base.v\n")
    (dev / "theories" / "Base.v").write_text("Definition double (n : nat) := n + n.\n")
    (dev / "theories" / "Use.v").write_text(
        "Require Import Base.\nLemma double_2 : double 2 = 4.\nProof.\n  unfold double.\n  reflexivity.\nQed.\n")
    subprocess.run(["coqc", "-R", "theories", "MyDev", "theories/Base.v"], cwd=dev, check=True, capture_output=True)
    paths = coq_project_load_paths(dev)
    assert paths == [LoadPath(str((dev / "theories").resolve()), "MyDev", "-R")]
    use = [(dev / "theories" / "Use.v", "mydev/Use.v")]
    with_paths = trace_development(use, tmp_path / "with", progress=False, options=TraceOptions(load_paths=tuple(paths)))
    without = trace_development(use, tmp_path / "without", progress=False)
    assert (with_paths["steps"], with_paths["errors"]) == (2, 0)
    assert without["steps"] == 0 and without["errors"] >= 1
    assert [s["tactic"] for s in read_records(tmp_path / "with")] == ["unfold double.", "reflexivity."]


def test_a_bad_load_path_is_refused_in_one_line(tmp_path: Path) -> None:
    for text, message in (("nodir=X", "no such directory"), (f"{tmp_path}=-bad", "not a Coq library name"),
                          ("nothing", "expected DIR=NAME")):
        with pytest.raises(ValueError, match=message):
            LoadPath.parse(text)


def test_index_returns_the_traced_tactic_for_a_traced_state(traced: Path, tmp_path: Path) -> None:
    KnnIndex.build(read_records(traced)).save(tmp_path / "idx")
    start = time.monotonic()
    index = KnnIndex.load(tmp_path / "idx")
    assert time.monotonic() - start < 1.0
    for step in _steps(traced):
        goal = goal_from_record(step["state_before"]["goals"][0])
        same = [s["tactic"] for s in _steps(traced) if s["state_before"]["goals"][:1] == step["state_before"]["goals"][:1]]
        (best, similarity), *_ = index.propose(goal, 5)
        assert best in same and similarity == pytest.approx(1.0, abs=1e-4)


def test_a_retrieved_tactic_with_renamed_hypotheses_runs(traced: Path) -> None:
    index = KnnIndex.build(read_records(traced))
    theorem = Theorem("renamed", "Require Import Arith.\n", "Theorem renamed : forall x y : nat, x = y -> y + 1 = x + 1.")
    with CoqEnv(CoqConfig(tactic_timeout=5.0)) as env:
        root = env.open(theorem)
        state = env.run_tactic(root, "intros x y E.").state
        assert [h.names for h in state.goals[0].hypotheses] == [("x", "y"), ("E",)]
        proposals = [t for t, _ in index.propose(state.goals[0], 5)]
        assert "rewrite E." in proposals and "rewrite Hab." not in proposals
        after = env.run_tactic(state, "rewrite E.")
        assert after.state.goals[0].conclusion == "y + 1 = y + 1"  # rewrote x into y: E exists here


def test_renaming_drops_a_tactic_whose_hypothesis_has_no_counterpart(traced: Path) -> None:
    index = KnnIndex.build(read_records(traced))
    goal = Goal((Hypothesis(("x", "y"), "nat"),), "y + 1 = x + 1")  # no equation to rewrite with
    proposals = [t for t, _ in index.propose(goal, 20)]
    assert "reflexivity." in proposals  # needs no hypothesis: kept
    assert not any(t.startswith("rewrite") and ("Hab" in t or " x" in t or " y" in t) for t in proposals)


def test_knn_search_proves_what_the_portfolio_alone_cannot(traced: Path) -> None:
    index = KnnIndex.build(read_records(traced))
    theorem = Theorem(
        "rev_len_bool", "Require Import List.\n", REV_LEN_TARGET_STATEMENT
    )
    config = SearchConfig(max_expansions=30, num_samples=32, wall_time=120, tactic_timeout=2)
    portfolio = PortfolioGenerator("coq")
    with CoqEnv(CoqConfig(tactic_timeout=2.0)) as env:
        alone = best_first_search(env, portfolio, theorem, config)
        assert not alone.proved
        combined = ChainedGenerator(portfolio, KnnGenerator(index))
        result = best_first_search(env, combined, theorem, config)
        assert result.proved, result.stop_reason
        assert result.verification is not None and result.verification.ok  # coqc, type check, audit, coqchk
        assert any("rev_length" in t for t in result.proof)
        staged = best_first_search(env, StagedSearch(portfolio, KnnGenerator(index)), theorem, config)
        # The portfolio's own search runs out of states first; the chain's proves it on what is left.
        assert staged.proved and staged.verification is not None and staged.verification.ok
        assert staged.stats.expansions <= config.max_expansions and staged.stats.expansions > result.stats.expansions


def test_a_composed_candidate_proves_what_neither_of_its_parts_proves() -> None:
    """A retrieved case split, then a closer on every case it makes: one step, verified by coqc.
    Neither the split (it leaves two goals) nor the closer (it cannot see through `if`) proves it,
    and neither does the portfolio in the same single expansion."""
    step = {"names": ["b"], "type": "bool", "value": None}
    records = [{"tactic": "destruct b.", "theorem": "t", "file": "f.v",
                "state_before": {"goals": [{"conclusion": "(if b then 0 else 3) <= 3", "hypotheses": [step]}]}}]
    index = KnnIndex.build(records)
    theorem = Theorem("if_le", "", "Theorem if_le (c : bool) : (if c then 1 else 2) <= 2.")
    config = SearchConfig(max_expansions=1, num_samples=48, wall_time=120, tactic_timeout=2)
    with CoqEnv(CoqConfig(tactic_timeout=2.0, extra_imports="From Coq Require Import Lia Lra Psatz.")) as env:
        root = env.open(theorem)
        split, closer = env.run_tactic(root, "destruct c.", 2.0), env.run_tactic(root, "lia.", 2.0)
        assert len(split.state.goals) == 2 and isinstance(closer, TacticFailure)
        portfolio = PortfolioGenerator("coq")
        assert not best_first_search(env, portfolio, theorem, config).proved
        assert not best_first_search(env, KnnGenerator(index, compose=0), theorem, config).proved
        result = best_first_search(env, ChainedGenerator(portfolio, KnnGenerator(index)), theorem, config)
        assert result.proved and result.proof == ("destruct c; first [lia | lra | nia | auto with arith].",)
        assert result.verification is not None and result.verification.ok  # coqc, type check, audit, coqchk


def test_a_tactic_retrieved_for_a_hypothesis_proves_a_problem_with_a_definition() -> None:
    """The traced step is unlike the problem (a list lemma) but used a hypothesis like the problem's
    definition `h0`: retrieved for h0, rewritten everywhere and closed, it proves in one expansion
    what the portfolio cannot prove in three; coqc and coqchk accept the proof."""
    records = [{"tactic": "rewrite Hdef in Hlen.", "theorem": "t", "file": "f.v", "state_before": {"goals": [{
        "conclusion": "length (l ++ l) = 6",
        "hypotheses": [{"names": ["l"], "type": "list nat", "value": None},
                       {"names": ["g"], "type": "nat -> nat", "value": None},
                       {"names": ["Hdef"], "type": "forall n : nat, g n = 2 * n + 1", "value": None},
                       {"names": ["Hlen"], "type": "g (length l) = 7", "value": None}]}]}}]
    index = KnnIndex.build(records)
    theorem = Theorem("lin", "Require Import ZArith.\nOpen Scope Z_scope.\n",
                      "Theorem lin (a b : Z) (f : Z -> Z) (h0 : forall x, f x = a * x + b) (h1 : f 1 = 3) "
                      "(h2 : f 2 = 5) : f 4 = 9.")
    with CoqEnv(CoqConfig(tactic_timeout=2.0, extra_imports="From Coq Require Import Lia Lra Psatz.")) as env:
        portfolio = PortfolioGenerator("coq")
        three = SearchConfig(max_expansions=3, num_samples=48, wall_time=120, tactic_timeout=2)
        assert not best_first_search(env, portfolio, theorem, three).proved
        one = SearchConfig(max_expansions=1, num_samples=48, wall_time=120, tactic_timeout=2)
        result = best_first_search(env, ChainedGenerator(portfolio, KnnGenerator(index)), theorem, one)
        assert result.proved and result.proof == (f"(rewrite !h0 in *); {closer_for('Z')}.",)
        assert result.verification is not None and result.verification.ok  # coqc, type check, audit, coqchk


def test_a_retrieved_step_closed_by_the_remainder_arithmetic_closer() -> None:
    """`lia` sees `a * 2 mod 7` as an atom and cannot open an existential hypothesis; the
    portfolio's normaliser rewrites `mod` but runs on the unopened hypothesis. A retrieved
    destructuring intro followed by the nat/Z closers (the normaliser among them) proves it in
    one expansion, and the proof verifies."""
    records = [{"tactic": "intros [k [Hk Hm]].", "theorem": "t", "file": "f.v", "state_before": {"goals": [{
        "conclusion": "(exists k : Z, (0 <= k < 5)%Z /\\ m = k) -> (m < 5)%Z",
        "hypotheses": [{"names": ["m"], "type": "Z", "value": None}]}]}}]
    index = KnnIndex.build(records)
    theorem = Theorem("inv7", "Require Import ZArith.\nOpen Scope Z_scope.\n",
                      "Theorem inv7 (r : Z) : (exists a, (0 <= a < 7 /\\ a * 2 mod 7 = 1) /\\ r = a) -> r = 4.")
    one = SearchConfig(max_expansions=1, num_samples=48, wall_time=120, tactic_timeout=2)
    with CoqEnv(CoqConfig(tactic_timeout=2.0, extra_imports="From Coq Require Import Lia Lra Psatz.")) as env:
        portfolio = PortfolioGenerator("coq")
        assert not best_first_search(env, portfolio, theorem, one).proved
        without = env.run_tactic(env.open(theorem), "intros [k [Hk Hm]]; first [lia | nia].", 2.0)
        assert isinstance(without, TacticFailure)  # the closers before the normaliser joined them
        result = best_first_search(env, ChainedGenerator(portfolio, KnnGenerator(index)), theorem, one)
        assert result.proved and "div_mod_to_equations" in result.proof[-1], result.proof
        assert result.verification is not None and result.verification.ok
