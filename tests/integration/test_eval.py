"""`prover eval` on real Coq miniF2F-rocq problems: in-process, under Ray with 2 CPUs, after a
kill -9 of the driver (then --resume), and with a worker killed mid-theorem."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks.results import read_results

pytestmark = [pytest.mark.coq, pytest.mark.slow]

SOLVED = {"mathd_numbertheory_239": ("auto.",), "mathd_algebra_296": ("auto.",), "mathd_algebra_190": ("reflexivity.",)}
UNSOLVED = ("mathd_algebra_109", "mathd_algebra_132", "mathd_algebra_149", "imo_1959_p1")
NOT_ELABORATED = ("amc12a_2021_p18", "amc12a_2020_p15")  # `From Stdlib`, and a Coquelicot type error
SUBSET = (*SOLVED, *UNSOLVED, *NOT_ELABORATED)
BUDGET = ["--max-expansions", "3", "--num-samples", "32", "--tactic-timeout", "2", "--wall-time", "60"]


def _cmd(shared_data: Path, *args: str, names=SUBSET, budget=BUDGET) -> list[str]:
    # Without the default extra imports (Lia Lra Psatz), so that the portfolio's proofs and
    # failures on these problems stay the ones the harness checks were written against.
    return [sys.executable, "-m", "prover_cli.main", "eval", "--data", str(shared_data / "minif2f/coq"), "--split", "all",
            "--name", ",".join(names), *budget, "--no-progress", "--extra-imports", "none", *args]


def _run(cmd: list[str], timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


def _check_subset(results) -> None:
    by = {r.name: r for r in results}
    assert sorted(by) == sorted(SUBSET) and len(results) == len(SUBSET)
    for name, proof in SOLVED.items():
        assert by[name].proved and by[name].proof == proof and by[name].error is None, by[name]
    for name in UNSOLVED:
        assert not by[name].proved and by[name].error is None and by[name].expansions >= 1, by[name]
    for name in NOT_ELABORATED:
        assert not by[name].proved and by[name].error.startswith("statement does not elaborate"), by[name]


@pytest.fixture(scope="module")
def reference_run(shared_data: Path, tmp_path_factory) -> Path:
    """An uninterrupted in-process run (no Ray) of the subset."""
    out = tmp_path_factory.mktemp("ref") / "run"
    proc = _run(_cmd(shared_data, "--out", str(out), "--workers", "0"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    return out


def test_in_process_run_results_summary_trees_and_report(reference_run: Path, shared_data: Path):
    results = read_results(reference_run / "results.jsonl")
    _check_subset(results)
    summary = json.loads((reference_run / "summary.json").read_text())
    assert summary["overall"] == {"proved": 3, "total": 9, "done": 9, "pass_rate": pytest.approx(3 / 9, abs=1e-4)}
    assert sorted(summary["not_elaborated"]) == sorted(NOT_ELABORATED)
    assert summary["dataset"]["commit"] == "b60affae5d9b81eb097424e3143c40165ccbe97b"
    assert summary["versions"]["coq"].startswith("The Coq Proof Assistant, version 8.16")
    assert summary["budget"]["text"].startswith("1 attempt(s) x 32 samples x 3 expansions")
    assert 0 <= summary["time"]["outside_assistant_share"] < 0.5
    assert "Pass rate: 3/9" in (reference_run / "summary.md").read_text()
    for png in ("solved_vs_time.png", "solved_vs_expansions.png", "proof_lengths.png"):
        assert (reference_run / png).read_bytes()[:4] == b"\x89PNG"
    # trees: one per searched theorem, none for statements that do not elaborate
    assert sorted(p.stem for p in (reference_run / "trees").glob("*.json")) == sorted((*SOLVED, *UNSOLVED))
    proc = _run([sys.executable, "-m", "prover_cli.main", "tree", str(reference_run), "mathd_algebra_296"])
    assert proc.returncode == 0, proc.stderr
    svg = Path(proc.stdout.strip()).read_text()
    assert "#dc143c" in svg  # the proof edge, highlighted
    proc = _run([sys.executable, "-m", "prover_cli.main", "tree", str(reference_run), "amc12a_2021_p18"])
    assert proc.returncode == 2 and "does not elaborate" in proc.stderr
    proc = _run([sys.executable, "-m", "prover_cli.main", "report", str(reference_run)])
    assert proc.returncode == 0 and "Pass rate: 3/9" in proc.stdout


def test_resume_of_a_finished_run_does_nothing_and_another_budget_is_refused(reference_run: Path, shared_data: Path):
    before = (reference_run / "results.jsonl").read_text()
    proc = _run(_cmd(shared_data, "--resume", str(reference_run), "--workers", "0"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (reference_run / "results.jsonl").read_text() == before
    budget = ["--max-expansions", "4", *BUDGET[2:]]
    proc = _run(_cmd(shared_data, "--resume", str(reference_run), "--workers", "0", budget=budget))
    assert proc.returncode == 2 and "--max-expansions" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    proc = _run(_cmd(shared_data, "--out", str(reference_run), "--workers", "0"))
    assert proc.returncode == 2 and "--resume" in proc.stderr


@pytest.mark.ray
def test_kill_9_midway_then_resume_equals_an_uninterrupted_run(reference_run: Path, shared_data: Path, tmp_path: Path):
    pytest.importorskip("ray")
    out = tmp_path / "run"
    cmd = _cmd(shared_data, "--workers", "2", "--num-cpus", "2")
    proc = subprocess.Popen([*cmd, "--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    results = out / "results.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if results.exists() and len(results.read_text().splitlines()) >= 2:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    written = read_results(results)
    assert 2 <= len(written) < len(SUBSET)
    done = _run([*cmd, "--resume", str(out)])
    assert done.returncode == 0, done.stderr[-2000:]
    lines = results.read_text().splitlines()
    assert len(lines) == len(SUBSET) == len({json.loads(line)["name"] for line in lines})  # nothing twice
    _check_subset(read_results(results))
    resumed = {r.name: r for r in read_results(results)}
    reference = {r.name: r for r in read_results(reference_run / "results.jsonl")}
    assert sorted(resumed) == sorted(reference)
    for name, r in reference.items():
        assert resumed[name].same_outcome(r), (resumed[name], r)
    assert [w.to_line() for w in written] == [resumed[w.name].to_line() for w in written]  # nothing redone
    sessions = [json.loads(s) for s in (out / "sessions.jsonl").read_text().splitlines()]
    assert sessions[-1]["complete"] and sessions[-1]["theorems"] == len(SUBSET) - len(written)


@pytest.mark.ray
def test_a_worker_killed_mid_theorem_is_replaced_and_the_theorem_retried(shared_data: Path, tmp_path: Path):
    pytest.importorskip("ray")
    out = tmp_path / "run"
    slow = "imo_1959_p1"  # unprovable here: with this budget it searches until the wall time
    names = (slow, "mathd_numbertheory_239", "mathd_algebra_296", "amc12a_2021_p18")
    budget = ["--max-expansions", "1000", "--tactic-timeout", "2", "--wall-time", "6"]
    cmd = _cmd(shared_data, "--out", str(out), "--workers", "2", "--num-cpus", "2", "--generator-workers", "1",
               names=names, budget=budget)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    status = out / ".workers"
    victim = None
    deadline = time.monotonic() + 90
    while victim is None and time.monotonic() < deadline and proc.poll() is None:
        for note in status.glob("*") if status.exists() else []:
            try:
                if note.read_text() == slow:
                    victim = int(note.name)
            except OSError:
                continue
        time.sleep(0.05)
    assert victim is not None, "no worker was seen proving the slow theorem"
    time.sleep(1.0)  # mid-theorem
    os.kill(victim, signal.SIGKILL)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr[-2000:]
    results = {r.name: r for r in read_results(out / "results.jsonl")}
    assert sorted(results) == sorted(names)
    assert results[slow].retries == 1 and results[slow].error is None and results[slow].expansions > 0
    assert results[slow].worker != f"pid{victim}"
    assert results["mathd_numbertheory_239"].proved and results["mathd_algebra_296"].proved
    assert results["amc12a_2021_p18"].error.startswith("statement does not elaborate")
    assert json.loads((out / "summary.json").read_text())["retried"] == {slow: 1}


@pytest.mark.coq
def test_a_worker_keeps_its_env_when_the_tactic_timeout_changes() -> None:
    """The tactic timeout travels with each call: a new budget needs no new coqtop."""
    from benchmarks.datasets import Problem
    from benchmarks.evaluate import ProverSpec, TheoremProver
    from benchmarks.results import Budget
    from lean_env.base import Theorem
    from prover.factory import GeneratorOptions

    theorem = Theorem("t", "", "Theorem t : forall n : nat, n + 0 = n.", "coq")
    worker = TheoremProver(ProverSpec("coq", GeneratorOptions("coq")))
    try:
        first = worker.prove(Problem(theorem, "valid", "other"), Budget(expansions=5, samples=8, wall_time=60.0, tactic_timeout=5.0))
        env = worker._env
        second = worker.prove(Problem(theorem, "valid", "other"), Budget(expansions=5, samples=8, wall_time=60.0, tactic_timeout=2.0))
        assert first.proved and second.proved
        assert worker._env is env and env.stats().restarts == 0
    finally:
        worker.close()
