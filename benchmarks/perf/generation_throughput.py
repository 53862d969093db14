"""Tactic-generation throughput: one request at a time vs. the batched worker vs. the raw engine.

Measures tokens/s and candidate tactics/s for
  (a) sequential: one search, one request at a time (what a lone search gets);
  (b) batched: `--searches` concurrent search threads sharing one `BatchedGenerator`;
  (c) raw: the same engine called directly on batches of `--max-batch-size` requests.
Goals: (b) >= 3x (a), and (b) >= 80% of (c). Weights are random (speed depends on shapes only).

    python -m benchmarks.perf.generation_throughput --shape tiny            # CPU smoke run
    python -m benchmarks.perf.generation_throughput --shape llama-7b --dtype bfloat16 --device cuda
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

from lean_env.base import ProofState, Theorem
from prover.backends.base import GenRequest, RequestResult
from prover.backends.generator import BatchedGenerator, GeneratorConfig, ModelGenerator
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


@dataclass(frozen=True)
class Figures:
    mode: str
    seconds: float
    requests: int
    completions: int
    candidates: int  # distinct candidate tactics handed to searches
    tokens: int  # generated tokens (up to EOS)

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.seconds

    @property
    def candidates_per_s(self) -> float:
        return self.candidates / self.seconds


def states(n: int, chars: int) -> list[ProofState]:
    """Distinct synthetic states of about `chars` characters (a few hypotheses and a goal)."""
    out = []
    for i in range(n):
        body = f"h{i} : a * {i} + b ≤ c\n" * max(1, chars // 20)
        out.append(ProofState("bench", (), (), (body + f"⊢ a + {i} = b")[:chars]))
    return out


def build_engine(args: argparse.Namespace) -> Any:
    if args.engine == "hf":
        from prover.backends.hf import HFEngine
        from prover.backends.tiny import tiny_llama

        model, tokenizer = tiny_llama(args.shape, seed=0, dtype=args.dtype, device=args.device)
        return HFEngine(model, tokenizer, max_input_tokens=1 << 16)
    import tempfile

    from prover.backends.tiny import SHAPES, char_tokenizer, llama_config
    from prover.backends.vllm import VLLMConfig, VLLMEngine

    # vLLM makes random weights itself from a config directory (the "dummy" load format).
    s = SHAPES[args.shape]
    directory = tempfile.mkdtemp(prefix="bench-model-")
    tokenizer = char_tokenizer(vocab_size=s.vocab or None)
    tokenizer.save_pretrained(directory)
    llama_config(s, tokenizer).save_pretrained(directory)
    return VLLMEngine(VLLMConfig(directory, dtype=args.dtype, load_format="dummy"))


def run(args: argparse.Namespace) -> dict[str, Any]:
    counting = CountingEngine(build_engine(args))
    config = GeneratorConfig(
        model="bench",
        prompt_format=args.prompt_format,
        temperature=args.temperature,
        max_new_tokens=args.max_new_tokens,
        stop=(),
    )
    allow = lambda backend, tactic: None
    total = args.searches * args.states_per_search
    all_states = states(total, args.state_chars)
    warm = ModelGenerator(counting, config, screen=allow)
    warm.generate(THEOREM, all_states[0], args.k)  # load kernels, caches

    def measure(mode: str, fn: Any, requests: int) -> Figures:
        counting.tokens = counting.completions = 0
        start = time.perf_counter()
        candidates = fn()
        seconds = time.perf_counter() - start
        return Figures(mode, seconds, requests, counting.completions, candidates, counting.tokens)

    # (a) one request at a time, on a sample of the states (its rate does not depend on how many)
    sample = all_states[: args.sequential_requests]
    seq = measure(
        "sequential",
        lambda: sum(len(warm.generate(THEOREM, s, args.k)) for s in sample),
        len(sample),
    )

    # (b) many concurrent searches, each asking for its states one after another
    gen = BatchedGenerator(
        counting,
        config,
        BatchConfig(args.max_batch_size, args.max_wait_s, args.max_batch_sequences),
        screen=allow,
    )

    def search(i: int) -> int:
        mine = all_states[i * args.states_per_search : (i + 1) * args.states_per_search]
        return sum(len(gen.generate(THEOREM, s, args.k)) for s in mine)

    def batched() -> int:
        with ThreadPoolExecutor(args.searches) as pool:
            return sum(pool.map(search, range(args.searches)))

    bat = measure("batched", batched, total)
    batch_stats = gen.batcher.stats
    gen.close()

    # (c) the raw engine on full batches of the same requests
    requests = [warm.request(THEOREM, s, args.k) for s in all_states]
    size = args.max_batch_size
    if args.max_batch_sequences:  # same cap as the batcher: full batches of at most that many rows
        size = max(1, min(size, args.max_batch_sequences // args.k))

    def raw() -> int:
        count = 0
        for start in range(0, len(requests), size):
            for result in counting.generate_batch(requests[start : start + size]):
                count += len(warm.to_candidates(THEOREM, result, args.k))
        return count

    raw_figs = measure("raw", raw, total)
    figures = [seq, bat, raw_figs]
    return {
        "config": vars(args),
        "figures": [
            dict(asdict(f), tokens_per_s=f.tokens_per_s, candidates_per_s=f.candidates_per_s)
            for f in figures
        ],
        "mean_batch_size": batch_stats.mean_batch_size,
        "batched_over_sequential": bat.tokens_per_s / seq.tokens_per_s,
        "batched_over_raw": bat.tokens_per_s / raw_figs.tokens_per_s,
        "device": describe_device(args.device),
    }


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
    p.add_argument("--searches", type=int, default=64, help="concurrent searches in mode (b)")
    p.add_argument("--states-per-search", type=int, default=2)
    p.add_argument("--sequential-requests", type=int, default=8, help="requests timed in mode (a)")
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
    for f in result["figures"]:
        print(
            f"{f['mode']:>10}: {f['tokens_per_s']:10.1f} tokens/s "
            f"{f['candidates_per_s']:9.1f} candidates/s "
            f"({f['requests']} requests, {f['seconds']:.2f} s)"
        )
    print(
        f"batched/sequential = {result['batched_over_sequential']:.2f}x (goal >= 3), "
        f"batched/raw = {result['batched_over_raw']:.0%} (goal >= 80%), "
        f"mean batch {result['mean_batch_size']:.1f}, on {result['device']}"
    )
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(result, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
