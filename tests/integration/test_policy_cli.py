"""`prover trace`, `prover index`, `prover prove --generator knn` from the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.policy_fixtures import REV_LEN_DEV, REV_LEN_TARGET_STATEMENT

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.coq

DEV = REV_LEN_DEV
TARGET = f"Require Import List.\n{REV_LEN_TARGET_STATEMENT}\nProof.\n"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "prover_cli.main", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=300)


def test_trace_index_and_prove_with_knn(tmp_path: Path) -> None:
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev" / "Dev.v").write_text(DEV)
    traced = run("trace", str(tmp_path / "dev"), "--out", str(tmp_path / "trace"), "--no-progress")
    assert traced.returncode == 0, traced.stderr
    assert json.loads(traced.stdout)["steps"] == 3
    indexed = run("index", str(tmp_path / "trace"), "--out", str(tmp_path / "idx"))
    assert indexed.returncode == 0, indexed.stderr
    (tmp_path / "t.v").write_text(TARGET)
    proved = run("prove", str(tmp_path / "t.v"), "--generator", "knn", "--index", str(tmp_path / "idx"),
                 "--no-portfolio", "--max-expansions", "10", "--json")
    assert proved.returncode == 0, proved.stdout + proved.stderr
    result = json.loads(proved.stdout)
    # the traced steps, the rewrite with a closer appended (a composed candidate) ending it at once
    assert result["proof"] == ["intros l.", "rewrite rev_length; first [lia | lra | nia | auto with arith]."]
    assert "From Coq Require Import Lia Lra Psatz." in result["script"]  # verified with the extra imports
    for combine in ("staged", "chain"):  # the portfolio's search, then the chain's; or the chain alone
        both = run("prove", str(tmp_path / "t.v"), "--generator", "knn", "--index", str(tmp_path / "idx"),
                   "--combine", combine, "--max-expansions", "10", "--json")
        assert both.returncode == 0, both.stdout + both.stderr
        assert json.loads(both.stdout)["stats"]["expansions"] <= 10


@pytest.mark.parametrize(
    "args, message",
    [
        (("trace", "/nonexistent", "--out", "/tmp/x"), "no such file or directory"),
        (("index", "/nonexistent", "--out", "/tmp/x"), "no trace here"),
        (("trace", "tests", "--load-path", "/nonexistent=Lib", "--out", "/tmp/x"), "no such directory"),
        (("trace", "tests", "--load-path", "tests", "--out", "/tmp/x"), "expected DIR=NAME"),
        (("prove", "-s", "1 = 1", "--combine", "magic"), "--combine must be one of staged, chain, interleave"),
        (("prove", "-s", "1 = 1", "--generator", "knn"), "needs --index"),
        (("prove", "-s", "1 = 1", "--generator", "magic"), "portfolio or knn"),
        (("prove", "-s", "1 = 1", "--generator", "knn", "--index", "/tmp"), "not a knn index"),
        (("prove", "-s", "1 = 1", "--extra-imports", "Axiom cheat : False."), "may only load libraries"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: tuple[str, ...], message: str) -> None:
    result = run(*args)
    assert result.returncode == 2 and message in result.stderr and len(result.stderr.strip().splitlines()) == 1
