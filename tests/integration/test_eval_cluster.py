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
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
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
def cluster():
    pytest.importorskip("ray")
    port = _free_port()
    # Every process of this cluster names this folder (or its session) on its command line. Short:
    # Ray puts its sockets under it, and a socket path may not exceed 107 bytes.
    temp = Path(tempfile.mkdtemp(prefix="rc-", dir="/tmp"))
    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(16),
           "RAY_USAGE_STATS_ENABLED": "0"}
    # Both nodes on loopback only, one CPU each.
    common = ["--num-cpus", "1", "--block", "--disable-usage-stats", "--node-ip-address=127.0.0.1"]
    starters = [subprocess.Popen(["ray", "start", "--head", f"--port={port}", f"--temp-dir={temp}",
                                  "--include-dashboard=false", *common], env=env, start_new_session=True,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        address = f"127.0.0.1:{port}"
        probe = "import ray, sys; ray.init(address=sys.argv[1]); print(len([n for n in ray.nodes() if n['Alive']]))"
        deadline = time.monotonic() + 180
        node_started = False
        while time.monotonic() < deadline:
            try:
                out = subprocess.run([sys.executable, "-c", probe, address], env=env, capture_output=True,
                                     text=True, timeout=60)
                alive = int(out.stdout.strip().splitlines()[-1]) if out.returncode == 0 and out.stdout.strip() else 0
            except subprocess.TimeoutExpired:
                alive = 0
            if alive >= 1 and not node_started:
                starters.append(subprocess.Popen(["ray", "start", f"--address={address}", *common], env=env,
                                                 start_new_session=True, stdout=subprocess.DEVNULL,
                                                 stderr=subprocess.DEVNULL))
                node_started = True
            if alive >= 2:
                break
            time.sleep(2)
        else:
            pytest.fail("the two-node Ray cluster did not come up within 180 s")
        yield address, env
    finally:
        _stop(str(temp), starters)
        _stop(f"127.0.0.1:{port}", [])  # the second node's processes name the head's address
        shutil.rmtree(temp, ignore_errors=True)


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
             "from ray._private import state;"  # the GCS's actor table (no dashboard needed)
             "print(json.dumps([a['Address']['NodeID'] for a in state.actors().values()"
             " if a.get('ActorClassName', '').endswith('TheoremProver')]))")
    nodes = subprocess.run([sys.executable, "-c", query, address], env=env, capture_output=True, text=True,
                           timeout=120)
    assert nodes.returncode == 0, nodes.stderr[-2000:]
    assert len(set(json.loads(nodes.stdout.strip().splitlines()[-1]))) == 2
