"""The verification throughput script on real Coq: warm, coqc and pipeline interleaved over the
same proof attempts, verdicts compared proof by proof."""

from __future__ import annotations

import json

import pytest

pytestmark = [pytest.mark.coq, pytest.mark.slow]


def test_verify_throughput_small(shared_data, tmp_path, capsys):
    from benchmarks.perf.verify_throughput import main

    out = tmp_path / "v.json"
    assert main(["--data", str(shared_data / "minif2f/coq"), "--problems", "4", "--per-problem", "2", "--rounds", "2",
                 "--out", str(out)]) == 0
    r = json.loads(out.read_text())
    assert r["proofs"] == 8 and r["theorems"] == 4
    assert 1 <= r["correct_by_coqc"] < 8  # a mix of correct and incorrect attempts
    assert r["verdicts_agree"] == 8 and r["coqc_pass_warm_fail"] == 0
    inter = r["interleaved"]
    assert [t["mode"] for t in inter["timings"]] == ["warm", "coqc", "pipeline"] * 2
    assert all(t["units"] == 8 for t in inter["timings"])
    assert r["warm_over_coqc"] > 2  # the warm process is the cheap first stage (about 25x here)
    assert "proofs per CPU second" in capsys.readouterr().out
