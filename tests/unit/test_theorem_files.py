import pytest

from lean_env.base import BadTheorem
from lean_env.coq import files as coq_files
from lean_env.lean_repl import files as lean_files


def test_coq_file_keeps_header_and_statement_byte_for_byte():
    text = "Require Import Arith.\n(* note *)\nTheorem t :\n  forall n : nat, n = n.\nProof.\nAdmitted.\n"
    t = coq_files.theorem_from_text(text)
    assert t.name == "t" and t.header == "Require Import Arith.\n(* note *)\n"
    assert t.statement == "Theorem t :\n  forall n : nat, n = n."


def test_coq_statement_is_wrapped_and_named():
    t = coq_files.theorem_from_statement("forall n : nat, n + 0 = n")
    assert t.statement == "Theorem user_theorem : forall n : nat, n + 0 = n." and "Require Import" in t.header


def test_coq_name_selects_among_several():
    text = "Lemma a : True.\nProof. exact I. Qed.\nTheorem b : 1 = 1.\n"
    assert coq_files.theorem_from_text(text, "b").header == "Lemma a : True.\nProof. exact I. Qed.\n"
    with pytest.raises(BadTheorem, match="--name"):
        coq_files.theorem_from_text(text)
    with pytest.raises(BadTheorem, match="no theorem named 'c'"):
        coq_files.theorem_from_text(text, "c")


def test_lean_file_and_statement():
    text = "import Mathlib\nopen Real\n\ntheorem foo (n : ℕ) (h₀ : n > 0) :\n    n + 0 = n := by\n  sorry\n"
    t = lean_files.theorem_from_text(text)
    assert (t.name, t.backend, t.header) == ("foo", "lean", "import Mathlib\nopen Real\n\n")
    assert t.statement == "theorem foo (n : ℕ) (h₀ : n > 0) :\n    n + 0 = n := by\n"
    s = lean_files.theorem_from_statement("(n : ℕ) : n + 0 = n := by sorry")
    assert s.statement == "theorem user_theorem (n : ℕ) : n + 0 = n := by\n"
    with pytest.raises(BadTheorem, match=":= by"):
        lean_files.theorem_from_text("theorem x : True := trivial\n")
