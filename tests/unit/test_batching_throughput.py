"""The throughput script runs end to end on a tiny random model: the modes are interleaved over
rounds, all serve the same requests and generate the same number of tokens."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from benchmarks.perf.generation_throughput import main


def test_throughput_script_on_a_tiny_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "figures.json"
    argv = ["--shape", "tiny", "--searches", "8", "--states-per-search", "2", "--k", "2", "--max-new-tokens", "4",
            "--max-batch-size", "8", "--rounds", "2", "--out", str(out)]
    assert main(argv) == 0
    result = json.loads(out.read_text())
    inter = result["interleaved"]
    assert set(inter["modes"]) == {"sequential", "batched", "raw"}
    assert [t["mode"] for t in inter["timings"]] == ["sequential", "batched", "raw"] * 2  # a, b, c, a, b, c
    expected = 16 * 2 * 4  # requests x k x max-new-tokens: EOS is off, so exactly this many
    assert result["expected_tokens_per_round"] == expected
    assert all(t["units"] == expected for t in inter["timings"]) and inter["unequal_work"] == []
    assert result["rounds_with_other_token_counts"] == 0
    for m in inter["modes"].values():
        assert m["rounds"] == 2 and m["min_rate"] <= m["median_rate"] <= m["max_rate"] and m["spread"] >= 0
    assert result["mean_batch_size"] > 1  # concurrent searches really shared engine calls
    text = capsys.readouterr().out
    assert "batched/sequential" in text and "medians over 2 interleaved rounds" in text
    assert ("NOT trustworthy" in text) == (not result["trustworthy"])
