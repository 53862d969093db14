"""Retrieval index speed: load time and per-query latency on states taken from the trace itself.

    python -m benchmarks.perf.knn_index TRACE_DIR INDEX_DIR [--queries 500]

Prints the trace's size (files, theorems, steps), the index's size, its load time, and the median
and p90 latency of a query by state (`KnnIndex.propose`: features, one sparse product, top-k,
renaming), of a query by hypothesis (`KnnIndex.by_hypothesis`: one product per fact of the
state), and of a whole `KnnGenerator.generate` call (both, rewrite forms, composition, screen).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from pathlib import Path

from lean_env.base import ProofState, Theorem
from prover.knn import KnnGenerator, KnnIndex, goal_from_record, read_records


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("trace", type=Path)
    parser.add_argument("index", type=Path)
    parser.add_argument("--queries", type=int, default=500)
    args = parser.parse_args()
    files = [json.loads(line) for line in (args.trace / "files.jsonl").read_text().splitlines()]
    print(f"trace: {len(files)} files, {sum(len(f['theorems']) for f in files)} theorems, "
          f"{sum(f['steps'] for f in files)} steps, {sum(f['seconds'] for f in files):.0f} s of tracing")
    start = time.perf_counter()
    index = KnnIndex.load(args.index)
    print(f"index: {index.matrix.shape[0]} states x {index.matrix.shape[1]} features, "
          f"loaded in {time.perf_counter() - start:.3f} s")
    steps = [r for r in read_records(args.trace) if r["state_before"]["goals"]]
    random.seed(0)
    sample = random.sample(steps, min(args.queries, len(steps)))
    generator = KnnGenerator(index)
    theorem = Theorem("t", "", "")
    queries = {
        "query by state (top 32)": lambda goal: index.propose(goal, 32),
        "query by hypothesis (top 32)": lambda goal: index.by_hypothesis(goal, 32),
        "generate (64 candidates)": lambda goal: generator.generate(theorem, ProofState("t", (), (goal,), ""), 64),
    }
    for label, query in queries.items():
        times = []
        for rec in sample:
            goal = goal_from_record(rec["state_before"]["goals"][0])
            t0 = time.perf_counter()
            query(goal)
            times.append(time.perf_counter() - t0)
        times.sort()
        print(f"{label}: median {1000 * statistics.median(times):.2f} ms, "
              f"p90 {1000 * times[int(0.9 * len(times))]:.2f} ms over {len(times)} traced states")

if __name__ == "__main__":
    main()
