"""`prover eval`: a proof assistant that cannot start fails before the first theorem, and
`--resume RUN_DIR` needs no other option (options given again must match, by name)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _prover(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    environ = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "prover_cli.main", *args], capture_output=True, text=True,
                          timeout=180, check=False, cwd=cwd or ROOT, env=environ)


def test_lean_eval_without_lean_fails_before_the_first_theorem(shared_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = _prover("eval", "--backend", "lean", "--data", str(shared_data / "minif2f/lean4"), "--limit", "2",
                   "--workers", "0", "--out", str(out), "--no-progress", env={"PATH": "/nonexistent"})
    assert proc.returncode == 3, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot start the Lean REPL" in lines[0], proc.stderr
    assert "Pass rate" not in proc.stdout + proc.stderr and "proved" not in proc.stdout
    assert not (out / "summary.md").exists() and not (out / "results.jsonl").exists()


@pytest.mark.coq
def test_resume_reads_every_option_from_the_run_directory(shared_data: Path, tmp_path: Path) -> None:
    if shutil.which("coqtop") is None:
        pytest.skip("coqtop not installed")
    data = tmp_path / "coq"
    shutil.copytree(shared_data / "minif2f/coq", data)
    out = tmp_path / "run"
    first = _prover("eval", "--data", str(data), "--split", "all", "--name", "mathd_algebra_296",
                    "--max-expansions", "3", "--tactic-timeout", "2", "--wall-time", "60", "--workers", "0",
                    "--no-progress", "--out", str(out))
    assert first.returncode == 0, first.stderr[-2000:]
    # From another directory, with nothing but the run directory.
    again = _prover("eval", "--resume", str(out), "--workers", "0", "--no-progress", cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "1/1 proved" in again.stdout
    same = _prover("eval", "--resume", str(out), "--max-expansions", "3", "--split", "all", "--workers", "0",
                   "--no-progress")
    assert same.returncode == 0, same.stderr[-2000:]
    other = _prover("eval", "--resume", str(out), "--max-expansions", "4", "--policy", "breadth_first",
                    "--no-progress")
    assert other.returncode == 2 and len(other.stderr.strip().splitlines()) == 1
    assert "--max-expansions, --policy" in other.stderr, other.stderr
    selection = _prover("eval", "--resume", str(out), "--name", "mathd_algebra_190", "--workers", "0",
                        "--no-progress")
    assert selection.returncode == 2 and "names" in selection.stderr, selection.stderr
    moved = tmp_path / "moved"
    data.rename(moved)
    lost = _prover("eval", "--resume", str(out), "--workers", "0", "--no-progress")
    assert lost.returncode == 2 and "no such dataset folder" in lost.stderr, lost.stderr
    found = _prover("eval", "--resume", str(out), "--data", str(moved), "--workers", "0", "--no-progress")
    assert found.returncode == 0, found.stderr[-2000:]
    # Data that moved may also have changed: results proved against other statements are not kept.
    for file in (moved / "minif2f_coq.jsonl", moved / "test" / "mathd_algebra_296.v"):
        file.write_text(file.read_text().replace("= 3600", "= 3601"))
    changed = _prover("eval", "--resume", str(out), "--data", str(moved), "--workers", "0", "--no-progress")
    assert changed.returncode == 2 and "statements" in changed.stderr, changed.stderr
