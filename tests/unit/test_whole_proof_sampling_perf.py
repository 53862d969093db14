"""The whole-proof sampling throughput script: interleaved modes, equal token counts, figures."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from benchmarks.perf.whole_proof_sampling import main


def test_whole_proof_sampling_script_on_a_tiny_model(tmp_path, capsys):
    out = tmp_path / "f.json"
    assert main(["--theorems", "3", "--batch", "2", "--max-new-tokens", "4", "--rounds", "2", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    inter = result["interleaved"]
    assert [t["mode"] for t in inter["timings"]] == ["per-sample", "per-theorem", "batched"] * 2
    assert result["expected_tokens_per_round"] == 3 * 2 * 4
    assert all(t["units"] == 24 for t in inter["timings"]) and result["rounds_with_other_token_counts"] == 0
    assert result["format"] == "coq-whole"
    assert "per-theorem/per-sample" in capsys.readouterr().out
