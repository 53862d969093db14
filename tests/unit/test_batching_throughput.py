"""The throughput script runs end to end on a tiny random model and reports consistent figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from benchmarks.perf.generation_throughput import main


def test_throughput_script_on_a_tiny_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "figures.json"
    assert (
        main(
            [
                "--shape",
                "tiny",
                "--searches",
                "8",
                "--states-per-search",
                "2",
                "--sequential-requests",
                "2",
                "--k",
                "2",
                "--max-new-tokens",
                "4",
                "--max-batch-size",
                "8",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    result = json.loads(out.read_text())
    figures = {f["mode"]: f for f in result["figures"]}
    assert set(figures) == {"sequential", "batched", "raw"}
    assert figures["batched"]["requests"] == figures["raw"]["requests"] == 16
    for f in figures.values():
        assert f["completions"] == 2 * f["requests"]  # k completions per request
        assert 0 < f["tokens"] <= 4 * f["completions"] and f["tokens_per_s"] > 0
        assert 0 < f["candidates"] <= f["completions"]
    assert result["mean_batch_size"] > 1  # concurrent searches really shared engine calls
    assert "batched/sequential" in capsys.readouterr().out
