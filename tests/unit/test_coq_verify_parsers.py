"""The Coq verifier's parsers read text the proof may influence: they must be strict."""

from __future__ import annotations

import pytest

from lean_env.coq.identity import identity_script, parse_identities
from lean_env.coq.verify import CLOSED, check_file, parse_assumptions, parse_coqchk

AXIOMS = (
    "Axioms:\nClassicalDedekindReals.sig_forall_dec\n  : forall P : nat -> Prop,\n"
    "    (forall n : nat, {P n} + {~ P n}) -> {n : nat | ~ P n} + {forall n : nat, P n}\n"
)


def test_closed_only_when_the_whole_output_is_the_phrase():
    assert parse_assumptions(CLOSED + "\n") == ("closed", [])
    assert parse_assumptions(f"noise\n{CLOSED}\n")[0] == "other"
    # An axiom whose printed type contains the phrase (as binder names) once passed as closed.
    cheat = f"Axioms:\ncheat : forall {CLOSED} : Prop, False\n"
    status, entries = parse_assumptions(cheat)
    assert status == "axioms" and entries == [f"cheat : forall {CLOSED} : Prop, False"]


def test_axioms_are_parsed_with_wrapped_types():
    status, entries = parse_assumptions(AXIOMS)
    assert status == "axioms" and len(entries) == 1
    assert entries[0].startswith("ClassicalDedekindReals.sig_forall_dec : forall P : nat -> Prop,")


@pytest.mark.parametrize(
    "text",
    [
        AXIOMS + "Constants relying on type-in-type:\nfoo\n",
        "Section Variables:\nx : nat\n",
        "Axioms:\n  : dangling continuation\n",
        "Axioms:\nnot-a-name : T\n",
        "Axioms:\n",
        "",
        "Error: something\n",
    ],
)
def test_anything_else_is_other(text):
    assert parse_assumptions(text)[0] == "other"


SUMMARY = """
CONTEXT SUMMARY
===============

* Theory: Set is predicative
  
* Axioms:
    Coq.Logic.FunctionalExtensionality.functional_extensionality_dep
    {extra}
  
* Constants/Inductives relying on type-in-type: {tit}
  
* Constants/Inductives relying on unsafe (co)fixpoints: <none>
  
* Inductives whose positivity is assumed: <none>
"""


def test_coqchk_summary():
    assert parse_coqchk(SUMMARY.format(extra="", tit="<none>")) is None
    assert "declares axioms" in parse_coqchk(SUMMARY.format(extra="ProverProof.Proof.cheat", tit="<none>"))
    assert "type-in-type" in parse_coqchk(SUMMARY.format(extra="", tit="\n    ProverProof.Proof.f"))
    assert parse_coqchk("Modules were successfully checked\n") is not None  # no summary: rejected


def test_the_check_file_is_the_verifiers_own_text():
    text = check_file("mathd_algebra_10", "prover_separator_0123")
    assert "type of ProverStmt.Stmt.mathd_algebra_10" in text and "ProverProof.Proof.mathd_algebra_10 : t" in text
    assert "Set Printing All. Set Printing Depth 100000.\nPrint ProverProof.Proof.mathd_algebra_10.\n" in text
    assert text.index("Print ProverProof.Proof.mathd_algebra_10.") < text.index("Print prover_separator_0123.")
    assert text.rstrip().endswith("Print Assumptions prover_type_check.")  # the checked term's axioms


def test_a_fixpoint_in_the_printed_term_is_seen():
    from lean_env.coq.verify import term_problem

    assert "fixpoint" in term_problem("t = (fix f (n : nat) : nat := n) 0\n     : nat")
    assert "fixpoint" in term_problem("t = cofix s := Cons 0 s")
    assert term_problem("t = Nat.add_comm fix_lemma prefix_ok\n     : forall n : nat, n = n") is None
    assert "too deep" in term_problem("t = f (g (h ...))\n     : nat")  # elided: it could hide one
    assert "VM cast" in term_problem("t = (I <: match x as y in eq _ y return Prop with eq_refl => True end)\n     : True")
    assert term_problem("t = (@eq_refl nat 4 <: @eq nat (Nat.add 2 2) 4)\n     : 2 + 2 = 4") is None
    assert "abstract" in term_problem("t = fun n : Z => ProverProof.Proof.t_subproof n\n     : nat", "t")
    assert term_problem("t = fun n : Z => other_subproof n\n     : nat", "t") is None


