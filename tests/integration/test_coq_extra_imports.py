"""`--extra-imports`: tactic libraries loaded for the search and the proof module, never the statement."""

from __future__ import annotations

import pytest

from lean_env.base import FailureKind, Proved, TacticFailure, Theorem
from lean_env.coq.env import DEFAULT_EXTRA_IMPORTS, CoqConfig, CoqEnv, check_extra_imports
from lean_env.coq.verify import statement_file

pytestmark = pytest.mark.coq

REALS_ONLY = Theorem(
    "lra_needed",
    "Require Import Reals.\nOpen Scope R_scope.\n",
    "Theorem lra_needed : forall x y : R, 2 * x < y -> x < y - x.",
)


def _prove_and_verify(env: CoqEnv, theorem: Theorem, tactic: str):
    """Run one closing tactic on the root state; return its independent verification."""
    result = env.run_tactic(env.open(theorem), tactic)
    assert isinstance(result, Proved), result
    verdict = env.verify(theorem, result.proof)
    assert verdict.ok, verdict.message
    return verdict


def test_lra_is_missing_without_and_verified_with_extra_imports() -> None:
    with CoqEnv(CoqConfig(tactic_timeout=5.0)) as env:
        root = env.open(REALS_ONLY)
        result = env.run_tactic(root, "intros; lra.")
        assert isinstance(result, TacticFailure) and result.kind is FailureKind.ERROR
        assert "lra" in result.message
    with CoqEnv(CoqConfig(tactic_timeout=5.0, extra_imports=DEFAULT_EXTRA_IMPORTS)) as env:
        verdict = _prove_and_verify(env, REALS_ONLY, "intros; lra.")
        # The proof module loads the libraries between the header and the statement...
        header_end = verdict.script.index("Open Scope R_scope.")
        assert header_end < verdict.script.index(DEFAULT_EXTRA_IMPORTS) < verdict.script.index("Theorem lra_needed")
    # ...and the statement module never does.
    assert "Lra" not in statement_file(REALS_ONLY)


def test_axioms_brought_by_extra_imports_are_allowed_and_only_those() -> None:
    theorem = Theorem("em_or", "", "Theorem em_or : forall P : Prop, P \\/ ~ P.")
    classic = "From Coq Require Import Classical."
    with CoqEnv(CoqConfig(tactic_timeout=5.0, extra_imports=classic)) as env:
        verdict = _prove_and_verify(env, theorem, "intros P; apply classic.")
        assert verdict.axioms == ("Classical_Prop.classic",)
        # A proof that declares its own axiom is still refused (the screen and the audit hold).
        assert isinstance(env.run_tactic(env.open(theorem), "Axiom cheat : False."), TacticFailure)


def test_extra_imports_must_be_library_loads() -> None:
    assert check_extra_imports(DEFAULT_EXTRA_IMPORTS) == [DEFAULT_EXTRA_IMPORTS]
    assert check_extra_imports("From Coq Require Import Lia Lra.\nRequire Coq.Reals.Reals.") == [
        "From Coq Require Import Lia Lra.", "Require Coq.Reals.Reals."]
    for bad in ("Axiom cheat : False.", "Require Import Lia. Set Printing All.", "Require Import Lia",
                # what Coq reads as a second sentence or a quotation, not as library names
                "From Coq Require Import Lia.\u00a0Axiom c : False.", "Require Import Lia 1:{{ . Axiom c : False. }}."):
        with pytest.raises(ValueError):
            check_extra_imports(bad)
    with pytest.raises(ValueError):
        CoqEnv(CoqConfig(extra_imports="Definition x := 1."))


def test_extra_imports_come_only_from_the_libraries_that_cannot_change_what_a_proof_means() -> None:
    from prover.portfolio import HAMMER_IMPORTS

    assert len(check_extra_imports(HAMMER_IMPORTS)) == 3
    assert check_extra_imports("Require Import Coq.micromega.Lia.") == ["Require Import Coq.micromega.Lia."]
    # Ltac2 builds terms unchecked (Constr.Unsafe), ssreflect changes the tactic grammar, mathcomp
    # and other roots are not vetted; a bare name is resolved by Coq's load path, not by us
    for bad in ("From Ltac2 Require Import Ltac2.", "Require Import Ltac2.Ltac2.", "Require Import Lia.",
                "From Coq Require Import ssreflect.", "From Coq Require Import ssr.ssrbool.",
                "From mathcomp Require Import ssreflect.", "From Coq Require Import Compat.AdmitAxiom.",
                "From Coq Require Import Lia. From Ltac2 Require Ltac2."):
        with pytest.raises(ValueError, match="only the standard library"):
            check_extra_imports(bad)


def test_the_proof_module_gets_the_checked_sentences_not_the_raw_text() -> None:
    """Comments and blanks the splitter read are gone: what coqc reads is what was checked."""
    env = CoqEnv(CoqConfig(extra_imports="From Coq Require Import Lia   Lra. (* note *)\n Require Coq.Reals.Reals."))
    try:
        assert env.config.extra_imports == "From Coq Require Import Lia Lra.\nRequire Coq.Reals.Reals."
    finally:
        env.close()


def test_a_header_with_proofs_of_its_own_runs_them_before_the_extra_libraries_load() -> None:
    # A development's later theorem: its header proves lemmas. Had the extra libraries been
    # loaded first (as for a header without proofs), their constants, hints and instances would
    # already exist while those proofs run, unlike in the file (and in the verifier's order).
    theorem = Theorem(
        "later",
        "Require Import Arith.\nLemma earlier : True.\nProof.\n"
        "  Fail Check Coq.micromega.ZMicromega.ZTautoChecker_sound.\n  exact I.\nQed.\n",
        "Theorem later : forall n : nat, n + 0 = n.",
    )
    with CoqEnv(CoqConfig(tactic_timeout=5.0, extra_imports=DEFAULT_EXTRA_IMPORTS)) as env:
        _prove_and_verify(env, REALS_ONLY, "intros; lra.")  # libraries loaded once for a proof-less header
        _prove_and_verify(env, theorem, "intros; lia.")
        _prove_and_verify(env, REALS_ONLY, "intros; lra.")
