"""The HOL Light screen: a whitelist grammar over tactic text, and what it sends instead (no process)."""

from __future__ import annotations

import pytest

from lean_env.hol_light.screen import ScreenError, ocaml_string, render, screen_tactic
from lean_env.hol_light.statements import normalise_name, proof_text, theorem_from_text
from lean_env.hol_light.goals import parse_state, pretty, toplevel_errors
from lean_env.registry import screen
from prover.portfolio import PORTFOLIOS

ACCEPTED = (
    "ARITH_TAC",
    "REPEAT STRIP_TAC THEN ASM_ARITH_TAC",
    "CONV_TAC REAL_FIELD",
    "REWRITE_TAC[]",
    "MESON_TAC[ADD_SYM; MULT_SYM]",
    "ASM_REWRITE_TAC[GSYM REAL_ADD_ASSOC; REAL_ARITH `x + &0 = x`]",
    "EXISTS_TAC `&2:real`",
    "X_GEN_TAC `x:num`",
    "SUBGOAL_THEN `x = 1` ASSUME_TAC THENL [ARITH_TAC; ALL_TAC]",
    "CONJ_TAC THENL [ARITH_TAC; REAL_ARITH_TAC]",
    "FIRST_X_ASSUM (MP_TAC o SPEC `0`)",
    "GEN_TAC ORELSE ALL_TAC",
    "(CONV_TAC NUM_REDUCE_CONV)",
    "MP_TAC (SPECL [`a:real`; `b:real`] REAL_LE_TOTAL)",
    "EXISTS_TAC `\\x. x + 1`",  # a lambda in a term
    "SPEC_TAC (`n:num`, `n:num`)",  # a tuple
    "ONCE_REWRITE_TAC[EQ_SYM_EQ] THEN NUM_REDUCE_TAC",
    "INDUCT_TAC THENL [ARITH_TAC; ASM_ARITH_TAC]",
    "X_GEN_TAC `y:real` THEN DISJ_CASES_TAC (SPEC `y:real` REAL_LE_TOTAL)",
    "MATCH_MP_TAC (ARITH_RULE `a < b ==> a <= b`)",
    'DISCH_THEN (LABEL_TAC "h1") THEN REMOVE_THEN "h1" SUBST1_TAC',  # assumption labels
    'INTRO_TAC "!x; (h1) h2" THEN USE_THEN "h2" MP_TAC',  # an intro pattern
)

# (attack, what it tries)
REFUSED = (
    ("CHEAT_TAC", "closes any goal through mk_thm"),
    ("ACCEPT_TAC (mk_thm ([], `F`))", "an axiom through mk_thm"),
    ("ACCEPT_TAC (new_axiom `F`)", "an axiom"),
    ("ACCEPT_TAC (Obj.magic 0)", "a forged theorem"),
    ("ALL_TAC;; let e _ = print_string \"proved\"", "a second phrase"),
    ("ALL_TAC;;", "a phrase end"),
    ("ALL_TAC ; ALL_TAC", "sequencing outside a list"),
    ("(ALL_TAC; ALL_TAC)", "sequencing in parentheses"),
    ("[ (ALL_TAC; CHEAT_TAC) ]", "sequencing inside a list element"),
    ("let t = ALL_TAC in t", "a definition"),
    ("fun g -> ALL_TAC g", "a function"),
    ("(fun g -> ALL_TAC g)", "a function in parentheses"),
    ("function _ -> ALL_TAC", "a function"),
    ("Sys.command \"rm -rf /\"", "a module path and a string"),
    ("ACCEPT_TAC (Hol.mk_thm ([], `F`))", "a module path"),
    ("LABEL_TAC \"h\\\"; CHEAT_TAC\"", "a backslash in a label"),
    ("LABEL_TAC \"h\" ^ \"x\"", "an operator between labels"),
    ("LABEL_TAC \"h\nx\"", "a line break in a label"),
    ("LABEL_TAC \"{|x|}\"", "braces in a label"),
    ("LABEL_TAC \"h", "an unclosed label"),
    ("LABEL_TAC \"" + "h" * 201 + "\"", "a label too long"),
    ("(* hidden *) ALL_TAC", "a comment"),
    ("ALL_TAC (* `x` *)", "a comment hiding text"),
    ("EXISTS_TAC `x", "an unclosed quotation"),
    ("EXISTS_TAC `x` `", "an unbalanced backquote"),
    ("EXISTS_TAC `a`b`", "a backquote inside a term ends it, leaving an unclosed one"),
    ("EXISTS_TAC `x`;; CHEAT_TAC", "a phrase end after a quotation"),
    ("EXISTS_TAC `1 = 1 \u2227 T`", "non-ASCII in a term"),
    ("ALL_TAC := CHEAT_TAC", "assignment"),
    ("r := 1", "assignment to a reference"),
    ("prover_verdict \"OK\"", "a driver name"),
    ("Prover_timeout", "a driver name, capitalised"),
    ("PROVER_STEP", "a driver name in capitals"),
    ("ALL_TAC THEN", "an infix without its right side"),
    ("THEN ALL_TAC", "an infix without its left side"),
    ("(ALL_TAC", "an unclosed parenthesis"),
    ("ALL_TAC)", "an unopened parenthesis"),
    ("[ALL_TAC", "an unclosed list"),
    ("'a'", "a character literal"),
    ("ALL_TAC.", "a dot"),
    ("!x. x", "an operator"),
    ("ALL_TAC <> ALL_TAC", "an operator"),
    ("if true then ALL_TAC else CHEAT_TAC", "a conditional"),
    ("match 1 with _ -> ALL_TAC", "a match"),
    ("begin ALL_TAC end", "begin/end"),
    ("try ALL_TAC with _ -> CHEAT_TAC", "an exception handler"),
    ("e ALL_TAC", "the subgoal package's e"),
    ("", "an empty text"),
    ("   ", "blanks"),
    ("1e10", "a malformed numeral"),
    ("ARITH_TAC\u00a0", "a no-break space"),
    ("{x with y = 1}", "a record"),
    ("#use \"x.ml\"", "a directive"),
)