def test_definitional_uip_is_never_read_as_allowed_axioms():
    out = "Axioms:\nClassical_Prop.classic : forall P : Prop, P \\/ ~ P\nProverProof.Proof.f relies on definitional UIP.\n"
    assert parse_assumptions(out)[0] == "other"
    assert parse_assumptions("Closed under the global context\nProverProof.Proof.f relies on definitional UIP.")[0] == "other"


def test_a_coqc_error_is_reported_with_the_lines_that_continue_it() -> None:
    from lean_env.coq.verify import _errors

    out = ('File "./Proof.v", line 3, characters 0-9:\nError:\nIn environment\nn : nat\n'
           'The term "n" has type "nat" while it is expected to have type "False".\n')
    assert _errors(out, "") == 'Error: In environment n : nat The term "n" has type "nat" while it is expected to have type "False".'
    assert _errors("no error here\nlast line\n", "") == "no error here last line"


def test_identities_are_read_only_between_the_fresh_marker_and_once_per_name():
    names = ["add", "int", "twice", "junk"]
    line = "{m}:{i}: .Coq.A.{n} : (prod (const .Coq.A.int) (rel 1)) :{m}"
    text = "\n".join([
        line.format(m="MK", i=0, n="add"),
        "MK:1: .Coq.A.int\n  : (sort Set) :MK",  # wrapped: read up to whitespace
        line.format(m="MK", i=2, n="twice"), line.format(m="MK", i=2, n="twice"),  # printed twice: none
        "MK:3: .Coq.A.junk : forall x, x :MK",  # not the printer's text: none
        line.format(m="OTHER", i=0, n="forged"),  # another marker: ignored
        line.format(m="MK", i=9, n="out_of_range"),
    ])
    assert parse_identities(text, names, "MK") == {
        "add": ".Coq.A.add : (prod (const .Coq.A.int) (rel 1))", "int": ".Coq.A.int : (sort Set)"}


@pytest.mark.parametrize("name", ["a b", "x). Axiom c : False. (", "", "1a", "a..b"])
def test_identity_queries_take_qualified_names_only(name):
    with pytest.raises(ValueError):
        identity_script(["ok.name", name], "MK")


@pytest.mark.parametrize(
    "term",
    [
        "t = I <: True <: Prop" + " <: Type" * 10_000 + "\n     : True",  # how Coq prints a chain of casts
        "t = " + "(I <: " * 8_000 + "True" + ")" * 8_000 + "\n     : True",
    ],
    ids=["unparenthesised", "nested"],
)
def test_the_cast_audit_is_linear_in_the_printed_term(term):
    """`exact (I <: (True <: (Prop <: T)))` with T a chain of 5,000 casts built by a two-line Ltac
    recursion (4 s live) printed as one unparenthesised chain, and the audit read every cast's type
    to the end of the term: 24 s in the verifier, minutes for a longer chain or copies of it."""
    import time

    from lean_env.coq.verify import term_problem

    start = time.monotonic()
    assert term_problem(term) is None
    assert time.monotonic() - start < 1.0


def test_a_match_in_any_cast_type_is_still_found():
    from lean_env.coq.verify import term_problem

    match = "match x as y in eq _ y return Prop with eq_refl => True end"
    assert "VM cast" in term_problem(f"t = (I <: True) (J <: {match})\n     : True")
    assert "VM cast" in term_problem(f"t = I <: True <: ({match} <<: Prop)\n     : True")
    assert term_problem(f"t = ({match}) (I <: True)\n     : True") is None  # the match is no cast's type
    assert term_problem("t = (I <: mismatch)\n     : True") is None
