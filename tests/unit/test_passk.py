"""pass@k: Chen et al.'s estimator against exact binomials, its stability, and tables from known
per-sample outcomes (all-samples and early-stop runs, categories, problems without samples)."""

from __future__ import annotations

import itertools
import json
from math import comb

import pytest

from benchmarks.passk import Outcomes, default_ks, pass_at_k, table


@pytest.mark.parametrize("n", [1, 2, 5, 10, 16])
def test_matches_exact_binomial_formula(n):
    for c in range(n + 1):
        for k in range(1, n + 1):
            exact = 1 - comb(n - c, k) / comb(n, k)
            assert pass_at_k(n, c, k) == pytest.approx(exact, abs=1e-12)


def test_equals_the_mean_over_all_k_subsets():
    """The estimator is the average, over every k-subset of the n samples, of "one verified"."""
    verified = (False, True, False, False, True, False)
    for k in range(1, 7):
        subsets = list(itertools.combinations(verified, k))
        assert pass_at_k(6, 2, k) == pytest.approx(sum(any(s) for s in subsets) / len(subsets))


def test_stable_for_large_n():
    # C(8192, 4096) overflows a float; the product form stays exact enough and in [0, 1].
    assert pass_at_k(8192, 1, 1) == pytest.approx(1 / 8192)
    assert pass_at_k(8192, 1, 4096) == pytest.approx(0.5)
    assert pass_at_k(8192, 0, 8192) == 0.0 and pass_at_k(8192, 8192, 1) == 1.0
    assert 0.0 <= pass_at_k(10000, 3, 7000) <= 1.0


def test_bad_arguments():
    with pytest.raises(ValueError):
        pass_at_k(4, 5, 1)
    with pytest.raises(ValueError):
        pass_at_k(4, 1, 5)


def test_early_stop_uses_the_first_k_samples():
    o = Outcomes("a", "x", (False, False, True), early_stopped=True)  # stopped at its first success
    assert [o.estimate(k) for k in (1, 2, 3, 4, 32)] == [0, 0, 1, 1, 1]
    unsolved_short = Outcomes("b", "x", (False,), early_stopped=True)  # wall time after one sample
    assert unsolved_short.estimate(4) == 0.0


def test_table_from_known_outcomes():
    outcomes = [
        Outcomes("a", "algebra", (True, False, True, False)),  # n=4, c=2
        Outcomes("b", "algebra", (False, False, False, False)),  # c=0
        Outcomes("c", "nt", (False, False, False, True)),  # c=1
    ]
    t = table(outcomes, [1, 2, 4], total=4, categories={"algebra": 2, "nt": 1, "amc": 1})
    a1, a2, a4 = 0.5, 1 - comb(2, 2) / comb(4, 2), 1.0
    c1, c2, c4 = 0.25, 0.5, 1.0
    assert t["overall"] == pytest.approx({"1": (a1 + c1) / 4, "2": (a2 + c2) / 4, "4": (a4 + c4) / 4})
    assert t["categories"]["algebra"] == pytest.approx({"1": a1 / 2, "2": a2 / 2, "4": a4 / 2})
    assert t["categories"]["nt"] == pytest.approx({"1": c1, "2": c2, "4": c4})
    assert t["categories"]["amc"] == {"1": 0.0, "2": 0.0, "4": 0.0}  # selected, no samples: counts 0
    assert default_ks(32) == [1, 2, 4, 8, 16, 32] and default_ks(6) == [1, 2, 4, 6]


def test_report_shows_pass_at_k_from_result_lines(tmp_path):
    """summary.json/md of a whole-proof run carry the pass@k table and the plot is written."""
    from benchmarks.report import write_report
    from benchmarks.results import Budget, RunConfig, RunDir, TheoremResult
    from prover.factory import GeneratorOptions

    def samples(name, statuses):
        return tuple({"theorem": name, "index": i, "output": "", "proof": "", "status": s} for i, s in enumerate(statuses))

    config = RunConfig("minif2f-coq", "c0", "coq", "valid", ("a", "b"), GeneratorOptions("coq"), Budget(4, 2, 1), mode="whole-proof",
                       whole_proof={"num_samples": 4, "batch": 2, "all_samples": True})
    run = RunDir(tmp_path / "run")
    run.create(config)
    results = [
        TheoremResult("a", "valid", "algebra", True, ("auto.",), "proved",
                      samples=samples("a", ["failed", "verified", "rejected", "verified"])),
        TheoremResult("b", "valid", "nt", False, stop_reason="samples", samples=samples("b", ["failed"] * 4)),
    ]
    summary = write_report(run, results, {"python": "3"})
    p = summary["pass_at_k"]
    assert p["overall"]["1"] == pytest.approx(0.25) and p["overall"]["4"] == pytest.approx(0.5)
    assert p["overall"]["2"] == pytest.approx((1 - comb(2, 2) / comb(4, 2)) / 2)
    assert p["statuses"] == {"failed": 5, "rejected": 1, "verified": 2}
    assert "| **all** | 25.0% | 41.7% | 50.0% |" in (tmp_path / "run" / "summary.md").read_text()
    assert (tmp_path / "run" / "pass_at_k.png").stat().st_size > 0
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["pass_at_k"]["ks"] == [1, 2, 3, 4]
