"""`prover eval --address` against a real two-node Ray cluster started on this machine.

`ray start --head` plus a second node process, each with one CPU of its own, so that the two proof
workers must land on different nodes. Ray (2.59+) authenticates cluster traffic with a token: both
nodes and the driver get the same one through the environment. The cluster is stopped by killing
exactly the processes it started (its own temp dir names them), never with `ray stop`, which would
end every Ray instance on the machine.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from benchmarks.results import read_results

pytestmark = [pytest.mark.coq, pytest.mark.slow, pytest.mark.ray]

NAMES = ("mathd_numbertheory_239", "mathd_algebra_296", "mathd_algebra_190", "mathd_algebra_109")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(marker: str, starters: list[subprocess.Popen]) -> None:
    for proc in starters:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    mine = [p for p in psutil.process_iter(["cmdline"]) if marker in " ".join(p.info["cmdline"] or ())]
    for proc in mine:
        try:
            proc.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(mine, timeout=10)


@pytest.fixture
def cluster(tmp_path):
    pytest.importorskip("ray")
    port = _free_port()
    temp = tmp_path / "ray"  # every process of this cluster names it (or its session) on its command line
    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(16),
           "RAY_USAGE_STATS_ENABLED": "0"}
    common = ["--num-cpus", "1", "--block", "--disable-usage-stats"]
    starters = [subprocess.Popen(["ray", "start", "--head", f"--port={port}", f"--temp-dir={temp}",
                                  "--include-dashboard=false", *common], env=env, start_new_session=True,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        address = f"127.0.0.1:{port}"
        probe = "import ray, sys; ray.init(address=sys.argv[1]); print(len([n for n in ray.nodes() if n['Alive']]))"
        deadline = time.monotonic() + 120
        node_started = False
        while time.monotonic() < deadline:
            out = subprocess.run([sys.executable, "-c", probe, address], env=env, capture_output=True, text=True)
            alive = int(out.stdout.strip() or 0) if out.returncode == 0 else 0
            if alive >= 1 and not node_started:
                starters.append(subprocess.Popen(["ray", "start", f"--address={address}", *common], env=env,
                                                 start_new_session=True, stdout=subprocess.DEVNULL,
                                                 stderr=subprocess.DEVNULL))
                node_started = True
            if alive >= 2:
                break
            time.sleep(2)
        else:
            pytest.fail("the two-node Ray cluster did not come up within 120 s")
        yield address, env
    finally:
        _stop(str(temp), starters)
        _stop("ray start --address=127.0.0.1:%d" % port, [])


def test_eval_through_address_runs_theorems_on_both_nodes(cluster, shared_data: Path, tmp_path):
    address, env = cluster
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "prover_cli.main", "eval", "--data", str(shared_data / "minif2f/coq"),
           "--split", "all", "--name", ",".join(NAMES), "--max-expansions", "2", "--num-samples", "32",
           "--tactic-timeout", "2", "--wall-time", "30", "--no-progress", "--workers", "2",
           "--address", address, "--out", str(out)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = read_results(out / "results.jsonl")
    assert sorted(r.name for r in results) == sorted(NAMES)
    assert {r.name for r in results if r.proved} >= {"mathd_numbertheory_239", "mathd_algebra_296"}
    # Which node ran each proof worker: asked of the cluster itself (its actor table keeps the dead).
    query = ("import json, ray, sys; ray.init(address=sys.argv[1]);"
             "from ray.util.state import list_actors;"
             "print(json.dumps([a.node_id for a in list_actors(filters=[('class_name', '=', 'ProofWorker')],"
             " detail=True, limit=100)]))")
    nodes = subprocess.run([sys.executable, "-c", query, address], env=env, capture_output=True, text=True,
                           timeout=120)
    assert nodes.returncode == 0, nodes.stderr[-2000:]
    assert len(set(json.loads(nodes.stdout.strip().splitlines()[-1]))) == 2
