"""Lean bridge overhead: µs of our own Python per request, and the cost of restart + replay.

Runs against the toy REPL of tests/fakes (a subprocess that answers at once), so what is
measured is the bridge, not Lean. The restart figures give the toy a header "import" delay
(`--import-delay`, seconds: `import Mathlib` takes seconds on a warm page cache) and compare a
bridge without a warm spare process to one with it, per recovered node and over a simulated
run in which 5% of the tactics time out.
Usage: python -m benchmarks.perf.lean_bridge [--requests N] [--import-delay S] [--sim-calls N]
"""

from __future__ import annotations

import argparse
import logging
import os
import random
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


def make_env(spare: bool = True) -> LeanEnv:
    return LeanEnv(LeanConfig(repl_command=(sys.executable, str(TOY)), tactic_timeout=10, warm_spare=spare))


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


def timeout_recovery_s(spare: bool, delay: float, depth: int, rounds: int) -> float:
    """Median seconds a timeout costs beyond its own limit (kill, restart or swap, replay).

    With a spare, each round first lets the spare finish its import (not counted).
    """
    limit, lost = 0.05, []
    with make_env(spare) as env:
        state = deep_state(env, depth)
        for _ in range(rounds):
            if spare:
                time.sleep(delay + 0.3)
            t0 = time.perf_counter()
            env.run_tactic(state, "hang", timeout=limit)
            lost.append(time.perf_counter() - t0 - limit)
    return statistics.median(lost)


def simulated_run(spare: bool, calls: int, rate: float, tactic_s: float, depth: int) -> tuple[float, float, int]:
    """(share of wall time lost to restarts, wall seconds, timeouts) over `calls` tactics.

    Each call is a tactic of `tactic_s` seconds on a node `depth` deep, or, with probability
    `rate` (same seeded draws for both bridges), one that hangs past its limit. The loss is a
    timed-out call's time beyond its limit: kill, restart or swap, and the node's replay.
    """
    limit, lost, timeouts = 0.3, 0.0, 0
    draws = random.Random(7)
    with make_env(spare) as env:
        state = deep_state(env, depth)
        start = time.perf_counter()
        for _ in range(calls):
            if draws.random() < rate:
                t0 = time.perf_counter()
                env.run_tactic(state, "hang", timeout=limit)
                lost += time.perf_counter() - t0 - limit
                timeouts += 1
            else:
                env.run_tactic(state, f"slow {tactic_s}")
        wall = time.perf_counter() - start
    return lost / wall, wall, timeouts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--import-delay", type=float, default=3.0, help="toy header import, seconds")
    parser.add_argument("--sim-calls", type=int, default=200, help="tactics in the simulated run")
    parser.add_argument("--sim-tactic", type=float, default=0.1, help="seconds per ordinary tactic")
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
    os.environ["FAKE_REPL_HEADER_DELAY"] = str(args.import_delay)
    depth = 20
    cold = timeout_recovery_s(False, args.import_delay, depth, 3)
    warm = timeout_recovery_s(True, args.import_delay, depth, 3)
    print(f"import delay {args.import_delay:g}s, node {depth} deep: restart+replay per recovered node "
          f"{cold * 1e3:.0f} ms without a spare, {warm * 1e3:.0f} ms with a warm spare "
          f"({cold / warm:.1f}x)")
    for spare in (False, True):
        share, wall, timeouts = simulated_run(spare, args.sim_calls, 0.05, args.sim_tactic, depth)
        print(f"simulated run, {args.sim_calls} tactics of {args.sim_tactic:g}s, 5% time out "
              f"({timeouts}): {share:.1%} of {wall:.1f}s lost to restarts "
              f"({'with' if spare else 'without'} a warm spare)")


if __name__ == "__main__":
    main()
