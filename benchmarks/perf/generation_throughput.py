"""Tactic-generation throughput: one request at a time vs. the batched model server vs. the raw engine.

Measures tokens/s and candidate tactics/s for
  (a) sequential: one search, one request at a time (what a lone search gets);
  (b) batched: `--searches` concurrent search threads sharing one `BatchedGenerator`;
  (c) raw: the same engine called directly on batches of `--max-batch-size` requests.
Goals: (b) >= 3x (a), and (b) >= 80% of (c). Weights are random (speed depends on shapes only).
All three modes serve the same requests, in interleaved rounds (a, b, c, a, b, c, ...): figures
are medians over rounds with their spread, every mode must generate the same number of tokens
(EOS is disabled so each completion is exactly --max-new-tokens long), and a run whose spread
is too wide is flagged instead of reported as a ratio.

    python -m benchmarks.perf.generation_throughput --shape tiny            # CPU smoke run
    python -m benchmarks.perf.generation_throughput --shape llama-7b --dtype bfloat16 --device cuda
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from benchmarks.perf.interleave import Work, finish, run_interleaved
from lean_env.base import ProofState, Theorem
from prover.engines.base import GenRequest, RequestResult
from prover.engines.generator import BatchedGenerator, GeneratorConfig, ModelGenerator
from prover.batching import BatchConfig

THEOREM = Theorem("bench", "", "theorem bench : True", backend="lean")


class CountingEngine:
    """Counts completions and generated tokens passing through an engine."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.tokens = 0
        self.completions = 0

    def generate_batch(self, requests: Sequence[GenRequest]) -> list[RequestResult]:
        results = self.engine.generate_batch(requests)
        for result in results:
            if not isinstance(result, BaseException):
                self.completions += len(result)
                self.tokens += sum(c.num_tokens for c in result)
        return results


