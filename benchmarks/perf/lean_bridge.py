"""Lean bridge overhead: µs of our own Python per request, and the cost of restart + replay.

Runs against the toy REPL of tests/fakes (a subprocess that answers at once), so what is
measured is the bridge, not Lean. Usage: python -m benchmarks.perf.lean_bridge [--requests N]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
import timeit
from pathlib import Path

from lean_env.base import Advanced, ProofState, Theorem
from lean_env.lean_repl.config import LeanConfig
from lean_env.lean_repl.env import LeanEnv
from lean_env.lean_repl.goals import parse_goals
from lean_env.lean_repl.protocol import ProofStepRequest, classify, decode, encode

TOY = Path(__file__).resolve().parents[2] / "tests" / "fakes" / "toy_repl.py"
HEADER = "import Mathlib\nopen BigOperators Real Nat Topology Rat\n"
THM = Theorem("bench", HEADER, "theorem bench (a b : ℕ) (h₀ : a = b) : b = a := by", "lean")
RESPONSE = (
    '{"proofStatus": "Incomplete: open goals remain",\n "proofState": 12,\n "goals":\n'
    ' ["case succ\\nx : ℕ\\nh₀ : 2 * (2 * x) = 48\\nhx : x + 1 > x\\n⊢ x + 1 + 1 > x + 1"]}'
)


def make_env() -> LeanEnv:
    return LeanEnv(LeanConfig(repl_command=(sys.executable, str(TOY)), tactic_timeout=10))


def codec_us(repeat: int = 20000) -> float:
    """Encode + decode + classify + goal parsing of one recorded-size answer, in process."""

    def once() -> None:
        encode(ProofStepRequest(proof_state=11, tactic="nlinarith [sq_nonneg (a - b)]"))
        outcome = classify(decode(RESPONSE))
        parse_goals(outcome.goals)

    return min(timeit.repeat(once, number=repeat, repeat=3)) / repeat * 1e6


def overhead(requests: int) -> tuple[float, float]:
    """(bridge µs per request, round trip µs per request) over `requests` tactics."""
    with make_env() as env:
        root = env.open(THM)
        state = env.run_tactic(root, "intro warm")
        assert isinstance(state, Advanced)
        before = env.stats()
        start = time.perf_counter()
        for i in range(requests):
            result = env.run_tactic(state.state, f"intro x{i % 50}")
            assert isinstance(result, Advanced)
        wall = time.perf_counter() - start
        after = env.stats()
    n = after.requests - before.requests
    waiting = after.assistant_seconds - before.assistant_seconds
    return (wall - waiting) / n * 1e6, wall / n * 1e6


def deep_state(env: LeanEnv, depth: int) -> ProofState:
    state = env.open(THM)
    for i in range(depth):
        result = env.run_tactic(state, f"intro h{i}")
        assert isinstance(result, Advanced)
        state = result.state
    return state


def recovery_ms(depth: int, rounds: int) -> tuple[float, float]:
    """(crash-once recovery, timeout recovery) in ms for a node `depth` tactics deep.

    Crash: the process dies on the tactic; a fresh one re-runs header + theorem + the path and
    the tactic is retried. Timeout: kill at the deadline, restart and rebuild the node.
    Both are net of a normal tactic's round trip (and of the timeout itself).
    """
    crash, timeout = [], []
    with make_env() as env:
        state = deep_state(env, depth)
        for r in range(rounds):
            t0 = time.perf_counter()
            env.run_tactic(state, "intro plain")
            plain = time.perf_counter() - t0
            t0 = time.perf_counter()
            result = env.run_tactic(state, f"once_crash{depth}_{r}")
            crash.append(time.perf_counter() - t0 - plain)
            assert isinstance(result, Advanced), result
            limit = 0.05
            t0 = time.perf_counter()
            env.run_tactic(state, "hang", timeout=limit)
            timeout.append(time.perf_counter() - t0 - limit)
    return statistics.median(crash) * 1e3, statistics.median(timeout) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # expected crash warnings would drown the figures
    os.environ["FAKE_REPL_STATE"] = tempfile.mkdtemp(prefix="lean-bench-")
    print(f"codec (encode+decode+classify+goals, in process): {codec_us():.1f} µs/request")
    own, trip = overhead(args.requests)
    print(f"bridge overhead vs toy REPL: {own:.1f} µs/request (round trip {trip:.1f} µs, "
          f"{args.requests} requests)")
    for depth in (0, 5, 20, 50):
        crash, kill = recovery_ms(depth, args.rounds)
        print(f"depth {depth:>2}: restart+replay after crash {crash:.1f} ms, "
              f"after timeout kill {kill:.1f} ms")


if __name__ == "__main__":
    main()