@pytest.mark.parametrize("tactic", ACCEPTED)
def test_real_tactics_pass(tactic: str) -> None:
    assert screen_tactic(tactic) is None, screen_tactic(tactic)
    assert screen("hol-light", tactic) is None


@pytest.mark.parametrize("attack, why", REFUSED)
def test_attacks_are_refused(attack: str, why: str) -> None:
    reason = screen_tactic(attack)
    assert isinstance(reason, str) and reason, (attack, why)
    assert screen("hol-light", attack)
    with pytest.raises(ScreenError):
        render(attack)


def test_a_quotation_alone_is_an_expression_that_ocaml_types_not_the_screen() -> None:
    # The grammar only guarantees a harmless expression; the driver requires type `tactic`.
    assert screen_tactic("`x` `y`") is None


def test_every_portfolio_tactic_passes() -> None:
    for tactic, _ in PORTFOLIOS["hol-light"]:
        assert screen_tactic(tactic) is None, tactic


def test_render_replaces_quotations_with_parser_calls_on_escaped_strings() -> None:
    sent = render('EXISTS_TAC `\\x. x + "a"\nb`')
    assert sent == 'EXISTS_TAC (prover_term "\\\\x. x + \\"a\\"\\nb")'
    assert "`" not in sent and "\n" not in sent
    assert render("X_GEN_TAC `:num`") == 'X_GEN_TAC (prover_type "num")'
    assert render("MESON_TAC[ADD_SYM;MULT_SYM]") == "MESON_TAC [ ADD_SYM ; MULT_SYM ]"
    assert render('USE_THEN"h1"MP_TAC') == 'USE_THEN "h1" MP_TAC'  # a label is written anew


def test_a_quotation_cannot_end_the_string_it_is_sent_in() -> None:
    # Inside a quotation, `"` and `\` are escaped: the OCaml string ends where render ends it.
    sent = render('EXISTS_TAC `" ^ (CHEAT_TAC) ^ "`')
    assert sent == 'EXISTS_TAC (prover_term "\\" ^ (CHEAT_TAC) ^ \\"")'
    # HOL4-style antiquotation is only term text here (HOL Light's term parser rejects the `^`),
    # and a backquote inside it ends the quotation: what follows is lexed as tactic text, where
    # `mk_thm` stays inside the next quotation's string.
    assert render("EXISTS_TAC `x = ^(ACCEPT_TAC)`") == 'EXISTS_TAC (prover_term "x = ^(ACCEPT_TAC)")'
    sent = render("EXISTS_TAC `^(mk_thm([],`F`))`")
    assert sent == 'EXISTS_TAC (prover_term "^(mk_thm([],") F (prover_term "))")'
    assert screen_tactic("EXISTS_TAC (`a` ^ `b`)") is not None  # `^` outside a quotation
    sent = render("EXISTS_TAC `x\\`")
    assert sent == 'EXISTS_TAC (prover_term "x\\\\")'


