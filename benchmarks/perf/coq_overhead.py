"""How much the Coq backend adds on top of Coq itself.

1. Round trip of a trivial tactic (`intros.` on a theorem's root) through `CoqEnv.run_tactic`,
   versus a bare coqtop pipe that sends exactly the same sentences (the `BackTo` rewind plus the
   `Timeout`-wrapped tactic) and only looks for the prompt. Goal: ratio at most 1.05.
2. The share of a best-first search's wall time spent outside Coq (not waiting on coqtop or coqc)
   on real miniF2F-rocq theorems with the automation portfolio. Goal: under 2%.

Run: python -m benchmarks.perf.coq_overhead [--repeats 2000] [--theorems 40]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import select
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from lean_env.base import BadTheorem, Theorem
from lean_env.coq.env import CoqConfig, CoqEnv

PROMPT = re.compile(rb"<prompt>\S+ < (\d+) \|[^|]*\| \d+ < </prompt>")
HEADER = "Require Import Arith Lia.\n"
STATEMENT = "Theorem triv : forall n m : nat, n + m = m + n."
DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "minif2f" / "coq" / "minif2f_coq.jsonl"


class BarePipe:
    """The least a client can do: write a sentence, read bytes until the prompt."""

    def __init__(self, cwd: str) -> None:
        self.proc = subprocess.Popen(
            ["coqtop", "-emacs", "-q", "-quiet"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, bufsize=0, cwd=cwd,
        )
        self.fd = self.proc.stdout.fileno()
        self.buf = b""
        self.state = self.read()

    def read(self) -> int:
        while True:
            m = PROMPT.search(self.buf)
            if m:
                self.buf = self.buf[m.end():]
                return int(m.group(1))
            select.select([self.fd], [], [])
            self.buf += os.read(self.fd, 1 << 16)

    def send(self, sentence: str) -> int:
        self.proc.stdin.write(sentence.encode() + b"\n")
        self.state = self.read()
        return self.state

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


def round_trips(repeats: int) -> dict[str, float]:
    env = CoqEnv(CoqConfig(tactic_timeout=5.0))
    root = env.open(Theorem("triv", HEADER, STATEMENT))
    with tempfile.TemporaryDirectory() as tmp:
        bare = BarePipe(tmp)
        bare.send("Set Printing Width 1000.")
        bare.send(HEADER.strip())
        root_id = bare.send(STATEMENT)
        env_times, bare_times = [], []
        for _ in range(50):  # warm both up
            env.run_tactic(root, "intros.")
            bare.send(f"BackTo {root_id}.")
            bare.send("Timeout 5 intros.")
        for i in range(repeats):  # interleaved, so machine noise hits both alike
            t0 = time.perf_counter()
            env.run_tactic(root, "intros.")
            t1 = time.perf_counter()
            bare.send(f"BackTo {root_id}.")
            bare.send("Timeout 5 intros.")
            t2 = time.perf_counter()
            env_times.append(t1 - t0)
            bare_times.append(t2 - t1)
        bare.close()
    busy = env.stats().assistant_seconds
    env.close()
    backend, pipe = statistics.median(env_times), statistics.median(bare_times)
    return {"backend_ms": backend * 1e3, "bare_pipe_ms": pipe * 1e3, "ratio": backend / pipe,
            "overhead_us": (backend - pipe) * 1e6, "outside_send_share": 1 - busy / (sum(env_times) + 50 * backend)}


def search_share(count: int, split: str) -> dict[str, float]:
    from prover.portfolio import PortfolioGenerator
    from search.best_first import SearchConfig, best_first_search

    rows = [json.loads(line) for line in DATA.read_text().splitlines()]
    rows = [r for r in rows if r["split"] == split]
    rows = rows[:: max(1, len(rows) // count)][:count]  # spread over the split: all categories
    generator = PortfolioGenerator("coq")
    config = SearchConfig(max_expansions=3, num_samples=32, wall_time=30, tactic_timeout=2)
    totals = dict(wall=0.0, assistant=0.0, verify=0.0, generator=0.0, search=0.0)
    proved = bad = 0
    with CoqEnv(CoqConfig(tactic_timeout=2)) as env:
        for row in rows:
            theorem = Theorem(row["name"], row["header"], row["formal_statement"], "coq")
            t0 = time.perf_counter()
            try:
                result = best_first_search(env, generator, theorem, config)
            except BadTheorem:
                bad += 1
                continue
            s = result.stats
            proved += result.proved
            totals["wall"] += time.perf_counter() - t0
            totals["assistant"] += s.assistant_seconds
            totals["verify"] += s.verify_seconds
            totals["generator"] += s.generator_seconds
            totals["search"] += s.search_seconds
    outside = totals["wall"] - totals["assistant"] - totals["verify"]
    return {
        "theorems": len(rows), "proved": proved, "did_not_elaborate": bad, **{f"{k}_s": v for k, v in totals.items()},
        "outside_coq_share": outside / totals["wall"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=2000)
    parser.add_argument("--theorems", type=int, default=40)
    parser.add_argument("--split", default="valid")
    args = parser.parse_args()
    rt = round_trips(args.repeats)
    print(f"trivial tactic round trip: backend {rt['backend_ms']:.3f} ms, bare pipe {rt['bare_pipe_ms']:.3f} ms, "
          f"ratio {rt['ratio']:.3f} (goal <= 1.05); bridge overhead {rt['overhead_us']:.0f} us per tactic")
    if not DATA.exists():
        print(f"miniF2F-rocq data not found at {DATA}: skipping the search share")
        return
    if args.theorems <= 0:
        return
    share = search_share(args.theorems, args.split)
    print(f"search on {share['theorems']} miniF2F-rocq {args.split} theorems: {share['proved']} proved, "
          f"{share['did_not_elaborate']} did not elaborate; wall {share['wall_s']:.2f} s, coqtop {share['assistant_s']:.2f} s, "
          f"coqc {share['verify_s']:.2f} s, generator {share['generator_s']:.4f} s, search loop {share['search_s']:.4f} s")
    print(f"share of wall time outside Coq: {100 * share['outside_coq_share']:.2f}% (goal < 2%)")


if __name__ == "__main__":
    main()
