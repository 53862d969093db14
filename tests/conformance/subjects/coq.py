"""Coq 8.16: the real coqtop, and coqc/coqchk for verification."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from lean_env.base import FailureKind, ProofEnv, Theorem
from tests.conformance.subjects import Subject, kill_process_group

ARITH = "Require Import Arith Lia.\n"


@contextmanager
def start(monkeypatch: pytest.MonkeyPatch, tmp: Path) -> Iterator[ProofEnv]:
    from lean_env.coq.env import CoqConfig, CoqEnv

    with CoqEnv(CoqConfig(tactic_timeout=5.0)) as env:
        yield env


SUBJECT = Subject(
    name="coq",
    start=start,
    theorem=Theorem("add0", ARITH, "Theorem add0 : forall n m : nat, n + 0 = n /\\ m = m."),
    proof=("intros.", "split.", "- lia.", "- reflexivity."),
    failures=(("foo.", FailureKind.ERROR), ("idtac.", FailureKind.NO_PROGRESS)),
    loop="let rec f x := f x in f 1.",
    loop_timeout=1.0,
    timeout_bound=2.5,
    forbidden=("Axiom cheat : False.", "admit.", "Qed.", "Require Import Classical.", "Set Printing All."),
    false_theorem=Theorem("one_two", ARITH, "Theorem one_two : 1 = 2."),
    # No type check in tactic mode: the screen refuses it, and Qed would.
    cheat=("exact_no_check (eq_refl 1).",),
    crash=kill_process_group,
    marks=(pytest.mark.coq,),
)
