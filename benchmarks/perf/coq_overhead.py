"""How much the Coq backend adds on top of Coq itself.

1. Round trip of a trivial tactic (`intros.` on a theorem's root) through `CoqEnv.run_tactic`,
   versus a bare coqtop pipe that sends the same sentences (the `BackTo` rewind plus the
   `Timeout`-wrapped tactic) and only looks for the prompt. Goal: ratio at most 1.05. The bridge
   also sends a fence query after every untrusted sentence (its soundness check, see
   `lean_env.coq.process`), which is work for Coq itself; a second bare pipe sends that fence too,
   so the second ratio is what the bridge's own code (process helper, parsing, bookkeeping) adds.
   A third client sends the fenced sentences through the process helper alone
   (`lean_env.process.ChildProcess`, sandboxed as the bridge's coqtop is): its ratio to the fenced
   bare pipe is the helper's share. Its CPU per answer, without coqtop's scheduling noise, is
   measured apart: an answer already waiting in a pipe, read by the helper and by the bare loop.
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
from lean_env.process import ChildProcess, ProcessConfig

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

    def write(self, data: bytes) -> None:
        self.proc.stdin.write(data)

    def read(self) -> int:
        while True:
            m = PROMPT.search(self.buf)
            if m:
                self.buf = self.buf[m.end():]
                return int(m.group(1))
            select.select([self.fd], [], [])
            self.buf += os.read(self.fd, 1 << 16)

    def send(self, sentence: str) -> int:
        self.write(sentence.encode() + b"\n")
        self.state = self.read()
        return self.state

    def send_fenced(self, sentence: str, fence: int) -> int:
        """The sentence and a fence query (an unknown name) in one write; two prompts back."""
        self.write(f"{sentence}\nCheck prover_fence_{fence:024d}.\n".encode())
        self.state = self.read()
        self.read()
        return self.state

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


class HelperPipe(BarePipe):
    """The same client on the bridge's process helper: `write` and `read_until` the prompt."""

    def __init__(self, cwd: str) -> None:
        self.child = ChildProcess(ProcessConfig(argv=("coqtop", "-emacs", "-q", "-quiet"), cwd=cwd, writable=(cwd,)))
        self.state = self.read()

    def read(self) -> int:
        return int(self.child.read_until(PROMPT, 30.0)[1].group(1))

    def write(self, data: bytes) -> None:
        self.child.write(data)

    def close(self) -> None:
        self.child.kill()


ANSWER = b"\n1 subgoal\n  \n  n, m : nat\n  ============================\n  n + m = m + n\n<prompt>triv < 3 |triv| 0 < </prompt>"


def answer_cost(repeats: int) -> dict[str, float]:
    """Microseconds of CPU per answer read (write it into a pipe, read up to its prompt)."""
    sleeper = subprocess.Popen(["sleep", "600"])  # the attached helper's process: signals only
    out_r, out_w = os.pipe()
    in_r, in_w = os.pipe()
    helper = ChildProcess.attach(out_r, in_w, sleeper.pid)
    bare = BarePipe.__new__(BarePipe)
    bare_w, bare.buf = os.pipe(), b""
    bare.fd, bare_w = bare_w

    def helper_answer() -> None:
        os.write(out_w, ANSWER)
        helper.read_until(PROMPT, 5.0)

    def bare_answer() -> None:
        os.write(bare_w, ANSWER)
        bare.read()

    best = {}
    for name, answer in (("helper", helper_answer), ("bare", bare_answer)):
        runs = []
        for _ in range(5):
            t0 = time.perf_counter()
            for _ in range(repeats):
                answer()
            runs.append((time.perf_counter() - t0) / repeats)
        best[name] = min(runs) * 1e6
    helper.kill()
    sleeper.wait()
    for fd in (out_w, in_r, bare.fd, bare_w):
        os.close(fd)
    return best


def round_trips(repeats: int) -> dict[str, float]:
    env = CoqEnv(CoqConfig(tactic_timeout=5.0))
    root = env.open(Theorem("triv", HEADER, STATEMENT))
    with tempfile.TemporaryDirectory() as tmp:
        bare, fenced, helper = BarePipe(tmp), BarePipe(tmp), HelperPipe(tmp)
        for pipe in (bare, fenced, helper):
            pipe.send("Set Printing Width 1000.")
            pipe.send(HEADER.strip())
            root_id = pipe.send(STATEMENT)
        env_times, bare_times, fenced_times, helper_times = [], [], [], []
        for i in range(50 + repeats):  # interleaved, so machine noise hits all alike; 50 warm-ups
            t0 = time.perf_counter()
            env.run_tactic(root, "intros.")
            t1 = time.perf_counter()
            bare.send(f"BackTo {root_id}.")
            bare.send("Timeout 5 intros.")
            t2 = time.perf_counter()
            fenced.send(f"BackTo {root_id}.")
            fenced.send_fenced("Timeout 5 intros.", i)
            t3 = time.perf_counter()
            helper.send(f"BackTo {root_id}.")
            helper.send_fenced("Timeout 5 intros.", i)
            t4 = time.perf_counter()
            if i >= 50:
                helper_times.append(t4 - t3)
                env_times.append(t1 - t0)
                bare_times.append(t2 - t1)
                fenced_times.append(t3 - t2)
        for pipe in (bare, fenced, helper):
            pipe.close()
    busy = env.stats().assistant_seconds
    env.close()
    backend, pipe, fence, helped = (statistics.median(t) for t in (env_times, bare_times, fenced_times, helper_times))
    return {"backend_ms": backend * 1e3, "bare_pipe_ms": pipe * 1e3, "ratio": backend / pipe,
            "overhead_us": (backend - pipe) * 1e6, "fenced_pipe_ms": fence * 1e3, "fenced_ratio": backend / fence,
            "own_overhead_us": (backend - fence) * 1e6, "helper_ms": helped * 1e3, "helper_ratio": helped / fence,
            "helper_overhead_us": (helped - fence) * 1e6,
            "outside_send_share": 1 - busy / (sum(env_times) + 50 * backend)}


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
    print(f"  against a bare pipe that also sends the fence: {rt['fenced_pipe_ms']:.3f} ms, "
          f"ratio {rt['fenced_ratio']:.3f}; the bridge's own code {rt['own_overhead_us']:.0f} us per tactic")
    print(f"  the process helper alone, same fenced sentences: {rt['helper_ms']:.3f} ms, ratio {rt['helper_ratio']:.3f} "
          f"to the fenced bare pipe; {rt['helper_overhead_us']:.0f} us per tactic")
    cost = answer_cost(10 * args.repeats)
    print(f"  CPU per answer read (no coqtop): helper {cost['helper']:.2f} us, bare loop {cost['bare']:.2f} us; "
          f"a tactic reads 3 answers")
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
