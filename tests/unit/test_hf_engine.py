"""HFEngine on a tiny random Llama built in the test: scores, stops, beams, isolation, batching."""

from __future__ import annotations

import threading

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from lean_env.base import Goal, ProofState, Theorem
from prover.engines.base import GenRequest, SamplingSettings
from prover.engines.generator import GeneratorConfig, ModelGenerator
from prover.engines.hf import HFEngine, PromptTooLong, _StopTexts
from prover.engines.tiny import tiny_llama
from prover.batching import BatchConfig, Batcher

pytestmark = pytest.mark.hf


@pytest.fixture(scope="module")
def engine() -> HFEngine:
    model, tokenizer = tiny_llama(seed=1, words=("::",))
    return HFEngine(model, tokenizer, max_input_tokens=200)


def manual_logprobs(engine: HFEngine, prompt: str, generated: tuple[int, ...]) -> list[float]:
    """Log-prob of each generated token from one unpadded forward pass."""
    prompt_ids = engine.tokenizer(prompt).input_ids
    ids = torch.tensor([prompt_ids + list(generated)])
    with torch.no_grad():
        logits = engine.model(ids).logits[0].float()
    logprobs = torch.log_softmax(logits[len(prompt_ids) - 1 : -1], dim=-1)
    return logprobs.gather(-1, torch.tensor(generated).unsqueeze(-1)).squeeze(-1).tolist()


def test_sampled_scores_match_a_manual_forward_pass_with_left_padding(engine: HFEngine) -> None:
    settings = SamplingSettings(n=4, temperature=1.5, top_p=0.9, max_new_tokens=12)
    prompts = ["n : ℕ\n⊢ n + 0 = n", "short"]  # different lengths: the second is left-padded
    torch.manual_seed(0)
    results = engine.generate_batch([GenRequest(p, settings) for p in prompts])
    for prompt, completions in zip(prompts, results):
        assert len(completions) == 4
        for c in completions:
            expected = manual_logprobs(engine, prompt, c.token_ids)
            assert c.num_tokens == len(c.token_ids) == len(expected) > 0
            assert c.logprob == pytest.approx(sum(expected), abs=1e-3)
            assert c.mean_logprob == pytest.approx(sum(expected) / len(expected), abs=1e-4)
            assert c.text == engine.tokenizer.decode(list(c.token_ids), skip_special_tokens=True)


def test_greedy_follows_the_argmax_and_scores_it(engine: HFEngine) -> None:
    (completions,) = engine.generate_batch(
        [GenRequest("abc", SamplingSettings(n=3, temperature=0, max_new_tokens=6))]
    )
    assert len(completions) == 1  # greedy has one answer whatever n says
    (c,) = completions
    ids = engine.tokenizer("abc").input_ids
    for tok in c.token_ids:
        with torch.no_grad():
            nxt = int(engine.model(torch.tensor([ids])).logits[0, -1].argmax())
        assert tok == nxt
        ids.append(nxt)
    assert c.logprob == pytest.approx(sum(manual_logprobs(engine, "abc", c.token_ids)), abs=1e-3)


def test_beam_search_returns_distinct_beams_with_exact_scores(engine: HFEngine) -> None:
    settings = SamplingSettings(n=4, beam=True, max_new_tokens=5)
    prompts = ["x y z", "a much longer prompt"]  # the first is left-padded in the rescoring pass
    for prompt, beams in zip(
        prompts, engine.generate_batch([GenRequest(p, settings) for p in prompts])
    ):
        assert len(beams) == 4
        assert len({b.token_ids for b in beams}) == 4
        for b in beams:
            expected = sum(manual_logprobs(engine, prompt, b.token_ids))
            assert b.logprob == pytest.approx(expected, abs=1e-3)
        greedy_settings = SamplingSettings(temperature=0, max_new_tokens=5)
        greedy = engine.generate_batch([GenRequest(prompt, greedy_settings)])[0][0]
        assert max(b.logprob for b in beams) >= greedy.logprob - 1e-4  # at least as good as greedy


def test_stop_text_ends_the_completion_and_its_score(engine: HFEngine) -> None:
    free = engine.generate_batch(
        [GenRequest("qq", SamplingSettings(temperature=0, max_new_tokens=30))]
    )[0][0]
    # A stop text taken from the middle of the free-running answer, at its first occurrence.
    start = next(i for i in range(4, 20) if free.text.find(free.text[i : i + 2]) == i)
    stop = free.text[start : start + 2]
    (stopped,) = engine.generate_batch(
        [GenRequest("qq", SamplingSettings(temperature=0, max_new_tokens=30, stop=(stop,)))]
    )[0]
    assert stopped.finish == "stop"
    assert stopped.text == free.text[:start]
    m = stopped.num_tokens  # counts the token that completed the stop text
    assert engine.tokenizer.decode(list(free.token_ids[:m])).startswith(free.text[:start] + stop)
    assert stop not in engine.tokenizer.decode(list(free.token_ids[: m - 1]))
    assert stopped.logprob == pytest.approx(
        sum(manual_logprobs(engine, "qq", free.token_ids)[:m]), abs=1e-3
    )