def test_ocaml_string_refuses_what_it_cannot_write() -> None:
    assert ocaml_string('a"b\\c') == '"a\\"b\\\\c"'
    with pytest.raises(ScreenError):
        ocaml_string("\x00")


def test_theorem_files_and_names() -> None:
    thm = theorem_from_text("let mathd-algebra-10 = `abs(&1 - &2) = &1`;;\n")
    assert thm.name == "mathd_algebra_10" and thm.statement == "abs(&1 - &2) = &1" and thm.backend == "hol-light"
    assert normalise_name("amc12a-2019-p21") == "amc12a_2019_p21"
    multi = theorem_from_text("let induction-x = `!n:num.\n    n = n`;;")
    assert multi.statement == "!n:num.\n    n = n"
    from lean_env.base import BadTheorem

    for bad in ("let x = `a`;; let y = `b`;;", "prove(`x`, ARITH_TAC)", "let x = `a`"):
        with pytest.raises(BadTheorem):
            theorem_from_text(bad)
    text = proof_text(thm, ["REAL_ARITH_TAC"])
    assert text == "g `abs(&1 - &2) = &1`;;\ne(REAL_ARITH_TAC);;\nlet mathd_algebra_10 = top_thm();;\n"


def test_goal_frames_parse_into_goals() -> None:
    hexed = lambda s: s.encode().hex()  # noqa: E731
    body = f"H  {hexed('x = 1')}\nH {hexed('hx')} {hexed('y < 2')}\nC {hexed('x + y < 3')}\nC {hexed('T')}\n"
    goals = parse_state(body)
    assert len(goals) == 2
    first = goals[0]
    assert first.conclusion == "x + y < 3" and goals[1].conclusion == "T" and goals[1].hypotheses == ()
    assert [h.names for h in first.hypotheses] == [("0",), ("hx",)]
    assert [h.type for h in first.hypotheses] == ["x = 1", "y < 2"]
    shown = pretty(goals)
    assert shown.startswith("2 subgoals") and "  0 [`x = 1`]" in shown and "  1 [`y < 2`] (hx)" in shown
    assert pretty(goals[1:]) == "`T`"
    from lean_env.base import ProtocolError

    with pytest.raises(ProtocolError):
        parse_state("X 00\n")
    with pytest.raises(ProtocolError):
        parse_state(f"H {hexed('a')}\n")


def test_toplevel_errors_are_one_line() -> None:
    text = "# Line 1, characters 4-7:\n1 | prover_step 1 2 (FOO);;\nError: Unbound value FOO\nHint: Did you mean\n"
    assert toplevel_errors(text) == "Error: Unbound value FOO"
    text = "Exception:\n  Failure \"x\".\n"
    assert toplevel_errors(text) == 'Exception: Failure "x".'
    # raised while OCaml builds the tactic, before the driver's handler: after the prompt
    assert toplevel_errors("# Exception: Prover_timeout.\n# ") == "Exception: Prover_timeout."
    assert toplevel_errors("# # Stack overflow during evaluation (looping recursion?).\n") == (
        "Stack overflow during evaluation (looping recursion?).")


def test_a_timer_that_fires_while_the_tactic_is_built_is_a_timeout() -> None:
    """`REAL_RING ...` runs while OCaml builds the tactic, before the driver's handler, so the
    toplevel prints the timer's exception after its prompt: still a TIMEOUT, which a later
    search stage with more time may run again (an ERROR it would not)."""
    from types import SimpleNamespace

    from lean_env.base import FailureKind
    from lean_env.hol_light.env import HolLightEnv

    env = HolLightEnv.__new__(HolLightEnv)  # `_result` reads only the child's nonce and the text
    child = SimpleNamespace(nonce="n0")

    def result(text: str):
        return env._result(child, None, "REAL_RING `...`", text, 3)  # type: ignore[arg-type]

    assert result("# Exception: Prover_timeout.\n# ").kind is FailureKind.TIMEOUT
    refused = result("# Exception: Failure \"x\".\n# ")
    assert refused.kind is FailureKind.ERROR and refused.message == 'Exception: Failure "x".'
