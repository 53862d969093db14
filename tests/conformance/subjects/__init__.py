"""What the conformance kit needs to know about each proof assistant: one `Subject` per assistant.

A subject says how to start the assistant's env (its real process, or a fake or recorded one),
and gives the kit a theorem with a proof of two or more steps, tactics that fail in known ways, a
loop, texts the assistant must refuse, a false theorem with a cheating proof, and how to kill its
process from outside. The kit (tests/conformance/test_conformance.py) runs the same checks on
every subject. A capability an env lacks is declared in `unsupported` with the reason; the kit
then requires that check to fail (strict xfail), so the declaration cannot go stale.
"""

from __future__ import annotations

import importlib
import os
import signal
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from lean_env.base import FailureKind, ProofEnv, Theorem

# The checks of the kit, by name. A subject declares the ones its env cannot pass in `unsupported`.
CAPABILITIES = frozenset(
    {"open", "earlier_state", "failure_values", "timeout", "crash_replay", "screen", "verify"}
)

Starter = Callable[[pytest.MonkeyPatch, Path], AbstractContextManager[ProofEnv]]


@dataclass(frozen=True)
class Subject:
    name: str  # the assistant's name in lean_env.registry.ASSISTANTS
    # Starts the env for one test, inside a `with`; may set environment variables through the
    # monkeypatch and write under the temporary directory. Closed by the kit.
    start: Starter
    theorem: Theorem  # a true theorem ...
    proof: tuple[str, ...]  # ... and its proof: every step but the last advances, the last proves
    failures: tuple[tuple[str, FailureKind], ...]  # tactics and the failure value each must give
    loop: str  # a tactic that never ends
    loop_timeout: float  # the timeout the loop is run under
    timeout_bound: float  # seconds within which run_tactic must return TIMEOUT for it
    forbidden: tuple[str, ...]  # texts the screen refuses and run_tactic never sends
    false_theorem: Theorem  # a statement that is false ...
    cheat: tuple[str, ...]  # ... and a "proof" of it the verifier must refuse
    crash: Callable[[ProofEnv], None] | None  # kills the env's live process from outside
    unsupported: Mapping[str, str] = field(default_factory=dict)  # capability -> why not
    marks: tuple[pytest.MarkDecorator, ...] = ()  # e.g. pytest.mark.coq: needs coqtop
    # For an assistant registered only while the kit runs (the worked example): the
    # "module:ASSISTANT" its registry line would name.
    test_only: str | None = None

    def __post_init__(self) -> None:
        if len(self.proof) < 2:
            raise ValueError(f"{self.name}: the subject's proof needs two or more steps")
        unknown = set(self.unsupported) - CAPABILITIES
        if unknown:
            raise ValueError(f"{self.name}: unknown capabilities {sorted(unknown)}")
        if not any(kind is FailureKind.ERROR for _, kind in self.failures):
            raise ValueError(f"{self.name}: the failures must include an ERROR")


# One line per assistant: its registry name -> the module holding its SUBJECT.
SUBJECTS: dict[str, str] = {
    "coq": "tests.conformance.subjects.coq",
    "lean": "tests.conformance.subjects.lean",
    "isabelle": "tests.conformance.subjects.isabelle",
    "leandojo": "tests.conformance.subjects.leandojo",
    "prop": "tests.conformance.subjects.prop",  # the worked example of docs/adding-a-proof-assistant.md
    "hol-light": "tests.conformance.subjects.hol_light",

}

# Registered assistants the kit does not cover, each with the reason. Empty: every one is covered.
NOT_CONFORMANCE_TESTED: dict[str, str] = {}


def kill_process_group(env: ProofEnv) -> None:
    """A `crash` for envs with a `pid` property: SIGKILL its process group (under the sandbox, the
    pid is bubblewrap's and the assistant its child)."""
    pid = env.pid  # type: ignore[attr-defined]
    assert pid is not None, f"no live {env.backend} process to kill"
    os.killpg(pid, signal.SIGKILL)


def load(name: str) -> Subject:
    subject = importlib.import_module(SUBJECTS[name]).SUBJECT
    assert isinstance(subject, Subject) and subject.name == name, SUBJECTS[name]
    return subject


def all_subjects() -> Iterator[Subject]:
    for name in SUBJECTS:
        yield load(name)
