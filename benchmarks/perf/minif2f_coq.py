"""miniF2F-rocq with the automation portfolio: pass rate, wall time, 1 -> 2 worker scaling, and
the share of wall time outside Coq. Runs `prover eval` once per worker count (the same small
budget each time), then writes the scaling into each run's summary (scaling.json, summary.md/json).

Usage: python -m benchmarks.perf.minif2f_coq --data ../shared/data/minif2f/coq --out runs/perf
       [--split valid] [--workers 2 1] [--max-expansions 3] [--tactic-timeout 2] [--wall-time 6] [--reuse]
Efficiency = T1 / (k * Tk) for the largest k, T = the session's end-to-end wall time (Ray start included).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.report import SCALING_FILE, write_report
from benchmarks.results import RunDir, read_results


def run_once(args: argparse.Namespace, workers: int, out: Path) -> dict:
    if args.reuse and (out / "summary.json").exists():  # keep a finished run, rerun only the others
        summary = json.loads((out / "summary.json").read_text())
        if summary["complete"]:
            wall = summary["time"]["last_session_wall_seconds"]
            return {"workers": workers, "process_seconds": wall, "session_seconds": wall, "summary": summary}
    cmd = [
        sys.executable, "-m", "prover_cli.main", "eval", "--out", str(out), "--data", str(args.data),
        "--split", args.split, "--workers", str(workers), "--num-cpus", str(max(workers, 1)),
        "--max-expansions", str(args.max_expansions), "--num-samples", str(args.num_samples),
        "--tactic-timeout", str(args.tactic_timeout), "--wall-time", str(args.wall_time), "--no-progress",
    ]
    t0 = time.monotonic()
    subprocess.run(cmd, check=True)
    elapsed = time.monotonic() - t0
    summary = json.loads((out / "summary.json").read_text())
    return {"workers": workers, "process_seconds": elapsed, "session_seconds": summary["time"]["last_session_wall_seconds"],
            "summary": summary}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[3] / "shared/data/minif2f/coq")
    parser.add_argument("--out", type=Path, default=Path("runs/perf_minif2f_coq"))
    parser.add_argument("--split", default="valid")
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 1])
    parser.add_argument("--max-expansions", type=int, default=3)
    parser.add_argument("--num-samples", type=int, default=32)
    parser.add_argument("--tactic-timeout", type=float, default=2.0)
    parser.add_argument("--wall-time", type=float, default=6.0)
    parser.add_argument("--reuse", action="store_true", help="Keep finished runs already in --out; run only the missing ones.")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    runs = {w: run_once(args, w, args.out / f"{args.split}_w{w}") for w in args.workers}
    walls = {str(w): r["session_seconds"] for w, r in runs.items()}
    work = {str(w): r["summary"]["time"]["theorem_wall_seconds"] for w, r in runs.items()}
    # busy share of the pool: summed theorem time / (workers x session wall); what is lost beyond
    # it is each theorem running slower, i.e. the cores, not the scheduling
    utilization = {str(w): work[str(w)] / (max(w, 1) * walls[str(w)]) for w in runs}
    scaling: dict = {"wall_seconds": walls, "theorem_wall_seconds": work, "utilization": utilization}
    if 1 in runs and len(runs) > 1:
        k = max(runs)
        scaling["efficiency"] = runs[1]["session_seconds"] / (k * runs[k]["session_seconds"])
        scaling["note"] = f"T1 = {walls['1']:.1f} s, T{k} = {walls[str(k)]:.1f} s, same split and budget on this machine"
    for w in runs:
        run_dir = RunDir(args.out / f"{args.split}_w{w}")
        if "efficiency" in scaling:
            (run_dir.path / SCALING_FILE).write_text(json.dumps(scaling, indent=1) + "\n")
        write_report(run_dir, read_results(run_dir.results_path), {})
    for w, r in sorted(runs.items()):
        s = r["summary"]
        o, t = s["overall"], s["time"]
        print(f"workers={w}: {o['proved']}/{o['total']} proved ({100 * o['pass_rate']:.1f}%), session wall "
              f"{r['session_seconds']:.1f} s (process {r['process_seconds']:.1f} s), outside Coq "
              f"{100 * t['outside_assistant_share']:.2f}%, not elaborated {len(s['not_elaborated'])}")
    if "efficiency" in scaling:
        print(f"scaling efficiency T1/({max(runs)}*T{max(runs)}) = {100 * scaling['efficiency']:.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
