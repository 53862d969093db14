"""Batcher, ModelGenerator, BatchedGenerator, ChainedGenerator and ModelServer with fake engines."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest

from lean_env.base import Goal, ProofState, Theorem
from prover.engines.base import (
    Completion,
    GenRequest,
    RequestResult,
    SamplingSettings,
    cut_at_stop,
    run_batch,
)
from prover.engines.generator import BatchedGenerator, GeneratorConfig, ModelGenerator
from prover.base import Candidate
from prover.batching import BatchConfig, Batcher, BatcherClosed
from prover.combined import ChainedGenerator
from prover.model_server import ModelServer


class EchoEngine:
    """Completion j of a prompt is "<prompt>#<j>" with log-prob -j; prompts containing "BOOM" raise."""

    def __init__(self, delay: float = 0.0) -> None:
        self.calls: list[list[str]] = []
        self.delay = delay
        self.threads: set[int] = set()

    def generate_batch(self, requests: Sequence[GenRequest]) -> list[RequestResult]:
        self.calls.append([r.prompt for r in requests])
        self.threads.add(threading.get_ident())
        time.sleep(self.delay)
        if any("BOOM" in r.prompt for r in requests):
            raise RuntimeError("engine exploded")
        return [
            [Completion(f"{r.prompt}#{j}", -float(j), 1) for j in range(r.settings.n)]
            for r in requests
        ]


def test_concurrent_callers_share_batches_and_each_get_their_own_results() -> None:
    engine = EchoEngine(delay=0.02)
    with Batcher(engine, BatchConfig(max_batch_size=16, max_wait_s=0.05)) as batcher:
        with ThreadPoolExecutor(64) as pool:
            futures = {
                i: pool.submit(
                    lambda i=i: batcher.submit(
                        GenRequest(f"p{i}", SamplingSettings(n=1 + i % 3))
                    ).result()
                )
                for i in range(64)
            }
            results = {i: f.result(timeout=10) for i, f in futures.items()}
    for i, completions in results.items():
        assert [c.text for c in completions] == [f"p{i}#{j}" for j in range(1 + i % 3)]
    assert max(len(call) for call in engine.calls) <= 16
    assert len(engine.calls) < 64 / 2  # real batching happened
    assert len(engine.threads) == 1  # the engine only ever sees the batcher's thread
    assert batcher.stats.requests == 64


def test_row_cap_holds_requests_over_to_the_next_batch() -> None:
    engine = EchoEngine(delay=0.05)
    config = BatchConfig(max_batch_size=8, max_wait_s=0.2, max_batch_sequences=5)
    with Batcher(engine, config) as batcher:
        futures = [batcher.submit(GenRequest(f"r{i}", SamplingSettings(n=2))) for i in range(5)]
        futures.append(batcher.submit(GenRequest("big", SamplingSettings(n=9))))
        assert [len(f.result(5)) for f in futures] == [2] * 5 + [9]
    assert engine.calls == [["r0", "r1"], ["r2", "r3"], ["r4"], ["big"]]


def test_a_failing_request_does_not_poison_its_batch() -> None:
    engine = EchoEngine()
    with Batcher(engine, BatchConfig(max_batch_size=8, max_wait_s=0.2)) as batcher:
        futures = [batcher.submit(GenRequest(p)) for p in ("a", "BOOM", "c")]
        assert [c.text for c in futures[0].result(5)] == ["a#0"]
        assert [c.text for c in futures[2].result(5)] == ["c#0"]
        with pytest.raises(RuntimeError, match="exploded"):
            futures[1].result(5)
        assert engine.calls[0] == ["a", "BOOM", "c"]  # tried together first, then alone


def test_engine_returning_the_wrong_number_of_results_is_caught() -> None:
    class Short:
        def generate_batch(self, requests: Sequence[GenRequest]) -> list[RequestResult]:
            return []

    (result,) = run_batch(Short(), [GenRequest("x")])
    assert isinstance(result, RuntimeError)


def test_closed_batcher_refuses_and_never_leaves_callers_hanging() -> None:
    engine = EchoEngine(delay=0.2)
    batcher = Batcher(engine, BatchConfig(max_batch_size=1, max_wait_s=0))
    futures = [batcher.submit(GenRequest("0"))]
    deadline = time.monotonic() + 5
    while not engine.calls and time.monotonic() < deadline:  # wait until it is in flight
        time.sleep(0.001)
    futures += [batcher.submit(GenRequest(str(i))) for i in range(1, 5)]
    batcher.close()
    batcher.close()  # idempotent
    outcomes = [f.exception(timeout=5) for f in futures]
    assert outcomes[0] is None  # the batch in flight finished
    assert all(isinstance(o, BatcherClosed) for o in outcomes[1:])
    assert engine.calls == [["0"]]
    with pytest.raises(BatcherClosed):
        batcher.submit(GenRequest("late"))


def test_cut_at_stop_counts_tokens_up_to_the_stop_or_eos() -> None:
    def decode(ids: Sequence[int]) -> str:
        return "".join(chr(i) for i in ids if i != 0)

    ids, lps = [ord(c) for c in "ab--cd"], [-1.0, -2.0, -3.0, -4.0, -5.0, -6.0]
    c = cut_at_stop(ids, lps, decode, ["--"])
    assert (c.text, c.num_tokens, c.logprob, c.finish) == ("ab", 4, -10.0, "stop")
    c = cut_at_stop([97, 0, 98], [-1.0, -0.5, -9.0], decode, ["--"], eos_ids=[0])
    assert (c.text, c.num_tokens, c.logprob, c.finish, c.mean_logprob) == (
        "a",
        2,
        -1.5,
        "eos",
        -0.75,
    )
    c = cut_at_stop(ids, lps, decode, [])
    assert (c.text, c.num_tokens, c.finish) == ("ab--cd", 6, "length")


THEOREM = Theorem("t", "", "Theorem t : True.", backend="coq")
STATE = ProofState("t", (), (Goal((), "True"),), "============================\nTrue")


class FixedEngine:
    def __init__(self, completions: list[Completion]) -> None:
        self.completions = completions
        self.requests: list[GenRequest] = []

    def generate_batch(self, requests: Sequence[GenRequest]) -> list[RequestResult]:
        self.requests.extend(requests)
        return [list(self.completions) for _ in requests]


def test_model_generator_extracts_screens_merges_and_scores() -> None:
    engine = FixedEngine(
        [
            Completion(" auto.\n---\nmore", -2.0, 4),
            Completion("admit.", -0.1, 2),
            Completion("auto.", -1.0, 1),  # same tactic, better score
            Completion("   ", -0.2, 1),
            Completion("lia.", -3.0, 6),
        ]
    )
    def screen(backend, tactic):
        return "forbidden" if backend == "coq" and "admit" in tactic else None

    gen = ModelGenerator(
        engine, GeneratorConfig(model="some/base-model", temperature=0.8), screen=screen
    )
    assert gen.generate(THEOREM, STATE, 5) == [
        Candidate("auto.", -1.0, "model"),
        Candidate("lia.", -3.0, "model"),
    ]
    (request,) = engine.requests
    assert request.prompt.startswith("Given the Coq proof state")  # Coq default for a base model
    assert request.prompt.endswith("True\n---\nNext tactic:\n---\n")
    assert request.settings == SamplingSettings(
        n=5, temperature=0.8, max_new_tokens=128, stop=("---",)
    )
    assert (gen.stats.forbidden, gen.stats.empty, gen.stats.duplicates) == (1, 1, 1)
    mean = ModelGenerator(engine, GeneratorConfig(model="m", score="mean"), screen=screen)
    assert [c.score for c in mean.generate(THEOREM, STATE, 5)] == [-0.5, -0.5]
    assert len(gen.generate(THEOREM, STATE, 1)) == 1


def test_temperature_zero_is_beam_search_for_several_candidates_and_greedy_for_one() -> None:
    engine = FixedEngine([Completion("x", -1.0, 1)])
    cfg = GeneratorConfig(
        model="internlm/internlm2_5-step-prover", temperature=0, stop=("\n",), max_new_tokens=7
    )
    gen = ModelGenerator(engine, cfg, screen=lambda b, t: None)
    gen.generate(THEOREM, STATE, 8)
    gen.generate(THEOREM, STATE, 1)
    beam, greedy = engine.requests
    assert beam.settings == SamplingSettings(
        n=8, temperature=0, beam=True, max_new_tokens=7, stop=("\n",)
    )
    assert greedy.settings.greedy and greedy.settings.n == 1
    assert "STATE_BEFORE" in beam.prompt


def test_model_errors_reach_the_search_as_exceptions() -> None:
    gen = ModelGenerator(
        EchoEngine(),
        GeneratorConfig(model="m", prompt_format="bfs-prover"),
        screen=lambda b, t: None,
    )
    state = ProofState("t", (), (), "BOOM")
    with pytest.raises(RuntimeError, match="exploded"):
        gen.generate(THEOREM, state, 2)


def test_batched_generator_serves_many_search_threads() -> None:
    engine = EchoEngine(delay=0.01)
    gen = BatchedGenerator(
        engine,
        GeneratorConfig(model="m", prompt_format="bfs-prover"),
        BatchConfig(max_batch_size=32, max_wait_s=0.05),
        screen=lambda b, t: None,
    )
    states = [ProofState("t", (), (), f"goal{i}") for i in range(32)]
    with ThreadPoolExecutor(32) as pool:
        results = list(pool.map(lambda s: gen.generate(THEOREM, s, 2), states))
    gen.close()
    for state, cands in zip(states, results):
        assert [c.tactic for c in cands] == [f"{state.pretty}:::#0", f"{state.pretty}:::#1"]
    assert len(engine.calls) < 32


class ListGenerator:
    def __init__(self, name: str, tactics: list[str], fail: bool = False) -> None:
        self.name, self.tactics, self.fail = name, tactics, fail

    def generate(self, theorem: Theorem, state: ProofState, k: int) -> list[Candidate]:
        if self.fail:
            raise RuntimeError(f"{self.name} failed")
        return [Candidate(t, -float(i), self.name) for i, t in enumerate(self.tactics)][:k]


def test_chained_generator_tries_the_portfolio_first_then_new_model_tactics() -> None:
    chain = ChainedGenerator(
        ListGenerator("portfolio", ["auto.", "lia."]),
        ListGenerator("model", ["lia.", "intuition.", "easy.", "x."]),
    )
    assert chain.name == "portfolio+model"
    assert [(c.tactic, c.source) for c in chain.generate(THEOREM, STATE, 4)] == [
        ("auto.", "portfolio"),
        ("lia.", "portfolio"),
        ("intuition.", "model"),
        ("easy.", "model"),
    ]
    assert [c.tactic for c in chain.generate(THEOREM, STATE, 1)] == ["auto."]
    scores = [c.score for c in chain.generate(THEOREM, STATE, 4)]
    assert scores == sorted(scores, reverse=True)  # the order survives sorting by score
    assert scores[3] - scores[2] == pytest.approx(-1.0)  # the model's own score gaps are kept


def test_chained_generator_survives_one_failing_part_but_not_both() -> None:
    ok = ListGenerator("model", ["simpl."])
    assert [
        c.tactic
        for c in ChainedGenerator(ListGenerator("p", [], fail=True), ok).generate(THEOREM, STATE, 3)
    ] == ["simpl."]
    with pytest.raises(RuntimeError, match="p failed"):
        ChainedGenerator(
            ListGenerator("p", [], fail=True), ListGenerator("m", [], fail=True)
        ).generate(THEOREM, STATE, 3)


def test_worker_batches_direct_calls_through_one_thread() -> None:
    engine = EchoEngine(delay=0.01)
    worker = ModelServer(engine=engine, batch=BatchConfig(max_batch_size=8, max_wait_s=0.05))
    try:
        with ThreadPoolExecutor(8) as pool:
            out = list(pool.map(lambda i: worker.submit(GenRequest(f"q{i}")), range(8)))
        assert [c[0].text for c in out] == [f"q{i}#0" for i in range(8)]
        results = worker.generate_batch([GenRequest("a"), GenRequest("BOOM")])
        assert [c.text for c in results[0]] == ["a#0"] and isinstance(results[1], RuntimeError)
        assert worker.stats()["requests"] == 10 and len(engine.threads) == 1
    finally:
        worker.close()


def test_the_real_backend_screens_drop_forbidden_candidates() -> None:
    pytest.importorskip("lean_env.coq.sentences")
    pytest.importorskip("lean_env.lean_repl.screen")
    engine = FixedEngine(
        [
            Completion("admit.", -0.1, 1),
            Completion("Admitted.", -0.2, 1),
            Completion("auto.", -1.0, 1),
        ]
    )
    gen = ModelGenerator(
        engine, GeneratorConfig(model="m", prompt_format="coq")
    )  # default: registry screen
    assert [c.tactic for c in gen.generate(THEOREM, STATE, 4)] == ["auto."]
    lean = Theorem("t", "", "theorem t : True", backend="lean")
    engine = FixedEngine([Completion("sorry", -0.1, 1), Completion("simp", -1.0, 1)])
    gen = ModelGenerator(engine, GeneratorConfig(model="m", prompt_format="bfs-prover"))
    assert [c.tactic for c in gen.generate(lean, STATE, 4)] == ["simp"]
