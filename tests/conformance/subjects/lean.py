"""Lean 4 through the REPL bridge, against the toy REPL (tests/fakes/toy_repl.py): no Lean here."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest

from lean_env.base import FailureKind, ProofEnv, Theorem
from tests.conformance.subjects import Subject
from tests.fakes import TOY_REPL

HEADER = "import Mathlib\n"


@contextmanager
def start(monkeypatch: pytest.MonkeyPatch, tmp: Path) -> Iterator[ProofEnv]:
    from lean_env.lean_repl.config import LeanConfig
    from lean_env.lean_repl.env import LeanEnv

    monkeypatch.setenv("FAKE_REPL_STATE", str(tmp))  # the toy's once-only faults keep markers here
    monkeypatch.setenv("PROVER_SANDBOX_WRITABLE", str(tmp))
    with LeanEnv(LeanConfig(repl_command=(sys.executable, str(TOY_REPL)), tactic_timeout=5.0)) as env:
        yield env


def crash(env: ProofEnv) -> None:
    """SIGKILL every toy REPL this test process started (the live one and its warm spare)."""
    victims = [p for p in psutil.Process().children(recursive=True) if str(TOY_REPL) in " ".join(p.cmdline())]
    assert victims, "no live REPL to kill"
    for proc in victims:
        try:
            os.kill(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    psutil.wait_procs(victims, timeout=5)


SUBJECT = Subject(
    name="lean",
    start=start,
    theorem=Theorem("toy_thm", HEADER, "theorem toy_thm (a b : ℕ) (h₀ : a = b) : b = a := by", "lean"),
    proof=("split", "rfl", "simp"),
    failures=(("bad", FailureKind.ERROR), ("gaveup", FailureKind.GAVE_UP), ("skip", FailureKind.NO_PROGRESS)),
    loop="hang",
    loop_timeout=0.5,
    timeout_bound=3.0,
    forbidden=("sorry", "admit", "#eval 1", "native_decide"),
    false_theorem=Theorem("toy_false", HEADER, "theorem toy_false : (1 : ℕ) = 2 := by", "lean"),
    # In the toy, `EXTRA_AXIOM` makes the proof depend on an axiom beyond Lean's standard three:
    # the way a false statement gets "proved".
    cheat=("exact EXTRA_AXIOM",),
    crash=crash,
)
