"""Whole-proof sampling throughput: how to ask the engine for N proofs of many theorems.

Three ways to draw `--batch` whole proofs for each of `--theorems` theorems, on the same prompts
(the whole-proof prompt format of the backend), in interleaved rounds (a, b, c, a, b, c, ...):

  per-sample   one request with n=1 per sample (what a naive loop does);
  per-theorem  one request with n=batch per theorem (what `prover prove --mode whole-proof` does);
  batched      every theorem's request in shared engine calls (what eval's shared model workers do).

Figures are generated tokens per second, medians and spreads over rounds; EOS is disabled so every
mode generates exactly theorems x batch x --max-new-tokens tokens, which is checked. Weights are
random (speed depends on shapes only).

    python -m benchmarks.perf.whole_proof_sampling                       # tiny CPU shape
    python -m benchmarks.perf.whole_proof_sampling --shape llama-1b --device cuda --dtype bfloat16 --theorems 64
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from benchmarks.perf.generation_throughput import CountingEngine, fix_length
from benchmarks.perf.interleave import Work, finish, run_interleaved
from lean_env.base import Theorem
from prover.engines.base import GenRequest, SamplingSettings
from prover.whole_proof import get_whole_format


def theorems(n: int, backend: str) -> list[Theorem]:
    if backend == "coq":
        return [Theorem(f"t{i}", "Require Import Arith Lia.", f"Theorem t{i} : forall n : nat, n + {i} >= {i}.")
                for i in range(n)]
    return [Theorem(f"t{i}", "import Mathlib", f"theorem t{i} (n : ℕ) : n + {i} ≥ {i} := by", "lean") for i in range(n)]


def run(args: argparse.Namespace) -> dict[str, Any]:
    from prover.engines.hf import HFEngine
    from prover.engines.tiny import tiny_llama

    model, tokenizer = tiny_llama(args.shape, seed=0, dtype=args.dtype, device=args.device)
    engine = HFEngine(model, tokenizer, max_input_tokens=1 << 16)
    fix_length(engine)
    counting = CountingEngine(engine)
    fmt = get_whole_format(args.prompt_format, None, args.backend)
    prompts = [fmt.render(t) for t in theorems(args.theorems, args.backend)]

    def settings(n: int) -> SamplingSettings:
        return SamplingSettings(n=n, temperature=1.0, max_new_tokens=args.max_new_tokens)

    counting.generate_batch([GenRequest(prompts[0], settings(1))])  # warm up

    def timed(fn: Any) -> Any:
        def call() -> Work:
            counting.tokens = 0
            fn()
            return Work(counting.tokens, counting.tokens)
        return call

    def per_sample() -> None:
        for prompt in prompts:
            for _ in range(args.batch):
                counting.generate_batch([GenRequest(prompt, settings(1))])

    def per_theorem() -> None:
        for prompt in prompts:
            counting.generate_batch([GenRequest(prompt, settings(args.batch))])

    def batched() -> None:
        requests = [GenRequest(p, settings(args.batch)) for p in prompts]
        for start in range(0, len(requests), args.max_batch_size):
            counting.generate_batch(requests[start : start + args.max_batch_size])

    result = run_interleaved({"per-sample": timed(per_sample), "per-theorem": timed(per_theorem),
                              "batched": timed(batched)}, args.rounds, args.max_spread,
                             warmup=args.warmup)
    expected = args.theorems * args.batch * args.max_new_tokens
    wrong = sum(t.work.units != expected for t in result.timings)
    return {
        "config": vars(args), "format": fmt.name, "interleaved": result.summary(),
        "per_theorem_over_per_sample": result.ratio("per-theorem", "per-sample"),
        "batched_over_per_theorem": result.ratio("batched", "per-theorem"),
        "expected_tokens_per_round": expected, "rounds_with_other_token_counts": wrong,
        "trustworthy": result.trustworthy and not wrong, "lines": result.lines("tokens/s"),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--shape", default="tiny")
    p.add_argument("--dtype", default="float32")
    p.add_argument("--device", default="cpu")
    p.add_argument("--backend", default="coq", choices=["coq", "lean"])
    p.add_argument("--prompt-format", default=None)
    p.add_argument("--theorems", type=int, default=8)
    p.add_argument("--batch", type=int, default=4, help="samples per theorem per round of whole-proof mode")
    p.add_argument("--max-new-tokens", type=int, default=32)
    p.add_argument("--max-batch-size", type=int, default=64)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--warmup", type=int, default=1, help="untimed rounds first")
    p.add_argument("--max-spread", type=float, default=0.25)
    p.add_argument("--out")
    args = p.parse_args(argv)
    result = run(args)
    for line in result["lines"]:
        print(line)
    print(f"per-theorem/per-sample = {result['per_theorem_over_per_sample']:.2f}x, batched/per-theorem = "
          f"{result['batched_over_per_theorem']:.2f}x (medians over {args.rounds} interleaved rounds, "
          f"{result['expected_tokens_per_round']} tokens per mode per round)")
    return finish(result, args.out)


if __name__ == "__main__":
    sys.exit(main())
