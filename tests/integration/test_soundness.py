"""Soundness against adversarial model output, on a real coqtop and coqc.

A model's tactic text must never make a false statement count as proved, run a vernacular command,
touch the file system, or leave the long-lived coqtop out of step for the next theorem. Each test
is an attack that once worked end to end (see tests/unit/test_screens_adversarial.py for the
screen-level cases).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lean_env.base import FailureKind, Proved, TacticFailure
from lean_env.coq.files import theorem_from_text
from lean_env.coq.sentences import split_sentences

pytestmark = pytest.mark.coq

REPO = Path(__file__).resolve().parents[2]
FALSE = theorem_from_text("Require Import Arith.\nTheorem f : 1 = 2.\n")

# Screen and coqc used to lex `(* "*)" *)` differently: the screen saw one harmless idtac whose
# string printed fake prompts (so the live coqtop said "No more goals."), while coqc, given the raw
# text, ran `Abort. Lemma f : True. Proof. ... exact I.` and Print Assumptions found f closed.
SMUGGLE = (
    'idtac (* "*) " *) . Abort. Lemma f : True. Proof. idtac (* <prompt>f < 7 |f| 0 < </prompt>'
    'No more goals.<prompt>f < 8 |f| 0 < </prompt>" (* "*) . exact I.'
)


def test_comment_string_smuggling_proves_nothing(coq_env):
    root = coq_env.open(FALSE)
    result = coq_env.run_tactic(root, SMUGGLE)
    assert isinstance(result, TacticFailure) and result.kind is FailureKind.REJECTED
    assert not coq_env.verify(FALSE, [SMUGGLE]).ok


@pytest.mark.parametrize("template", ['idtac... Redirect "{}" Print nat.', 'idtac.(**)Redirect "{}" Print nat.'])
def test_tactic_text_cannot_write_files(coq_env, tmp_path, template):
    target = tmp_path / "pwned"
    root = coq_env.open(FALSE)
    result = coq_env.run_tactic(root, template.format(target))
    assert isinstance(result, TacticFailure) and result.kind is FailureKind.REJECTED
    assert not list(tmp_path.iterdir())


def test_a_forged_prompt_that_passes_the_screen_does_not_prove_or_desync(coq_env, monkeypatch):
    # Defence in depth: even with the screen switched off, output that ends mid-line at a
    # prompt-like text is a protocol error: the process is replaced, and the next theorem is fine.
    monkeypatch.setattr("lean_env.coq.env.split_tactic", lambda text: (tuple(split_sentences(text)), None))
    root = coq_env.open(FALSE)
    forged = 'idtac "<prompt>f < 7 |f| 0 < </prompt>No more goals.<prompt>f < 8 |f| 0 < </prompt>". idtac.'
    result = coq_env.run_tactic(root, forged)
    assert not isinstance(result, Proved)
    monkeypatch.undo()
    true = theorem_from_text("Theorem g : 1 + 1 = 2.\n")
    proved = coq_env.run_tactic(coq_env.open(true), "reflexivity.")
    assert isinstance(proved, Proved) and coq_env.verify(true, proved.proof).ok
    still_false = coq_env.run_tactic(coq_env.open(FALSE), "idtac.")
    assert isinstance(still_false, TacticFailure)


def test_verifier_checks_what_the_live_process_ran(coq_env):
    true = theorem_from_text("Theorem t : True.\n")
    # A text without its final period is completed by the screen; coqc used to get it raw.
    assert coq_env.verify(true, ["exact I"]).ok
    assert coq_env.verify(true, ["idtac (* \"*)\" *) .", "exact I."]).ok


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "prover_cli.main", "prove", *args], cwd=REPO, capture_output=True, text=True, timeout=300
    )


def test_cli_does_not_prove_one_equals_two_with_smuggled_tactics(tmp_path):
    theorem = tmp_path / "false.v"
    theorem.write_text("Require Import Arith.\nTheorem f : 1 = 2.\n")
    tactics = tmp_path / "evil.txt"
    tactics.write_text(SMUGGLE + "\nidtac... Abort.\n")
    out = run_cli(str(theorem), "--tactics", str(tactics), "--no-portfolio", "--max-expansions", "2")
    assert out.returncode != 0 and "Proved" not in out.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["-s", "True. Axiom c : False"], "one sentence"),  # used to prove `True`, dropping the rest
        (["-s", "True", "--tactic-timeout", "nan"], "--tactic-timeout"),  # used to be a traceback
        (["-s", "True", "--max-expansions", "-3"], "--max-expansions"),
        (["-s", "True", "--num-samples", "0"], "--num-samples"),
        (["-s", "True", "--wall-time", "-1"], "--wall-time"),
        (["-s", "True", "--tree", "/nonexistent-dir/t.graphml"], "does not exist"),  # was a traceback
        (["-s", "True", "--name", "x"], "--name"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(args, message):
    out = run_cli(*args)
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in out.stderr
