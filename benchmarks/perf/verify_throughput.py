"""Checked whole proofs per second per core on Coq: the warm coqtop against a fresh coqc per proof.

Whole-proof sampling is bound by checking proofs, so the first-stage check must be cheap. Three
modes check the same batch of real proof attempts on miniF2F-rocq problems (portfolio-style
one-liners: some right, most wrong), in interleaved rounds (warm, coqc, pipeline, warm, ...):

  warm      the whole script on the long-lived coqtop (CoqEnv: enter the theorem, run the
            screened sentences, rewind), what `--mode whole-proof` does first;
  coqc      a fresh `coqc` on header + statement + script + Qed per proof (the cold alternative);
  pipeline  warm check, then the independent verifier (`env.verify`) on the passes only:
            the real cost per sample of whole-proof mode.

Rates are proofs per wall second of a single checker process (which uses one core) and proofs per
CPU second of the checker's processes (coqtop / coqc / the verifier's children), with medians and
spreads over rounds; warm and coqc verdicts are compared proof by proof.

    python -m benchmarks.perf.verify_throughput --data ../shared/data/minif2f/coq             # small
    python -m benchmarks.perf.verify_throughput --data ../shared/data/minif2f/coq --problems 60 --rounds 5
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import psutil

from benchmarks.datasets import load_dataset
from benchmarks.perf.interleave import Work, run_interleaved
from lean_env.base import BadTheorem, Proved, Theorem
from lean_env.coq.env import CoqConfig, CoqEnv
from lean_env.coq.verify import proof_file
from lean_env.process import run_once

ATTEMPTS = ("auto.", "reflexivity.", "lia.", "intros; lra.", "field.", "intuition.", "nia.", "intros; nra.")
# Problems the portfolio solves (auto / reflexivity) first, then ones it does not: a mix of
# correct and incorrect attempts; more problems are taken from the split in order.
FIRST = ("mathd_numbertheory_239", "mathd_algebra_296", "mathd_algebra_190", "mathd_algebra_109", "mathd_algebra_132",
         "mathd_algebra_149")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _process_cpu(pid: int | None) -> float:
    if pid is None:
        return 0.0
    try:
        t = psutil.Process(pid).cpu_times()
        return t.user + t.system
    except psutil.Error:
        return 0.0


def batch(data: Path, split: str, problems: int, per_problem: int) -> list[tuple[Theorem, str]]:
    """(theorem, proof script) pairs: `problems` statements that elaborate (FIRST, then the split
    in order), each with the first `per_problem` attempts of a fixed portfolio."""
    ds = load_dataset("minif2f-coq", data)
    everything = {p.name: p for p in ds.select("all")}
    ordered = [everything[n] for n in FIRST if n in everything] + [p for p in ds.select(split) if p.name not in FIRST]
    env = CoqEnv(CoqConfig(tactic_timeout=2.0))
    pairs: list[tuple[Theorem, str]] = []
    try:
        for problem in ordered:
            if len({t.name for t, _ in pairs}) >= problems:
                break
            try:
                env.open(problem.theorem)
            except BadTheorem:
                continue
            for j in range(per_problem):
                pairs.append((problem.theorem, ATTEMPTS[j % len(ATTEMPTS)]))
    finally:
        env.close()
    return pairs


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, required=True, help="miniF2F-rocq folder (or staged JSONL)")
    p.add_argument("--split", default="valid")
    p.add_argument("--problems", type=int, default=6)
    p.add_argument("--per-problem", type=int, default=4, help="proof attempts per problem")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--timeout", type=float, default=5.0, help="seconds per proof check")
    p.add_argument("--warmup", type=int, default=0, help="untimed rounds first (coqtop is warmed up anyway)")
    p.add_argument("--max-spread", type=float, default=0.25)
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)

    pairs = batch(args.data, args.split, args.problems, args.per_problem)
    config = CoqConfig(tactic_timeout=args.timeout, verify_timeout=max(30.0, args.timeout))
    env = CoqEnv(config)
    scratch = tempfile.mkdtemp(prefix="verify-bench-")
    verdicts: dict[str, list[bool]] = {"warm": [], "coqc": [], "pipeline": []}
    cpu: dict[str, list[float]] = {"warm": [], "coqc": [], "pipeline": []}

    def warm_checks(verify: bool) -> tuple[list[bool], float]:
        cpu0 = _process_cpu(env.pid) + _children_cpu() + time.process_time()
        pid0 = env.pid
        out, current = [], None
        for theorem, proof in pairs:
            if theorem is not current:
                root, current = env.open(theorem), theorem
            result = env.run_tactic(root, proof, args.timeout)
            ok = isinstance(result, Proved)
            if ok:
                root = env.open(theorem)  # a second closing proof must print its display again
                if verify:
                    ok = env.verify(theorem, result.proof).ok
            out.append(ok)
        used = _process_cpu(env.pid) + _children_cpu() + time.process_time() - cpu0
        if env.pid != pid0:  # a restart lost the old process's CPU count: better none than wrong
            used = float("nan")
        return out, used

    def warm() -> Work:
        out, used = warm_checks(verify=False)
        verdicts["warm"], _ = out, cpu["warm"].append(used)
        return Work(len(out), len(out))

    def pipeline() -> Work:
        out, used = warm_checks(verify=True)
        verdicts["pipeline"], _ = out, cpu["pipeline"].append(used)
        return Work(len(out), len(out))

    def coqc() -> Work:
        cpu0 = _children_cpu() + time.process_time()
        out = []
        for theorem, proof in pairs:
            path = Path(scratch) / f"{theorem.name}.v"
            path.write_text(proof_file(theorem, (proof,)))
            code, _, _, timed_out = run_once(["coqc", "-q", "-native-compiler", "no", path.name], max(30.0, args.timeout),
                                             cwd=scratch, memory_limit_mb=config.memory_limit_mb)
            out.append(code == 0 and not timed_out)
        cpu["coqc"].append(_children_cpu() + time.process_time() - cpu0)
        verdicts["coqc"] = out
        return Work(len(out), len(out))

    # warm up: the libraries load once per coqtop life, before any timed round
    for theorem in dict.fromkeys(t for t, _ in pairs):
        env.open(theorem)
    try:
        result = run_interleaved({"warm": warm, "coqc": coqc, "pipeline": pipeline}, args.rounds, args.max_spread,
                                 warmup=args.warmup)
    finally:
        env.close()
    n = len(pairs)
    agree = sum(a == b for a, b in zip(verdicts["warm"], verdicts["coqc"]))
    warm_only = sum(a and not b for a, b in zip(verdicts["warm"], verdicts["coqc"]))
    coqc_only = sum(b and not a for a, b in zip(verdicts["warm"], verdicts["coqc"]))
    timed = {m: sorted(v[-args.rounds:]) for m, v in cpu.items()}  # warm-up rounds left out
    per_cpu = {m: n / v[len(v) // 2] for m, v in timed.items() if v and v[len(v) // 2] > 0}
    summary = {
        "config": {k: str(v) for k, v in vars(args).items()},
        "proofs": n, "theorems": len({t.name for t, _ in pairs}), "correct_by_coqc": sum(verdicts["coqc"]),
        "interleaved": result.summary(),
        "proofs_per_cpu_second": per_cpu,
        "warm_over_coqc": result.ratio("warm", "coqc"),
        "pipeline_over_coqc": result.ratio("pipeline", "coqc"),
        "verdicts_agree": agree, "warm_pass_coqc_fail": warm_only, "coqc_pass_warm_fail": coqc_only,
    }
    print(f"{n} proof attempts on {summary['theorems']} miniF2F-rocq {args.split} problems "
          f"({summary['correct_by_coqc']} correct by coqc), {args.rounds} interleaved rounds")
    for line in result.lines("proofs/s (one process = one core)"):
        print(line)
    print("proofs per CPU second (median round): " + ", ".join(f"{m} {v:.2f}" for m, v in per_cpu.items()))
    print(f"warm/coqc = {summary['warm_over_coqc']:.1f}x, pipeline/coqc = {summary['pipeline_over_coqc']:.1f}x; "
          f"verdicts agree on {agree}/{n} (warm pass + coqc fail: {warm_only}, coqc pass + warm fail: {coqc_only})")
    print("anchor: Kimina Lean Server, 0.83-4.33 proofs/s on 8-60 cores, about 0.1 proofs/s per core (Lean)")
    print("figures " + ("trustworthy" if result.trustworthy else "NOT trustworthy (see warnings)"))
    if args.out:
        args.out.write_text(json.dumps(summary, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
