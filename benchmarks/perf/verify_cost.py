"""What the independent Coq verifier costs per proof, against a single-file check.

The verifier (lean_env/coq/verify.py) runs four sandboxed processes per proof: the statement module
(cached per theorem), the proof module, the verifier's own type-and-axiom check, and coqchk. The
baseline is the single-file check this project used before: one `coqc` of header, statement,
script, `Qed.` and `Print Assumptions`, in which the proof could talk to the audit. Both are run on
the proofs of an evaluation run, interleaved per proof (baseline, cold, warm) so that load on the
machine lands on every mode alike; medians and totals are printed, with the ratio.

    python -m benchmarks.perf.verify_cost --results runs/valid/results.jsonl \
        --data ../shared/data/minif2f/coq --rounds 2
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.datasets import load_dataset
from benchmarks.results import read_results
from lean_env.coq.env import CoqConfig
from lean_env.coq.verify import CoqVerifier, proof_file
from lean_env.process import run_once


def single_file_check(theorem, proof, config: CoqConfig, scratch: str) -> bool:
    """The baseline: one coqc over header, statement, script, Qed and Print Assumptions."""
    text = proof_file(theorem, proof) + f"Print Assumptions {theorem.name}.\n"
    with tempfile.TemporaryDirectory(dir=scratch) as tmp:
        path = Path(tmp) / "Single.v"
        path.write_text(text)
        code, _, _, _ = run_once([config.coqc, "-q", "-native-compiler", "no", path.name],
                                 config.verify_timeout, cwd=tmp, memory_limit_mb=config.memory_limit_mb)
    return code == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, required=True, help="results.jsonl of a run")
    parser.add_argument("--data", type=Path, required=True, help="miniF2F-rocq folder")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0, help="at most this many proofs (0: all)")
    args = parser.parse_args()

    theorems = {p.name: p.theorem for p in load_dataset("minif2f-coq", args.data).problems}
    proved = [r for r in read_results(args.results) if r.proved]
    if args.limit:
        proved = proved[: args.limit]
    config = CoqConfig()
    scratch = tempfile.mkdtemp(prefix="verify-cost-")
    times: dict[str, list[float]] = {"single file (before)": [], "verifier, cold": [], "verifier, warm": []}
    rejected = 0
    for _ in range(args.rounds):
        for r in proved:
            theorem = theorems[r.name]
            t0 = time.perf_counter()
            single_file_check(theorem, r.proof, config, scratch)
            t1 = time.perf_counter()
            verifier = CoqVerifier(config, scratch)  # cold: compiles the statement too
            ok = verifier.verify(theorem, r.proof).ok
            t2 = time.perf_counter()
            verifier.verify(theorem, r.proof)  # warm: the statement module is cached
            t3 = time.perf_counter()
            rejected += not ok
            times["single file (before)"].append(t1 - t0)
            times["verifier, cold"].append(t2 - t1)
            times["verifier, warm"].append(t3 - t2)
    base = statistics.median(times["single file (before)"])
    print(f"{len(proved)} proofs x {args.rounds} rounds; verifier rejected {rejected} check(s)")
    print(f"{'mode':24} {'median s':>9} {'total s':>9} {'ratio':>6}")
    for mode, values in times.items():
        med = statistics.median(values)
        print(f"{mode:24} {med:9.3f} {sum(values):9.1f} {med / base:6.2f}")


if __name__ == "__main__":
    main()