def states(n: int, chars: int) -> list[ProofState]:
    """Distinct synthetic states of about `chars` characters (a few hypotheses and a goal)."""
    out = []
    for i in range(n):
        body = f"h{i} : a * {i} + b ≤ c\n" * max(1, chars // 20)
        out.append(ProofState("bench", (), (), (body + f"⊢ a + {i} = b")[:chars]))
    return out


def build_engine(args: argparse.Namespace) -> Any:
    if args.engine == "hf":
        from prover.engines.hf import HFEngine
        from prover.engines.tiny import tiny_llama

        model, tokenizer = tiny_llama(args.shape, seed=0, dtype=args.dtype, device=args.device)
        return HFEngine(model, tokenizer, max_input_tokens=1 << 16)
    import tempfile

    from prover.engines.tiny import SHAPES, char_tokenizer, llama_config
    from prover.engines.vllm import VLLMConfig, VLLMEngine

    # vLLM makes random weights itself from a config directory (the "dummy" load format).
    s = SHAPES[args.shape]
    directory = tempfile.mkdtemp(prefix="bench-model-")
    tokenizer = char_tokenizer(vocab_size=s.vocab or None)
    tokenizer.save_pretrained(directory)
    llama_config(s, tokenizer).save_pretrained(directory)
    return VLLMEngine(VLLMConfig(directory, dtype=args.dtype, load_format="dummy"))


def run(args: argparse.Namespace) -> dict[str, Any]:
    """All three modes on the same requests, interleaved over `args.rounds` rounds."""
    engine = build_engine(args)
    if args.fixed_length:
        fix_length(engine)
    counting = CountingEngine(engine)
    config = GeneratorConfig(
        model="bench",
        prompt_format=args.prompt_format,
        temperature=args.temperature,
        max_new_tokens=args.max_new_tokens,
        stop=(),
    )
    def allow(backend, tactic):
        return None

    total = args.searches * args.states_per_search
    all_states = states(total, args.state_chars)
    warm = ModelGenerator(counting, config, screen=allow)
    warm.generate(THEOREM, all_states[0], args.k)  # load kernels, caches
    gen = BatchedGenerator(
        counting,
        config,
        BatchConfig(args.max_batch_size, args.max_wait_s, args.max_batch_sequences),
        screen=allow,
    )
    requests = [warm.request(THEOREM, s, args.k) for s in all_states]
    size = args.max_batch_size
    if args.max_batch_sequences:  # same cap as the batcher: full batches of at most that many rows
        size = max(1, min(size, args.max_batch_sequences // args.k))

    def timed(fn: Any) -> Any:
        def call() -> Work:
            counting.tokens = counting.completions = 0
            fn()
            return Work(counting.tokens, counting.tokens)  # tokens: the rate, and equal work
        return call

    def sequential() -> None:  # (a) one request at a time, as a lone search gets
        for s in all_states:
            warm.generate(THEOREM, s, args.k)

    def search(i: int) -> int:
        mine = all_states[i * args.states_per_search : (i + 1) * args.states_per_search]
        return sum(len(gen.generate(THEOREM, s, args.k)) for s in mine)

    def batched() -> None:  # (b) concurrent searches sharing one batcher
        with ThreadPoolExecutor(args.searches) as pool:
            list(pool.map(search, range(args.searches)))

    def raw() -> None:  # (c) the engine on full batches of the same requests
        for start in range(0, len(requests), size):
            counting.generate_batch(requests[start : start + size])

    result = run_interleaved(
        {"sequential": timed(sequential), "batched": timed(batched), "raw": timed(raw)},
        args.rounds, args.max_spread, warmup=args.warmup,
    )
    batch_stats = gen.batcher.stats
    gen.close()
    expected = total * args.k * args.max_new_tokens if args.fixed_length else None
    wrong = [t for t in result.timings if expected is not None and t.work.units != expected]
    return {
        "config": vars(args),
        "interleaved": result.summary(),
        "mean_batch_size": batch_stats.mean_batch_size,
        "batched_over_sequential": result.ratio("batched", "sequential"),
        "batched_over_raw": result.ratio("batched", "raw"),
        "expected_tokens_per_round": expected,
        "rounds_with_other_token_counts": len(wrong),
        "lines": result.lines("tokens/s"),
        "trustworthy": result.trustworthy and not wrong,
        "device": describe_device(args.device),
    }


def fix_length(engine: Any) -> None:
    """Generate exactly max_new_tokens per completion (no EOS), so every mode does equal work."""
    if not hasattr(engine, "eos_ids"):
        raise SystemExit("--fixed-length needs the hf engine; pass --no-fixed-length for vllm")
    engine.eos_ids = ()
    engine.model.generation_config.eos_token_id = None


def describe_device(device: str) -> str:
    import torch

    if device.startswith("cuda") and torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    return f"cpu ({torch.get_num_threads()} threads)"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--engine", choices=["hf", "vllm"], default="hf")
    p.add_argument(
        "--shape", default="tiny", help="tiny, small, llama-1b, llama-7b (random weights)"
    )
    p.add_argument("--dtype", default="float32")
    p.add_argument("--device", default="cpu")
    p.add_argument("--searches", type=int, default=32, help="concurrent searches in mode (b)")
    p.add_argument("--states-per-search", type=int, default=2)
    p.add_argument("--rounds", type=int, default=5, help="interleaved rounds (a, b, c, a, b, c, ...)")
    p.add_argument("--warmup", type=int, default=1, help="untimed rounds first")
    p.add_argument("--max-spread", type=float, default=0.25, help="flag a mode whose (max-min)/median exceeds this")
    p.add_argument("--fixed-length", action=argparse.BooleanOptionalAction, default=True,
                   help="no EOS: every completion has max-new-tokens tokens (hf engine), so modes do equal work")
    p.add_argument("--k", type=int, default=8, help="candidates per state")
    p.add_argument("--max-new-tokens", type=int, default=32)
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--state-chars", type=int, default=200)
    p.add_argument("--prompt-format", default="reprover")
    p.add_argument("--max-batch-size", type=int, default=64)
    p.add_argument("--max-wait-s", type=float, default=0.02)
    p.add_argument("--max-batch-sequences", type=int, help="cap on rows (requests x k) per call")
    p.add_argument("--out", help="write the figures as JSON here")
    args = p.parse_args(argv)
    result = run(args)
    for line in result["lines"]:
        print(line)
    print(
        f"batched/sequential = {result['batched_over_sequential']:.2f}x (goal >= 3), "
        f"batched/raw = {result['batched_over_raw']:.0%} (goal >= 80%), medians over {args.rounds} "
        f"interleaved rounds, mean batch {result['mean_batch_size']:.1f}, on {result['device']}"
    )
    return finish(result, args.out)


if __name__ == "__main__":
    sys.exit(main())
