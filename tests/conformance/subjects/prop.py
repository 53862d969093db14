"""The toy propositional assistant (tests/fakes/prop_assistant.py, bridge in tests/example_prop/):
the worked example of docs/adding-a-proof-assistant.md, registered only while the kit runs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from lean_env.base import FailureKind, ProofEnv, Theorem
from tests.conformance.subjects import Subject, kill_process_group


@contextmanager
def start(monkeypatch: pytest.MonkeyPatch, tmp: Path) -> Iterator[ProofEnv]:
    from tests.example_prop.env import PropConfig, PropEnv

    with PropEnv(PropConfig(tactic_timeout=5.0)) as env:
        yield env


SUBJECT = Subject(
    name="prop",
    start=start,
    theorem=Theorem("and_swap", "", "p /\\ q -> q /\\ p", "prop"),
    proof=("intro h", "destruct h as a b", "split", "exact b", "exact a"),
    failures=(("exact h", FailureKind.ERROR), ("trivial", FailureKind.ERROR), ("idle", FailureKind.NO_PROGRESS)),
    loop="loop",
    loop_timeout=0.5,
    timeout_bound=3.0,
    forbidden=("admit", "split; admit", "intro h\nexact h"),
    false_theorem=Theorem("p_to_q", "", "p -> q", "prop"),
    cheat=("intro h", "exact h"),  # `h : p` is not a proof of `q`
    crash=kill_process_group,
    test_only="tests.example_prop.assistant:ASSISTANT",
)
