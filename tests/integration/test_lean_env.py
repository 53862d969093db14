"""LeanEnv over a toy REPL process: results, header reuse, faults with restart and replay."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

from lean_env.base import (
    Advanced,
    BadTheorem,
    FailureKind,
    ProofEnv,
    Proved,
    TacticFailure,
    Theorem,
)
from lean_env.lean_repl.config import LeanConfig
from lean_env.lean_repl.env import LeanEnv

TOY = Path(__file__).resolve().parents[1] / "fakes" / "toy_repl.py"
HEADER = "import Mathlib\nset_option maxHeartbeats 400000\nopen BigOperators Real Nat Topology Rat\n"
THM = Theorem("toy_thm", HEADER, "theorem toy_thm (a b : ℕ) (h₀ : a = b) : b = a := by\n", "lean")


def requests(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def make_env(**overrides) -> LeanEnv:
    config = LeanConfig(repl_command=(sys.executable, str(TOY)), tactic_timeout=5.0, **overrides)
    return LeanEnv(config)


def advance(env: LeanEnv, state, tactic: str):
    result = env.run_tactic(state, tactic)
    assert isinstance(result, Advanced), result
    return result.state


def test_open_step_prove_and_typed_goals(toy_repl_log: Path) -> None:
    with make_env() as env:
        assert isinstance(env, ProofEnv)
        root = env.open(THM)
        assert root.path == () and root.pretty == "a b : ℕ\nh₀ : a = b\n⊢ b = a"
        assert root.goals[0].hypotheses[0].names == ("a", "b")
        split = advance(env, root, "split")
        assert split.path == ("split",) and len(split.goals) == 2
        assert split.pretty.startswith("case left") and "\n\ncase right" in split.pretty
        one = advance(env, split, "rfl")
        assert env.run_tactic(one, "simp") == Proved(("split", "rfl", "simp"))
        multi = env.run_tactic(root, "(intro x\nintro y)")  # one JSON string, newline kept
        assert isinstance(multi, Advanced) and "x : Nat\ny : Nat" in multi.state.pretty
    sent = requests(toy_repl_log)
    assert sent[0] == {"pid": sent[0]["pid"], "cmd": HEADER}  # header first, alone
    assert sent[1]["cmd"].endswith(":= by sorry") and sent[1]["env"] == 0
    assert sent[-1]["tactic"] == "(intro x\nintro y)"


@pytest.mark.parametrize(
    "tactic, kind",
    [
        ("bad", FailureKind.ERROR),  # {"message": "Lean error: ..."}
        ("err", FailureKind.ERROR),  # goals [] but an error message: NOT proved
        ("mvar", FailureKind.ERROR),
        ("kernel", FailureKind.ERROR),
        ("gaveup", FailureKind.GAVE_UP),
        ("leave_sorry", FailureKind.GAVE_UP),
        ("skip", FailureKind.NO_PROGRESS),
        ("sorry", FailureKind.REJECTED),
        ("#eval 1", FailureKind.REJECTED),
    ],
)
def test_failures_are_values(toy_repl_log: Path, tactic: str, kind: FailureKind) -> None:
    with make_env() as env:
        result = env.run_tactic(env.open(THM), tactic)
        assert isinstance(result, TacticFailure) and result.kind is kind, result
        assert env.stats().restarts == 0
    if kind is FailureKind.REJECTED:
        assert not any("tactic" in r for r in requests(toy_repl_log))  # never sent


def test_header_runs_once_per_process_and_pool_is_bounded(toy_repl_log: Path) -> None:
    other = Theorem("other", "import Mathlib\n", "theorem other (x : ℕ) : x = x := by", "lean")
    third = Theorem("third", "import Aesop\n", "theorem third (x : ℕ) : x = x := by", "lean")
    with make_env(pool_size=2) as env:
        env.open(THM)
        env.open(Theorem("toy2", HEADER, "theorem toy2 (c : ℕ) : c = c := by", "lean"))
        env.open(other)
        by_pid: dict[int, list[str]] = {}  # the live processes and their warm spares
        for r in requests(toy_repl_log):
            if "env" not in r:
                by_pid.setdefault(r["pid"], []).append(r["cmd"])
        assert all(len(sent) == 1 for sent in by_pid.values())  # one import per process
        assert {c for sent in by_pid.values() for c in sent} == {HEADER, "import Mathlib\n"}
        state = env.open(third)  # evicts the least recently used process (THM's header)
        assert env.stats().extra["evictions"] == 1 and env.stats().extra["live_processes"] == 2
        assert isinstance(env.run_tactic(state, "intro z"), Advanced)
        root = env.open(THM)  # comes back on a fresh process
        assert isinstance(env.run_tactic(root, "intro z"), Advanced)


@pytest.mark.parametrize("fault", ["crash", "garbage", "half", "uncaught", "flood"])
def test_faults_restart_replay_and_blame_the_tactic(toy_repl_log: Path, fault: str) -> None:
    with make_env(max_response_bytes=1 << 20) as env:
        root = env.open(THM)
        deep = advance(env, advance(env, root, "intro x"), "split")
        start = time.monotonic()
        result = env.run_tactic(deep, fault)
        assert isinstance(result, TacticFailure) and result.kind is FailureKind.CRASHED, result
        assert time.monotonic() - start < 5
        after = env.run_tactic(deep, "rfl")
        assert isinstance(after, Advanced) and after.state.pretty.startswith("case right")
        stats = env.stats()
        assert stats.restarts >= 2 and stats.replayed_tactics >= 4  # 2 tactics, twice
    sent = requests(toy_repl_log)
    pids = {r["pid"] for r in sent}
    assert len(pids) >= 3  # the first process, the retry, then a fresh one for the node
    last_pid = [r for r in sent if "tactic" in r][-1]["pid"]
    replay = [r.get("tactic") or r["cmd"] for r in sent if r["pid"] == last_pid]
    assert replay[:2] == [HEADER, THM.statement.rstrip() + " sorry"]
    assert replay[2:4] == ["intro x", "split"]


def test_a_fault_once_is_retried_transparently(toy_repl_log: Path) -> None:
    with make_env() as env:
        state = advance(env, env.open(THM), "intro x")
        result = env.run_tactic(state, "once_crash")
        assert isinstance(result, Advanced) and "once : Nat" in result.state.pretty
        assert env.stats().restarts == 1 and env.stats().replayed_tactics == 1


def test_timeout_kills_restarts_and_rebuilds_the_node(toy_repl_log: Path) -> None:
    with make_env() as env:
        state = advance(env, env.open(THM), "intro x")
        start = time.monotonic()
        result = env.run_tactic(state, "hang", timeout=0.5)
        assert isinstance(result, TacticFailure) and result.kind is FailureKind.TIMEOUT
        assert time.monotonic() - start < 3
        assert env.stats().extra["timeouts"] == 1
        sent_before = len(requests(toy_repl_log))
        again = env.run_tactic(state, "intro y")  # the node was rebuilt eagerly: one request
        assert isinstance(again, Advanced) and len(requests(toy_repl_log)) == sent_before + 1
        ok = env.run_tactic(state, "slow 0.05", timeout=2)
        assert isinstance(ok, Advanced)


def test_memory_cap_applies_to_the_process(toy_repl_log: Path) -> None:
    with make_env(memory_limit_bytes=512 << 20) as env:
        state = env.open(THM)
        result = env.run_tactic(state, "alloc 2048")  # MemoryError kills the toy REPL
        assert isinstance(result, TacticFailure) and result.kind is FailureKind.CRASHED
        assert "MemoryError" in result.message
        assert isinstance(env.run_tactic(state, "intro x"), Advanced)


def test_recycling_after_n_proof_states(toy_repl_log: Path) -> None:
    with make_env(recycle_after=4) as env:
        state = env.open(THM)
        for name in "abcdef":
            state = advance(env, state, f"intro {name}")
        assert env.stats().extra["recycles"] >= 1 and env.stats().restarts == 0
        assert state.pretty.count(": Nat") == 6
    assert len({r["pid"] for r in requests(toy_repl_log)}) >= 2


def test_bad_inputs(toy_repl_log: Path) -> None:
    with make_env() as env:
        with pytest.raises(BadTheorem):
            env.open(Theorem("t", "import BAD_HEADER", "theorem t : 1 = 1 := by", "lean"))
        with pytest.raises(BadTheorem):
            env.open(Theorem("t", HEADER, "theorem t BAD_THEOREM : 1 = 1 := by", "lean"))
        with pytest.raises(BadTheorem):
            env.open(Theorem("t", HEADER, "theorem t : 1 = 1", "lean"))
        with pytest.raises(BadTheorem):
            env.open(Theorem("t", HEADER, "Theorem t : 1 = 1.", "coq"))
        assert env.stats().restarts == 0


def test_missing_binary_is_a_setup_error() -> None:
    from lean_env.base import SetupError

    with LeanEnv(LeanConfig(repl_command=("/nonexistent/lake", "env", "repl"))) as env:
        with pytest.raises(SetupError, match="prover setup lean"):
            env.open(THM)


def test_close_is_idempotent_and_kills_processes(toy_repl_log: Path) -> None:
    import psutil

    env = make_env()
    env.open(THM)
    deadline = time.monotonic() + 10
    while len({r["pid"] for r in requests(toy_repl_log)}) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)  # until the warm spare has started and logged its header
    # Every process the env started (sandbox wrappers and the REPLs inside), as this process sees them.
    procs = [p for p in psutil.Process().children(recursive=True) if "toy_repl" in " ".join(p.cmdline())]
    assert len({r["pid"] for r in requests(toy_repl_log)}) == 2 and len(procs) >= 2
    env.close()
    env.close()
    _, alive = psutil.wait_procs(procs, timeout=5)
    assert not alive


@pytest.mark.parametrize("spare", [True, False])
def test_a_timeout_costs_a_swap_to_the_warm_spare_not_an_import(
    toy_repl_log: Path, monkeypatch: pytest.MonkeyPatch, spare: bool
) -> None:
    monkeypatch.setenv("FAKE_REPL_HEADER_DELAY", "1.0")
    with make_env(warm_spare=spare) as env:
        state = advance(env, env.open(THM), "intro x")
        time.sleep(1.2)  # the spare has imported the header meanwhile
        start = time.monotonic()
        result = env.run_tactic(state, "hang", timeout=0.2)  # kill, then rebuild the node
        lost = time.monotonic() - start - 0.2
        assert isinstance(result, TacticFailure) and result.kind is FailureKind.TIMEOUT
        assert isinstance(env.run_tactic(state, "intro y"), Advanced)
        if spare:
            assert lost < 0.8 and env.stats().extra["swaps"] == 1
        else:
            assert lost >= 1.0 and env.stats().extra["swaps"] == 0
