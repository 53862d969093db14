"""`prover prove --mode whole-proof`, `prover report RUN1 RUN2`, and one-line errors for bad
whole-proof options."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
STATEMENT = "Theorem t2 : forall n : nat, n = n + 0."


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "prover_cli.main", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=300)


@pytest.mark.coq
def test_prove_whole_proof_with_recorded_outputs(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("idtac. Axiom cheat : False.\nQed.\n")
    good = tmp_path / "good.txt"
    good.write_text("```coq\nTheorem t2 : forall n : nat, n = n + 0.\nProof.\n  induction n; simpl; auto.\nQed.\n```\n")
    out = run("prove", "--statement", STATEMENT, "--mode", "whole-proof", "--proofs", str(bad), "--proofs", str(good),
              "--num-samples", "4", "--json")
    assert out.returncode == 0, out.stderr
    payload = json.loads(out.stdout)
    assert payload["proved"] and payload["format"] == "coq-whole" and payload["proof"] == "induction n; simpl; auto."
    assert [s["status"] for s in payload["samples"]] == ["rejected", "verified"]
    text = run("prove", "--statement", STATEMENT, "--mode", "whole-proof", "--proofs", str(bad))
    assert text.returncode == 1 and "sample 0: rejected" in text.stdout and "Not proved t2 (exhausted" in text.stdout
    # a sentence over two lines is printed as the one sentence that was verified
    spread = tmp_path / "spread.txt"
    spread.write_text("```coq\nProof.\n  assert (H : 1 = 1\n    /\\ 2 = 2) by (split; reflexivity).\n  intros n; lia.\nQed.\n```\n")
    printed = run("prove", "--statement", STATEMENT, "--mode", "whole-proof", "--proofs", str(spread))
    assert printed.returncode == 0, printed.stdout + printed.stderr
    assert "  assert (H : 1 = 1 /\\ 2 = 2) by (split; reflexivity).\n  intros n; lia.\nQed." in printed.stdout, printed.stdout


@pytest.mark.parametrize("args, message", [
    (["--mode", "whole-proof"], "needs either --model or --proofs"),
    (["--mode", "whole-proof", "--proofs", "nowhere.txt"], "no such file"),
    (["--mode", "whole-proof", "--proofs", "README.md", "--prompt-format", "kimina-prover"], "is for lean, not coq"),
    (["--mode", "whole-proof", "--proofs", "README.md", "--proof-timeout", "nan"], "--proof-timeout must be"),
    (["--mode", "sideways"], "--mode must be formal or whole-proof"),
    (["--proofs", "README.md"], "--proofs needs --mode whole-proof"),
])
def test_prove_bad_whole_proof_options_are_one_line_errors(args, message):
    out = run("prove", "--statement", STATEMENT, *args)
    assert out.returncode == 2 and message in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr


@pytest.mark.parametrize("args, message", [
    (["--mode", "whole-proof"], "needs either --model or --proofs"),
    (["--mode", "whole-proof", "--proofs", "README.md", "--batch", "0"], "--batch"),
    (["--mode", "whole-proof", "--backend", "isabelle", "--proofs", "README.md"], "not available for backend"),
    (["--proofs", "README.md"], "--proofs needs --mode whole-proof"),
])
def test_eval_bad_whole_proof_options(tmp_path, args, message):
    out = run("eval", "--out", str(tmp_path / "r"), *args)
    assert out.returncode == 2 and message in out.stderr, out.stderr


def test_report_compares_two_runs(tmp_path):
    from benchmarks.results import Budget, ResultsWriter, RunConfig, RunDir, TheoremResult
    from prover.factory import GeneratorOptions

    names = ("a", "b", "c", "d")
    for run_name, mode, solved in (("step", "formal", {"a", "b"}), ("whole", "whole-proof", {"b", "c"})):
        config = RunConfig("minif2f-coq", "c0", "coq", "valid", names, GeneratorOptions("coq"), Budget(), mode=mode,
                           whole_proof={"num_samples": 8} if mode == "whole-proof" else None)
        run_dir = RunDir(tmp_path / run_name)
        run_dir.create(config)
        with ResultsWriter(run_dir.results_path) as w:
            for n in names:
                w.write(TheoremResult(n, "valid", "algebra" if n in "ab" else "nt", n in solved))
    out = run("report", str(tmp_path / "step"), str(tmp_path / "whole"))
    assert out.returncode == 0, out.stderr
    assert "| algebra | 1 | 1 | 0 | 0 |" in out.stdout and "| nt | 0 | 0 | 1 | 1 |" in out.stdout
    assert "| **all** | 1 | 1 | 1 | 1 |" in out.stdout
    assert "Solved only by A (1): a" in out.stdout and "Solved only by B (1): c" in out.stdout
    assert "whole-proof, N=8" in out.stdout
    three = run("report", str(tmp_path / "step"), str(tmp_path / "whole"), str(tmp_path / "step"))
    assert three.returncode == 2 and "two to compare" in three.stderr
