"""`prover eval --generator-workers 1 --model tiny --engine tiny` under Ray (2 CPUs): both proof
workers send their model requests to one shared, batched model actor (prover.model_server.ModelServer),
keeping prompts, screening and the portfolio in the proof worker."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.results import read_results
from prover.portfolio import PORTFOLIOS

pytest.importorskip("ray")
pytest.importorskip("torch")

pytestmark = [pytest.mark.coq, pytest.mark.slow, pytest.mark.ray]

SAMPLES = len(PORTFOLIOS["coq"]) + 4  # room for the model after the portfolio's tactics
NAMES = ("mathd_algebra_109", "mathd_algebra_132", "imo_1959_p1")  # not proved by the portfolio at this budget


def test_proof_workers_share_one_batched_model_actor(shared_data: Path, tmp_path: Path):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "prover_cli.main", "eval", "--data", str(shared_data / "minif2f/coq"), "--split", "all",
           "--name", ",".join(NAMES), "--max-expansions", "2", "--num-samples", str(SAMPLES), "--max-new-tokens", "8",
           "--tactic-timeout", "2", "--wall-time", "60", "--no-progress", "--out", str(out),
           "--workers", "2", "--num-cpus", "2", "--generator-workers", "1", "--model", "tiny", "--engine", "tiny",
           "--combine", "chain"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = read_results(out / "results.jsonl")
    assert sorted(r.name for r in results) == sorted(NAMES)
    assert all(r.error is None and r.expansions >= 1 for r in results), results
    assert len({r.worker for r in results}) == 2  # both proof workers searched
    session = json.loads((out / "sessions.jsonl").read_text().splitlines()[-1])
    (stats,) = session["model_workers"]  # one shared actor
    # The portfolio leaves room for the model at every expansion (SAMPLES), so each
    # expansion of either worker is one request to the shared actor's batcher.
    assert stats["requests"] == sum(r.expansions for r in results)
    assert stats["requests"] > max(sum(r.expansions for r in results if r.worker == w) for w in {r.worker for r in results})
    assert 1 <= stats["batches"] <= stats["requests"] and stats["engine_seconds"] > 0


def test_make_generator_uses_an_injected_engine_after_the_portfolio():
    from prover.combined import ChainedGenerator, StagedSearch
    from prover.factory import GeneratorOptions, make_generator
    from prover.model_spec import ModelSpec

    class Engine:
        def generate_batch(self, requests):
            raise AssertionError("not called here")

    engine = Engine()
    spec = ModelSpec("tiny", engine="tiny")
    gen = make_generator(GeneratorOptions("coq", model=spec, combine="chain"), engine=engine)
    assert isinstance(gen, ChainedGenerator) and gen.second.engine is engine  # no model loaded, no second batcher
    staged = make_generator(GeneratorOptions("coq", model=spec), engine=engine)  # the default: staged
    assert isinstance(staged, StagedSearch) and staged.stages[0][0].name == "portfolio"
    assert staged.chain.second.engine is engine
    with pytest.raises(ValueError, match="no model"):
        make_generator(GeneratorOptions("coq"), engine=engine)
