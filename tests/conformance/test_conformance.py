"""The conformance kit: the checks every registered proof assistant must pass.

Run against each assistant's real process (Coq) or its fake or recorded one (tests/fakes/); the
per-assistant data lives in tests/conformance/subjects/. See docs/adding-a-proof-assistant.md.
"""

from __future__ import annotations

import time

import pytest

from lean_env.base import Advanced, FailureKind, ProofEnv, ProofState, Proved, TacticFailure
from lean_env.registry import assistant, screen
from tests.conformance.subjects import Subject

pytestmark = pytest.mark.timeout(120)  # a bridge that hangs fails its check instead of the run


def walk(env: ProofEnv, subject: Subject) -> list[ProofState]:
    """Open the theorem and run every proof step but the last: the states along the way."""
    states = [env.open(subject.theorem)]
    for step in subject.proof[:-1]:
        result = env.run_tactic(states[-1], step)
        assert isinstance(result, Advanced), (step, result)
        states.append(result.state)
    return states


def test_open_and_prove(subject: Subject, env: ProofEnv, declared) -> None:
    declared("open")
    assert isinstance(env, ProofEnv) and isinstance(env, assistant(subject.name).env_class())
    assert env.backend == subject.name
    states = walk(env, subject)
    root = states[0]
    assert root.theorem == subject.theorem.name and root.path == () and root.goals and root.pretty
    for depth, state in enumerate(states):
        assert state.path == subject.proof[:depth] and state.pretty
    done = env.run_tactic(states[-1], subject.proof[-1])
    assert done == Proved(subject.proof)


def test_a_tactic_runs_on_any_earlier_state(subject: Subject, env: ProofEnv, declared) -> None:
    declared("earlier_state")
    states = walk(env, subject)
    again = env.run_tactic(states[0], subject.proof[0])  # the root, after the deepest state
    assert isinstance(again, Advanced) and again.state.key == states[1].key
    assert again.state.path == subject.proof[:1]
    assert env.run_tactic(states[-1], subject.proof[-1]) == Proved(subject.proof)  # deep again
    second = env.run_tactic(states[1], subject.proof[1])  # a middle state, after the deepest
    if len(states) > 2:
        assert isinstance(second, Advanced) and second.state.key == states[2].key
    else:
        assert second == Proved(subject.proof)


def test_failures_are_values(subject: Subject, env: ProofEnv, declared) -> None:
    declared("failure_values")
    root = env.open(subject.theorem)
    for tactic, kind in subject.failures:
        result = env.run_tactic(root, tactic)
        assert isinstance(result, TacticFailure) and result.kind is kind, (tactic, result)
        assert result.message.strip(), (tactic, result)
    states = walk(env, subject)  # the env is still fine
    assert env.run_tactic(states[-1], subject.proof[-1]) == Proved(subject.proof)


def test_a_loop_times_out_within_its_bound(subject: Subject, env: ProofEnv, declared) -> None:
    declared("timeout")
    states = walk(env, subject)
    start = time.monotonic()
    result = env.run_tactic(states[1], subject.loop, timeout=subject.loop_timeout)
    elapsed = time.monotonic() - start
    assert isinstance(result, TacticFailure) and result.kind is FailureKind.TIMEOUT, result
    assert elapsed < subject.timeout_bound, elapsed
    assert env.run_tactic(states[-1], subject.proof[-1]) == Proved(subject.proof)  # usable after


def test_a_killed_process_is_restarted_and_the_path_replayed(subject: Subject, env: ProofEnv, declared) -> None:
    declared("crash_replay")
    assert subject.crash is not None, "a subject without a crash hook must declare crash_replay unsupported"
    states = walk(env, subject)
    deep, before = states[-1], env.stats()
    subject.crash(env)
    assert env.run_tactic(deep, subject.proof[-1]) == Proved(subject.proof)
    after = env.stats()
    assert after.restarts > before.restarts
    assert after.replayed_tactics - before.replayed_tactics >= len(deep.path)


def test_forbidden_texts_are_refused_and_never_sent(subject: Subject, env: ProofEnv, declared) -> None:
    declared("screen")
    assert subject.forbidden
    root = env.open(subject.theorem)
    for step in subject.proof:
        assert env.screen(step) is None, step
    for text in subject.forbidden:
        why = env.screen(text)
        assert isinstance(why, str) and why, text
        assert screen(subject.name, text), f"the registered screen lets {text!r} through"
        sent = env.stats().requests
        result = env.run_tactic(root, text)
        assert isinstance(result, TacticFailure) and result.kind is FailureKind.REJECTED, (text, result)
        assert env.stats().requests == sent, f"{text!r} reached the proof assistant"


def test_verification_accepts_a_proof_and_refuses_a_cheat(subject: Subject, env: ProofEnv, declared) -> None:
    declared("verify")
    good = env.verify(subject.theorem, subject.proof)
    assert good.ok, good.message
    bad = env.verify(subject.false_theorem, subject.cheat)
    assert not bad.ok and bad.message.strip(), bad
