"""Results lines, resume bookkeeping, summaries, plots and tree drawings (no proof assistant)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.report import render_markdown, summarize, write_report
from benchmarks.results import (
    Budget,
    ConfigMismatch,
    ResultsWriter,
    RunConfig,
    RunDir,
    TheoremResult,
    read_results,
)
from prover.factory import GeneratorOptions


def _result(name: str, proved: bool = False, **kw) -> TheoremResult:
    kw.setdefault("category", "mathd_algebra" if name.startswith("mathd_algebra") else "amc")
    kw.setdefault("stop_reason", "proved" if proved else "expansions")
    return TheoremResult(name, kw.pop("split", "valid"), kw.pop("category"), proved,
                         proof=("intros.", "lra.") if proved else (), **kw)


def _config(names=("mathd_algebra_1", "mathd_algebra_2", "amc12a_2020_p15"), **kw) -> RunConfig:
    return RunConfig("minif2f-coq", "b60aff", "coq", "valid", tuple(names), GeneratorOptions("coq"),
                     kw.pop("budget", Budget(1, 32, 3, 6.0, 2.0)), **kw)


def test_line_round_trip_keeps_everything_but_the_tree(tmp_path: Path):
    r = _result("mathd_algebra_1", True, wall_seconds=1.5, assistant_seconds=1.2, verify_seconds=0.2, tree="{}", retries=1)
    path = tmp_path / "results.jsonl"
    with ResultsWriter(path) as w:
        w.write(r)
    assert "tree" not in json.loads(path.read_text())
    (back,) = read_results(path)
    assert back == r and back.tree is None and back.proof == ("intros.", "lra.")
    assert back.outside_assistant_seconds == pytest.approx(0.1)


def test_a_proof_with_unicode_line_separators_keeps_its_line(tmp_path: Path):
    """Model text may hold U+2028, U+2029 or U+0085, written as they are (non-ASCII is kept):
    JSON Lines end at "\\n" only, so the row is read back whole, not dropped and run again."""
    r = TheoremResult("mathd_algebra_1", "valid", "mathd_algebra", True, proof=("intros.\u2028", "lra.\u2029\x85"),
                      stop_reason="proved")
    path = tmp_path / "results.jsonl"
    with ResultsWriter(path) as w:
        w.write(r)
        w.write(_result("mathd_algebra_2"))
    assert [b.name for b in read_results(path, repair=True)] == ["mathd_algebra_1", "mathd_algebra_2"]
    assert read_results(path)[0].proof == r.proof


def test_truncated_last_line_is_dropped_and_the_file_rewritten(tmp_path: Path):
    path = tmp_path / "results.jsonl"
    with ResultsWriter(path) as w:
        for name in ("a", "b", "c"):
            w.write(_result(name))
    full = _result("d").to_line()
    with open(path, "a") as f:
        f.write(full[: len(full) // 2])  # what a kill -9 mid-write leaves
    assert [r.name for r in read_results(path)] == ["a", "b", "c"]
    assert not path.read_text().endswith("\n")  # reading alone does not touch the file
    assert [r.name for r in read_results(path, repair=True)] == ["a", "b", "c"]
    text = path.read_text()
    assert text.endswith("\n") and len(text.splitlines()) == 3


def test_duplicate_names_keep_the_first(tmp_path: Path):
    path = tmp_path / "results.jsonl"
    with ResultsWriter(path) as w:
        w.write(_result("a", True))
        w.write(_result("a", False))
    (only,) = read_results(path, repair=True)
    assert only.proved and len(path.read_text().splitlines()) == 1


def test_resume_refuses_another_config_and_create_refuses_a_used_dir(tmp_path: Path):
    run = RunDir(tmp_path / "run")
    run.create(_config())
    with ResultsWriter(run.results_path) as w:
        w.write(_result("mathd_algebra_1"))
    assert [r.name for r in run.resume(_config())] == ["mathd_algebra_1"]
    with pytest.raises(ConfigMismatch, match="budget"):
        run.resume(_config(budget=Budget(1, 32, 4, 6.0, 2.0)))
    with pytest.raises(ConfigMismatch, match="names"):
        run.resume(_config(names=("mathd_algebra_1",)))
    with pytest.raises(ValueError, match="--resume"):
        RunDir(tmp_path / "run").create(_config())
    with pytest.raises(ValueError, match="not a run directory"):
        RunDir(tmp_path / "elsewhere").resume(_config())


def test_a_resume_compares_the_statements_unless_the_run_predates_the_digest():
    from benchmarks.results import statements_digest
    from lean_env.base import Theorem

    one = statements_digest([Theorem("t", "Require Import Arith.", "Theorem t : 1 = 1.")])
    two = statements_digest([Theorem("t", "Require Import Arith.", "Theorem t : 1 = 2.")])
    assert one != two
    assert _config(statements=one).differences(_config(statements=two)) == ["statements"]
    assert _config(statements="").differences(_config(statements=two)) == []  # an older run


def test_a_new_run_removes_samples_left_by_another(tmp_path: Path):
    """Whole-proof samples marked verified by a run killed before its first result belong to that
    run: a new run in the same folder must not count them."""
    stale = tmp_path / "samples" / "mathd_algebra_1.jsonl"
    stale.parent.mkdir(parents=True)
    stale.write_text('{"theorem": "mathd_algebra_1", "index": 0, "output": "admit.", "status": "verified"}\n')
    RunDir(tmp_path).create(_config())
    assert not stale.parent.exists() and (tmp_path / "config.json").exists()


def test_summary_counts_unelaborated_statements_as_not_proved():
    results = [
        _result("mathd_algebra_1", True, wall_seconds=2.0, assistant_seconds=1.5, verify_seconds=0.4),
        _result("mathd_algebra_2", False, wall_seconds=2.0, assistant_seconds=1.9),
        _result("amc12a_2020_p15", False, error="statement does not elaborate: type error", stop_reason="error"),
    ]
    s = summarize(_config(), results, {"coq": "8.16.1"}, [{"wall_seconds": 5.0, "workers": 2}])
    assert s["overall"] == {"proved": 1, "total": 3, "done": 3, "pass_rate": pytest.approx(1 / 3, abs=1e-4)}
    assert s["categories"]["mathd_algebra"]["proved"] == 1 and s["categories"]["amc"]["total"] == 1
    assert s["not_elaborated"] == ["amc12a_2020_p15"] and s["errors"] == {}
    assert s["time"]["outside_assistant_share"] == pytest.approx(0.2 / 4.0)
    assert s["complete"] and s["budget"]["expansions"] == 3
    md = render_markdown(s, {"wall_seconds": {"1": 10.0, "2": 5.5}, "efficiency": 10 / 11, "note": "x"})
    assert "1/3 = 33.3%" in md and "amc12a_2020_p15" in md and "8.16.1" in md and "90.9%" in md
    partial = summarize(_config(), results[:1], {}, [])
    assert not partial["complete"] and partial["overall"]["total"] == 3


def _proof_tree():
    from lean_env.base import Goal, ProofState
    from search.tree import ROOT, ProofTree

    def state(path, goal):
        return ProofState("t", path, (Goal((), goal),), f"⊢ {goal}")

    tree = ProofTree(state((), "forall x, x = x"))
    child, _ = tree.add_state(ROOT, state(("intros.",), "x = x"), "intros.", -0.1, -0.1, -0.1)
    tree.add_leaf(ROOT, "lia.", -0.2, "error", "no")
    leaf = tree.add_leaf(child, "reflexivity.", -0.1, "proved", "")
    tree.mark_proof(leaf, ("intros.", "reflexivity."))
    return tree


def test_report_writes_markdown_json_plots_and_trees_draw_as_svg(tmp_path: Path):
    pytest.importorskip("matplotlib")
    from benchmarks.plots import draw_tree, layered_positions, load_tree

    run = RunDir(tmp_path / "run")
    run.create(_config())
    run.add_session({"wall_seconds": 3.0, "workers": 1})
    results = [_result("mathd_algebra_1", True, wall_seconds=1.0, expansions=2), _result("mathd_algebra_2", wall_seconds=1.0)]
    write_report(run, results, {"python": "3.11"})
    for name in ("summary.md", "summary.json", "solved_vs_time.png", "solved_vs_expansions.png", "proof_lengths.png"):
        assert (run.path / name).stat().st_size > 0, name
    assert json.loads((run.path / "summary.json").read_text())["versions"] == {"python": "3.11"}
    write_report(run, results, {})  # `prover report` keeps the stated versions
    assert json.loads((run.path / "summary.json").read_text())["versions"] == {"python": "3.11"}

    tree_file = tmp_path / "t.json"
    _proof_tree().write(tree_file)
    graph = load_tree(tree_file)
    pos = layered_positions(graph)
    assert pos["root"][1] == 0 and pos["s1"][1] == -1 and pos["proved:2"][1] == -2
    svg = draw_tree(tree_file, tmp_path / "t.svg").read_text()
    assert svg.startswith("<?xml") and "#dc143c" in svg  # crimson: the proof path
    _proof_tree().write(tmp_path / "t.graphml")
    assert "#dc143c" in draw_tree(tmp_path / "t.graphml", tmp_path / "g.svg").read_text()


def test_the_report_names_the_generators_and_how_they_were_combined():
    from benchmarks.report import _generator_text

    assert _generator_text({"portfolio": True}) == "portfolio"
    assert _generator_text({"portfolio": True, "knn_index": "idx", "combine": "staged"}) == "portfolio + knn idx (staged)"
    model = {"model": "ckpt", "engine": "hf"}
    assert _generator_text({"portfolio": True, "model": model, "combine": "chain"}) == "portfolio + model ckpt (hf) (chain)"
    assert _generator_text({"portfolio": False, "knn_index": "idx", "model": model}) == "knn idx + model ckpt (hf)"
    assert _generator_text({"portfolio": True, "model": model}) == "portfolio + model ckpt (hf) (chain)"  # older runs
