"""LeanDojo, against the stand-in `lean_dojo` module (tests/fakes/lean_dojo_standin)."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from lean_env.base import FailureKind, ProofEnv
from tests.conformance.subjects import Subject

STANDIN = Path(__file__).resolve().parents[2] / "fakes" / "lean_dojo_standin"
URL, COMMIT = "https://github.com/leanprover-community/mathlib4", "29dcec074de168ac2bf835a77ef68bbe069194c5"


def _theorem(name: str):  # type: ignore[no-untyped-def]
    from lean_env.leandojo.env import dojo_theorem

    return dojo_theorem(URL, COMMIT, "Mathlib/Algebra/Toy.lean", name)


@contextmanager
def start(monkeypatch: pytest.MonkeyPatch, tmp: Path) -> Iterator[ProofEnv]:
    from lean_env.leandojo.env import DojoConfig, LeanDojoEnv

    monkeypatch.syspath_prepend(str(STANDIN))
    importlib.import_module("lean_dojo").OPENED.clear()
    with LeanDojoEnv(DojoConfig(tactic_timeout=5)) as env:
        yield env


def crash(env: ProofEnv) -> None:
    """The stand-in's Dojo dies as a real one whose Lean was killed: every call raises DojoCrashError."""
    opened = importlib.import_module("lean_dojo").OPENED
    live = [dojo for dojo in opened if not dojo.exited]
    assert live, "no live Dojo to kill"
    for dojo in live:
        dojo.crashed = True


SUBJECT = Subject(
    name="leandojo",
    start=start,
    theorem=_theorem("Nat.toy_add_zero"),
    proof=("split", "rfl", "simp"),
    failures=(("nonsense", FailureKind.ERROR), ("giveup", FailureKind.GAVE_UP), ("skip", FailureKind.NO_PROGRESS)),
    loop="hang",  # the stand-in raises DojoTacticTimeoutError at once, as a real Dojo does at its limit
    loop_timeout=1.0,
    timeout_bound=3.0,
    forbidden=("sorry", "admit", "native_decide", "#eval 1"),
    # The stand-in gives every theorem the goal `n + 0 = n`, so the refused case is a proof that
    # leaves that goal open.
    false_theorem=_theorem("Nat.toy_false"),
    cheat=("intro h",),
    crash=crash,
)
