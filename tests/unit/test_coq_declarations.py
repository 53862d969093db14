"""Which sentences declare a theorem to prove: Coq's theorem keywords with at most one locality,
nothing that changes how the statement or its proof is elaborated."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from lean_env.coq.declarations import declared_name

HONEST = [
    "Theorem t : True.", "Lemma t : True.", "Fact t : True.", "Remark t : True.", "Corollary t : True.",
    "Proposition t : True.", "Property t : True.", "Example t : True.",
    "Local Lemma t : True.", "Global Theorem t : True.", "Local  \n  Fact t : True.",
    "#[local] Lemma t : True.", "#[ global ] Property t : True.", "#[local]Lemma t : True.",
    "Lemma t(n : nat) : n = n.",
]
# Not theorems here: other declarations, attributes that change elaboration, two localities
# (Coq refuses those), and near misses of the keywords.
REFUSED = [
    "Definition t : True.", "Instance t : True.", "Let t : True.", "Axiom t : True.", "Parameter t : True.",
    "Program Lemma t : True.", "Polymorphic Lemma t : True.", "#[program] Lemma t : True.",
    "#[universes(polymorphic)] Lemma t : True.", "#[local, universes(polymorphic)] Lemma t : True.",
    "#[local] Local Lemma t : True.", "#[local] #[global] Lemma t : True.", "Local Global Lemma t : True.",
    "Local Definition t : True.", "LocalLemma t : True.", "Local Lemmas t : True.", "Lemmat : True.",
    "Local (* a comment *) Lemma t : True.",  # read on text with comments removed: see env.open
    "#[local] Program Lemma t : True.", "Local Program Lemma t : True.",
]


@pytest.mark.parametrize("sentence", HONEST)
def test_honest_theorem_declarations_are_read(sentence):
    assert declared_name(sentence) == "t"


@pytest.mark.parametrize("sentence", REFUSED)
def test_other_declarations_are_not_theorems(sentence):
    assert declared_name(sentence) is None


def test_names_are_whole_identifiers():
    assert declared_name("Local Lemma Local_t' : True.") == "Local_t'"
    assert declared_name("Lemma t.u : True.") is None


@pytest.mark.coq
@pytest.mark.skipif(shutil.which("coqc") is None, reason="coqc not installed")
def test_coq_proves_every_form_read_as_a_theorem_and_refuses_two_localities(tmp_path):
    """Every form read here is one Coq 8.16 accepts as a proved declaration; the double locality
    that is not read is one Coq itself refuses."""
    forms = [s.replace(" t", f" t{i}", 1).replace(": n = n", ": n = n").replace(": True.", ": True. Proof. exact I. Qed.")
             for i, s in enumerate(HONEST)]
    forms[-1] = forms[-1].replace("n = n.", "n = n. Proof. reflexivity. Qed.")
    (tmp_path / "Forms.v").write_text("\n".join(forms) + "\n")
    done = subprocess.run(["coqc", "-q", "Forms.v"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    for i, twice in enumerate(["#[local] Local Lemma", "#[local] #[global] Lemma", "Local Global Lemma"]):
        (tmp_path / f"Twice{i}.v").write_text(f"{twice} t : True. Proof. exact I. Qed.\n")
        done = subprocess.run(["coqc", "-q", f"Twice{i}.v"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert done.returncode != 0
