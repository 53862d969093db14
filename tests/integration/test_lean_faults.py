"""Faults a long Lean run meets, through the real process layer and the toy REPL.

Slow replays, "Unknown proof state" mid-search, heartbeat errors, `exact?` suggestions,
answers without a proofStatus, recycling and verifier faults: each is a value or a retry,
never an exception that ends a search.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

from lean_env.base import Advanced, FailureKind, Proved, TacticFailure, Theorem
from lean_env.lean_repl.config import LeanConfig
from lean_env.lean_repl.env import LeanEnv
from prover.base import Candidate
from search.best_first import SearchConfig, best_first_search as search

TOY = Path(__file__).resolve().parents[1] / "fakes" / "toy_repl.py"
HEADER = "import Mathlib\n"
THM = Theorem("toy_thm", HEADER, "theorem toy_thm (a b : ℕ) (h₀ : a = b) : b = a := by\n", "lean")


def requests(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def make_env(**overrides) -> LeanEnv:
    overrides.setdefault("tactic_timeout", 5.0)
    return LeanEnv(LeanConfig(repl_command=(sys.executable, str(TOY)), **overrides))


def advance(env: LeanEnv, state, tactic: str, timeout: float | None = None):
    result = env.run_tactic(state, tactic, timeout)
    assert isinstance(result, Advanced), result
    return result.state


# -- item: a replay never kills a search


def test_a_tactic_slower_on_replay_is_replayed_under_a_larger_budget(toy_repl_log: Path) -> None:
    with make_env() as env:
        slow = advance(env, env.open(THM), "slow_again 0.05 0.6", timeout=0.4)
        result = env.run_tactic(slow, "once_crash")  # the restart replays the slow tactic
        assert isinstance(result, Advanced), result
        assert env.stats().restarts == 1 and env.stats().extra["timeouts"] == 0


def test_a_path_that_cannot_be_replayed_fails_the_node_not_the_search(toy_repl_log: Path) -> None:
    with make_env(replay_timeout_factor=1.0) as env:  # the old rule: replay under the same limit
        slow = advance(env, env.open(THM), "slow_again 0.05 0.6", timeout=0.4)
        result = env.run_tactic(slow, "once_crash")
        assert isinstance(result, TacticFailure) and result.kind is FailureKind.CRASHED, result
        assert "cannot replay the path" in result.message
        start = time.monotonic()
        again = env.run_tactic(slow, "intro y")  # the next candidate on that node fails at once
        assert isinstance(again, TacticFailure) and "could not be replayed before" in again.message
        assert time.monotonic() - start < 0.1
        root = env.open(THM)
        assert isinstance(env.run_tactic(root, "intro z"), Advanced)  # the env still works


def test_search_survives_an_unreplayable_node(toy_repl_log: Path) -> None:
    class Script:
        def generate(self, theorem, state, k):
            if not state.path:
                return [Candidate("slow_again 0.05 0.6", 0.0), Candidate("intro x", -1.0)]
            if state.path == ("slow_again 0.05 0.6",):
                return [Candidate("once_crash", 0.0)]
            return [Candidate("rfl", 0.0)]

    with make_env(replay_timeout_factor=1.0) as env:
        result = search(env, Script(), THM, SearchConfig(max_expansions=5, tactic_timeout=0.4))
    assert result.proved and result.proof == ("intro x", "rfl"), result.stop_reason


# -- item: "Unknown proof state" is a protocol fault


def test_unknown_proof_state_restarts_and_replays(toy_repl_log: Path) -> None:
    with make_env() as env:
        state = advance(env, env.open(THM), "intro x")
        result = env.run_tactic(state, "once_unknown")
        assert isinstance(result, Advanced) and "x : Nat\nonce : Nat" in result.state.pretty
        stats = env.stats()
        assert stats.extra["desyncs"] == 1 and stats.extra["crashes"] == 0 and stats.restarts == 1
    assert len({r["pid"] for r in requests(toy_repl_log) if "tactic" in r}) == 2


def test_unknown_proof_state_mid_search_still_finds_the_proof(
    toy_repl_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_REPL_UNKNOWN_AT", "3")

    class Script:
        def generate(self, theorem, state, k):
            return [Candidate("intro x", 0.0)] if not state.path else [Candidate("skip", 0.0), Candidate("rfl", -1.0)]

    with make_env() as env:
        result = search(env, Script(), THM, SearchConfig(max_expansions=5))
        assert result.proved and result.proof == ("intro x", "rfl")
        assert env.stats().extra["desyncs"] == 1


def test_unknown_environment_when_opening_resynchronises(toy_repl_log: Path) -> None:
    env = make_env()
    with env:
        env.open(THM)
        w = env._pool[HEADER]
        w._header_env = 99  # our id map is out of step with the process
        root = env.open(Theorem("t2", HEADER, "theorem t2 (c : ℕ) : c = c := by", "lean"))
        assert root.pretty == "c : ℕ\n⊢ c = c" and env.stats().extra["desyncs"] == 1


# -- item: heartbeats and recycling


def test_a_heartbeat_error_is_retried_once_on_a_fresh_process(toy_repl_log: Path) -> None:
    with make_env() as env:
        state = advance(env, env.open(THM), "intro x")
        result = env.run_tactic(state, "once_heartbeat")
        assert isinstance(result, Advanced), result
        assert env.stats().extra["heartbeat_retries"] == 1
        again = env.run_tactic(state, "heartbeat")  # soon after the last retry: blamed at once
        assert isinstance(again, TacticFailure) and again.kind is FailureKind.ERROR
        assert "maximum number of heartbeats" in again.message
        assert env.stats().extra["heartbeat_retries"] == 1
    assert len({r["pid"] for r in requests(toy_repl_log) if "tactic" in r}) == 2


def test_heartbeat_errors_cost_a_fresh_process_only_now_and_then(toy_repl_log: Path) -> None:
    """Any tactic can print Lean's heartbeat message (`fail "maximum number of heartbeats"`): a
    model writing it in every tactic must not cost a process and a replay per tactic (red-team
    round 25). A retry is taken again once enough requests have gone by."""
    from lean_env.lean_repl.env import HEARTBEAT_RETRY_EVERY

    with make_env() as env:
        state = advance(env, env.open(THM), "intro x")
        for _ in range(5):
            failed = env.run_tactic(state, "heartbeat")
            assert isinstance(failed, TacticFailure) and "maximum number of heartbeats" in failed.message
        assert env.stats().extra["heartbeat_retries"] == 1 and env.stats().restarts == 1
        env._counters.requests += HEARTBEAT_RETRY_EVERY  # as if many requests had gone by
        env.run_tactic(state, "heartbeat")
        assert env.stats().extra["heartbeat_retries"] == 2


def test_crashes_cost_a_second_process_only_now_and_then(toy_repl_log: Path) -> None:
    """A tactic can break its process at will (a response flooded past the size cap with
    `iterate` over `trace`): each such tactic cost the process and a retry on a fresh one, with
    the path replayed twice (red-team round 26). Soon after a retry, the tactic is blamed at once."""
    from lean_env.lean_repl.env import CRASH_RETRY_EVERY

    with make_env(max_response_bytes=1 << 20) as env:
        state = advance(env, env.open(THM), "intro x")
        first = env.run_tactic(state, "flood")
        assert isinstance(first, TacticFailure) and first.kind is FailureKind.CRASHED
        assert env.stats().extra["crashes"] == 2  # the retry broke too
        for _ in range(3):
            failed = env.run_tactic(state, "flood")
            assert isinstance(failed, TacticFailure) and failed.kind is FailureKind.CRASHED
        assert env.stats().extra["crashes"] == 5  # one process each, no retry
        assert isinstance(env.run_tactic(state, "intro y"), Advanced)
        env._counters.requests += CRASH_RETRY_EVERY  # as if many requests had gone by
        assert isinstance(env.run_tactic(state, "once_crash"), Advanced)  # retried again


def test_failed_steps_count_toward_recycling(toy_repl_log: Path) -> None:
    with make_env(recycle_after=4) as env:
        root = env.open(THM)
        for _ in range(6):
            assert isinstance(env.run_tactic(root, "bad"), TacticFailure)
        assert env.stats().extra["recycles"] >= 1
    assert len({r["pid"] for r in requests(toy_repl_log) if "tactic" in r}) >= 2


def test_a_process_resident_above_the_limit_is_recycled(toy_repl_log: Path) -> None:
    with make_env(recycle_rss_bytes=100 << 20, warm_spare=False) as env:
        state = advance(env, env.open(THM), "grow 160")
        time.sleep(1.1)  # resident size is read at most once a second
        assert isinstance(env.run_tactic(state, "intro y"), Advanced)
        assert env.stats().extra["rss_recycles"] == 1 and env.stats().restarts == 0
    assert len({r["pid"] for r in requests(toy_repl_log) if "tactic" in r}) == 2


# -- item: exact? and proofStatus


def test_exact_search_answer_replaces_it_in_the_path_and_the_proof(toy_repl_log: Path) -> None:
    with make_env() as env:
        root = env.open(THM)
        split = advance(env, root, "split")
        first = advance(env, split, "exact?")
        assert first.path == ("split", "exact toy_lemma")
        proved = env.run_tactic(first, "simp")
        assert proved == Proved(("split", "exact toy_lemma", "simp"))
        verdict = env.verify(THM, proved.proof)
        assert verdict.ok, verdict.message
        assert not env.verify(THM, ("split", "exact?", "simp")).ok


def test_a_whole_proof_keeps_the_answer_of_its_exact_search(toy_repl_log: Path) -> None:
    """`check_proof` returned the sample as written, `exact?` included, and `verify` then refused
    it as a search left in a final proof: an honest sample lost (red-team round 26)."""
    with make_env() as env:
        checked = env.check_proof(THM, "exact?")
        assert checked == Proved(("exact toy_lemma",))
        assert env.verify(THM, checked.proof).ok


def test_a_suggestion_the_screen_refuses_never_replaces_the_search(toy_repl_log: Path) -> None:
    """Any message can start with "Try this:": an offer the screen refuses is not kept in the
    path (which is resent on replays) nor in the proof."""
    with make_env() as env:
        split = advance(env, env.open(THM), "split")
        first = advance(env, split, "exact? spoof")
        assert first.path == ("split", "exact? spoof")
        proved = env.run_tactic(first, "simp")
        assert isinstance(proved, Proved) and "sorry" not in " ".join(proved.proof)
        assert not env.verify(THM, proved.proof).ok  # `exact?` left in a final proof


def test_no_proof_status_is_an_error_once_the_repl_has_reported_one(toy_repl_log: Path) -> None:
    with make_env() as env:
        root = env.open(THM)
        advance(env, root, "intro x")  # this REPL reports proofStatus
        result = env.run_tactic(root, "nostatus")
        assert isinstance(result, TacticFailure) and "no proofStatus" in result.message
    with make_env() as env:  # a REPL never seen to report one (before repl #63): accepted
        assert isinstance(env.run_tactic(env.open(THM), "nostatus"), Proved)
    with make_env(require_proof_status=True) as env:
        assert isinstance(env.run_tactic(env.open(THM), "nostatus"), TacticFailure)


# -- item: the verifier's process


def test_verifier_is_recycled_after_n_proofs(toy_repl_log: Path) -> None:
    with make_env(verifier_recycle_after=2) as env:
        for _ in range(3):
            assert env.verify(THM, ["intro x", "rfl"]).ok
    sent = requests(toy_repl_log)
    compilers = [r["pid"] for r in sent if r.get("cmd", "").startswith("#print axioms toy_thm")]
    checkers = [r["pid"] for r in sent if "unpickleEnvFrom" in r]
    assert len(compilers) == 3 and len(set(compilers)) == 2
    # a checking process serves one proof (each loaded pickle imports the header again)
    assert len(checkers) == 3 and len(set(checkers)) == 3 and not set(checkers) & set(compilers)


def test_verifier_crash_is_retried_once_and_a_hang_rejected(toy_repl_log: Path) -> None:
    with make_env(verify_timeout=0.5) as env:
        verdict = env.verify(THM, ["exact VERIFY_CRASH_ONCE"])
        assert verdict.ok, verdict.message
        assert env.stats().extra["verifier_retries"] == 1
        hung = env.verify(THM, ["exact VERIFY_HANG"])
        assert not hung.ok and "failed twice" in hung.message
        assert env.verify(THM, ["rfl"]).ok  # a fresh verifier for the next proof
