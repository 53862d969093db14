"""HOL Light: the real toplevel (Debian's hol-light), through the zygote shared by the test run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from lean_env.base import FailureKind, ProofEnv, Theorem
from tests.conformance.subjects import Subject, kill_process_group


@contextmanager
def start(monkeypatch: pytest.MonkeyPatch, tmp: Path) -> Iterator[ProofEnv]:
    from lean_env.hol_light.env import HolLightConfig, HolLightEnv

    with HolLightEnv(HolLightConfig(tactic_timeout=5.0)) as env:
        yield env


SUBJECT = Subject(
    name="hol-light",
    start=start,
    theorem=Theorem("add0_le", "", "!n. n + 0 = n /\\ n <= n + 1", "hol-light"),
    proof=("GEN_TAC", "CONJ_TAC", "ARITH_TAC", "ARITH_TAC"),
    failures=(
        ("NO_SUCH_TAC", FailureKind.ERROR),  # an unbound name: the toplevel's error
        ("CONJ_TAC", FailureKind.ERROR),  # the root is a universal, not a conjunction
        ("ADD_SYM", FailureKind.ERROR),  # a theorem, not a tactic: a type error
        ("ALL_TAC", FailureKind.NO_PROGRESS),
    ),
    # Swaps `n + 0` and `0 + n` for ever; the timer (or the watchdog) stops it.
    loop="REPEAT (ONCE_REWRITE_TAC[ADD_SYM])",
    loop_timeout=1.0,
    timeout_bound=3.0,
    forbidden=(
        "CHEAT_TAC",
        "ACCEPT_TAC (mk_thm ([], `F`))",
        "ACCEPT_TAC (new_axiom `F`)",
        "ALL_TAC;; let e = 1",
        "ACCEPT_TAC (Obj.magic 0)",
        "let t = ALL_TAC in t",
        "(* ARITH_TAC *) ALL_TAC",
        'LABEL_TAC "h\\"; CHEAT_TAC"',  # a label with a backslash: not a label
    ),
    false_theorem=Theorem("one_two", "", "1 = 2", "hol-light"),
    # Passes the screen and closes the goal, but from the assumption `1 = 2`: the theorem has a
    # hypothesis, which the verifier refuses.
    cheat=("ACCEPT_TAC (ASSUME `1 = 2`)",),
    crash=kill_process_group,
    marks=(pytest.mark.hol_light,),
)
