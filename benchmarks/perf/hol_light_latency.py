"""HOL Light start-up and latency, and a one-tactic portfolio sweep on miniF2F-hollight.

1. Start-up: loading HOL Light with the libraries miniF2F needs (wall and CPU seconds, resident
   size), then forking a fresh loaded child from the zygote (median and p90 of `--forks` forks,
   each until the child answers).
2. Tactic latency: `run_tactic` round trips of cheap tactics on a theorem's root, median and p90.
3. The sweep: each problem of a random sample of the valid split is opened and every closing tactic of
   the portfolio is tried once on its root (`--tactic-timeout` each) until one proves it; every
   proof found is checked by the verifier.

Run: python -m benchmarks.perf.hol_light_latency [--forks 50] [--repeats 50] [--limit 40]
     [--tactic-timeout 1] [--seed 0] [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path

import psutil

from lean_env.base import Advanced, BadTheorem, Proved, TacticFailure, Theorem
from lean_env.hol_light.env import HolLightConfig, HolLightEnv
from lean_env.hol_light.zygote import Zygote, ZygoteConfig
from prover.portfolio import PORTFOLIOS

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
CLOSERS = [t for t, _ in PORTFOLIOS["hol-light"] if t not in ("REPEAT STRIP_TAC", "GEN_TAC", "STRIP_TAC", "CONJ_TAC", "EQ_TAC")]
CHEAP = ("REWRITE_TAC[]", "MESON_TAC[]", "ARITH_TAC", "REAL_ARITH_TAC")


def quantiles(xs: list[float]) -> str:
    xs = sorted(xs)
    p90 = xs[min(len(xs) - 1, int(0.9 * len(xs)))]
    return f"median {1000 * statistics.median(xs):.1f} ms, p90 {1000 * p90:.1f} ms (n={len(xs)})"


def startup(forks: int) -> Zygote:
    start = time.monotonic()
    zygote = Zygote(ZygoteConfig())
    wall = time.monotonic() - start
    proc = psutil.Process(zygote.pid)
    cpu = sum(proc.cpu_times()[:2])
    print(f"load (core + {len(zygote.config.libraries)} libraries): {wall:.1f} s wall, {cpu:.1f} s CPU, "
          f"{proc.memory_info().rss / 2**20:.0f} MiB resident")
    times = []
    for _ in range(forks):
        t0 = time.monotonic()
        child = zygote.fork()
        times.append(time.monotonic() - t0)
        child.kill()
    print(f"fork of a loaded child (until it answers): {quantiles(times)}")
    return zygote


def latency(env: HolLightEnv, repeats: int) -> None:
    root = env.open(Theorem("lat", "", "!n. n + 0 = n", "hol-light"))
    for tactic in CHEAP:
        times = []
        for _ in range(repeats):
            t0 = time.monotonic()
            result = env.run_tactic(root, tactic, timeout=5)
            times.append(time.monotonic() - t0)
            assert isinstance(result, (Proved, Advanced, TacticFailure)), result
        print(f"run_tactic {tactic:<16} {quantiles(times)}  ({type(result).__name__})")


def sweep(env: HolLightEnv, data: Path, limit: int, timeout: float, seed: int) -> None:
    from benchmarks.datasets import load_dataset

    problems = load_dataset("minif2f-hollight", data_root=data).select("valid")
    problems = random.Random(seed).sample(problems, min(limit, len(problems)))  # across categories
    proved = verified = bad = 0
    by_tactic: dict[str, int] = {}
    t0 = time.monotonic()
    for problem in problems:
        try:
            root = env.open(problem.theorem)
        except BadTheorem as exc:
            bad += 1
            print(f"  {exc}"[:200])
            continue
        for tactic in CLOSERS:
            result = env.run_tactic(root, tactic, timeout=timeout)
            if isinstance(result, Proved):
                proved += 1
                by_tactic[tactic] = by_tactic.get(tactic, 0) + 1
                check = env.verify(problem.theorem, result.proof)
                verified += check.ok
                if not check.ok:
                    print(f"  VERIFIER REFUSED {problem.name}: {check.message}")
                break
    wall = time.monotonic() - t0
    print(f"sweep of {len(problems)} valid problems ({len(CLOSERS)} closers, {timeout:g} s each): "
          f"{proved} proved, {verified} verified, {bad} statements do not elaborate; {wall:.0f} s")
    print("  closed by: " + ", ".join(f"{t} {n}" for t, n in sorted(by_tactic.items(), key=lambda x: -x[1])))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--forks", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--limit", type=int, default=40, help="valid problems in the sweep (0: skip it)")
    parser.add_argument("--tactic-timeout", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0, help="which sample of the valid split")
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    zygote = startup(args.forks)
    try:
        with HolLightEnv(HolLightConfig(), zygote=zygote) as env:
            latency(env, args.repeats)
            if args.limit:
                sweep(env, args.data, args.limit, args.tactic_timeout, args.seed)
            stats = env.stats()
            print(f"env: {stats.requests} requests, {stats.assistant_seconds:.1f} s waiting on HOL Light, "
                  f"{stats.restarts} restarts")
    finally:
        zygote.kill()


if __name__ == "__main__":
    main()