def test_stop_criterion_marks_only_rows_whose_new_text_has_the_stop(engine: HFEngine) -> None:
    tok = engine.tokenizer
    rows = [tok("ab--x").input_ids, tok("ab-xy").input_ids]
    criterion = _StopTexts(tok, ["--"], prompt_len=2)
    assert criterion(torch.tensor(rows), None).tolist() == [True, False]
    assert criterion(torch.tensor([tok("--abc").input_ids]), None).tolist() == [
        False
    ]  # in the prompt


def test_a_failing_request_does_not_poison_the_batch(engine: HFEngine) -> None:
    settings = SamplingSettings(temperature=0, max_new_tokens=4)
    results = engine.generate_batch(
        [GenRequest("ok", settings), GenRequest("x" * 500, settings), GenRequest("fine", settings)]
    )
    assert isinstance(results[1], PromptTooLong)
    assert [r[0].text for r in (results[0], results[2])] == [
        engine.generate_batch([GenRequest(p, settings)])[0][0].text for p in ("ok", "fine")
    ]


def test_concurrent_callers_through_the_batcher_get_their_own_answers(engine: HFEngine) -> None:
    settings = SamplingSettings(temperature=0, max_new_tokens=6)
    prompts = [f"goal {i} " * (1 + i % 3) for i in range(8)]
    alone = {p: engine.generate_batch([GenRequest(p, settings)])[0][0] for p in prompts}
    got: dict[str, object] = {}
    with Batcher(engine, BatchConfig(max_batch_size=8, max_wait_s=0.2)) as batcher:
        barrier = threading.Barrier(len(prompts))

        def call(p: str) -> None:
            barrier.wait()
            got[p] = batcher.submit(GenRequest(p, settings)).result(timeout=60)

        threads = [threading.Thread(target=call, args=(p,)) for p in prompts]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert batcher.stats.batches < len(prompts)  # they really shared engine calls
    for p in prompts:
        (c,) = got[p]
        assert c.token_ids == alone[p].token_ids
        assert c.logprob == pytest.approx(alone[p].logprob, abs=1e-3)


def test_model_generator_end_to_end_screens_merges_and_scores(engine: HFEngine) -> None:
    theorem = Theorem("t", "", "theorem t : True", backend="lean")
    state = ProofState("t", (), (Goal((), "True"),), "⊢ True")
    cfg = GeneratorConfig(
        model="tiny", prompt_format="bfs-prover", max_new_tokens=3, temperature=2.0
    )
    torch.manual_seed(3)
    free = ModelGenerator(engine, cfg, screen=lambda b, t: None).generate(theorem, state, 16)
    banned = free[0].tactic[0]
    torch.manual_seed(3)
    gen = ModelGenerator(engine, cfg, screen=lambda b, t: "banned" if banned in t else None)
    screened = gen.generate(theorem, state, 16)
    assert screened == [c for c in free if banned not in c.tactic]
    assert gen.stats.forbidden >= 1
    assert all(c.source == "model" for c in screened)
    assert len({c.tactic for c in free}) == len(free)
    assert [c.score for c in free] == sorted((c.score for c in free), reverse=True)


def test_beam_search_treats_single_token_stop_texts_as_end_of_sequence(engine: HFEngine) -> None:
    colon_pair = engine.tokenizer("::", add_special_tokens=False).input_ids
    assert len(colon_pair) == 1  # a whole-word token of the test tokenizer
    assert (
        engine._single_token_stops(["::", "--"]) == colon_pair
    )  # "--" is two tokens: cut afterwards


def test_a_state_too_long_for_the_model_gets_no_candidates_not_an_error(engine: HFEngine) -> None:
    """A huge state (Coq's `compute` on a large numeral) is a property of the state and of the
    model's context: the generator proposes nothing for it and counts it, so that a chained
    search goes on with the portfolio instead of failing the theorem."""
    gen = ModelGenerator(engine, GeneratorConfig("tiny", prompt_format="reprover", max_new_tokens=4))
    theorem = Theorem("t", "", "Theorem t : True.", "coq")
    small = ProofState("t", (), (Goal((), "True"),), "True")
    huge = ProofState("t", (), (Goal((), "S " * 400 + "O = O"),), "S " * 400 + "O = O")
    assert gen.generate(theorem, huge, 2) == [] and gen.stats.too_long == 1
    assert gen.stats.calls == 0  # nothing was generated for it
    gen.generate(theorem, small, 2)
    assert gen.stats.calls == 1 and gen.stats.too_long == 1
