"""Theorems declared with a locality (`Local Lemma`, `#[global] Property`) are proved and
verified like any other; declarations that are not theorems stay refused."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lean_env.base import BadTheorem, Theorem
from lean_env.coq.files import proofs_in_coq_text, theorem_from_text

pytestmark = pytest.mark.coq

REPO = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "prover_cli.main", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=300)


def test_prove_a_local_lemma_by_name(tmp_path):
    path = tmp_path / "l.v"
    path.write_text("Require Import Arith.\nLemma a : True.\nProof. exact I. Qed.\n"
                    "Local Lemma x : 1 + 1 = 2.\nProof. Admitted.\n")
    out = run("prove", str(path), "--name", "x")
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.startswith("Proved x") and "Local Lemma x : 1 + 1 = 2." in out.stdout


def test_verify_reads_every_theorem_form_and_still_refuses_what_is_not_proved(tmp_path):
    path = tmp_path / "forms.v"
    path.write_text(
        "Require Import Arith.\n"
        "Local Lemma a : 1 + 1 = 2.\nProof. reflexivity. Qed.\n"
        "#[global] Property b : 2 + 2 = 4.\nProof. reflexivity. Qed.\n"
        "#[local] Fact c : 1 = 2.\nProof. Admitted.\n"
        "Local Definition d : 1 = 1.\nProof. reflexivity. Qed.\n"  # not a theorem: not read
        "Global Remark e : 1 = 2.\nProof. idtac. Abort.\n"
    )
    out = run("verify", str(path))
    lines = out.stdout.splitlines()
    assert out.returncode == 1, out.stdout + out.stderr
    assert [" ".join(ln.split()[:2]) for ln in lines[:-1]] == ["ok a", "ok b", "FAIL c:", "FAIL e:"], lines
    assert lines[-1] == "2/4 proofs verified"


def test_the_file_readers_keep_the_declaration_as_written():
    text = "Require Import Arith.\n#[local] Lemma x : 0 = 0.\nProof. reflexivity. Qed.\n"
    theorem = theorem_from_text(text)
    assert theorem.name == "x" and theorem.statement == "#[local] Lemma x : 0 = 0."
    assert [p.name for p in proofs_in_coq_text(text)] == ["x"]
    with pytest.raises(BadTheorem):
        theorem_from_text("Require Import Arith.\nProgram Lemma x : 0 = 0.\n")


@pytest.mark.parametrize("statement", ["Local Lemma t : 2 + 2 = 4.", "#[local] Theorem t : 2 + 2 = 4.",
                                       "Global Property t : 2 + 2 = 4.", "Local (* c *) Corollary t : 2 + 2 = 4."])
def test_the_env_opens_and_verifies_theorems_with_a_locality(coq_env, statement):
    theorem = Theorem("t", "Require Import Arith.\n", statement, "coq")
    assert coq_env.open(theorem).goals[0].conclusion == "2 + 2 = 4"
    assert coq_env.verify(theorem, ["reflexivity."]).ok


@pytest.mark.parametrize("statement", ["Program Lemma t : 2 + 2 = 4.", "Definition t : 2 + 2 = 4.",
                                       "#[local] Local Lemma t : 2 + 2 = 4.", "Axiom t : 2 + 2 = 4.",
                                       "Instance t : 2 + 2 = 4."])
def test_the_env_still_refuses_other_declarations(coq_env, statement):
    with pytest.raises(BadTheorem):
        coq_env.open(Theorem("t", "Require Import Arith.\n", statement, "coq"))
