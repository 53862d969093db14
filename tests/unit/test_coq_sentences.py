import pytest

from lean_env.coq.sentences import SentenceError, sentence_spans, split_sentences, split_tactic, screen_tactic


@pytest.mark.parametrize(
    "text, expected",
    [
        ("intros n. induction n.", ["intros n.", "induction n."]),
        ("rewrite Nat.add_comm. lia.", ["rewrite Nat.add_comm.", "lia."]),
        ("- simpl. + auto. ** lia.", ["-", "simpl.", "+", "auto.", "**", "lia."]),
        ("2: { lia. } exact I.", ["2: {", "lia.", "}", "exact I."]),
        ('idtac "a. b". (* x. (* y. *) *) auto.', ['idtac "a. b".', "auto."]),
        ("exact {| f := 1 |}.", ["exact {| f := 1 |}."]),
        ("apply (H 1.5).", ["apply (H 1.5)."]),
        ("intros\n  x y.", ["intros x y."]),
    ],
)
def test_split_sentences(text, expected):
    assert split_sentences(text) == expected


def test_spans_point_into_the_original_text():
    text = "Require Import Arith.\n(* c *)\nTheorem t : 1 = 1.\nProof. auto. Qed."
    spans = sentence_spans(text)
    assert [text[a:b] for a, b in spans] == ["Require Import Arith.", "Theorem t : 1 = 1.", "Proof.", "auto.", "Qed."]


def test_unclosed_comment_and_string_are_errors():
    with pytest.raises(SentenceError):
        split_sentences("intros. (* oops")
    assert split_tactic('idtac "oops')[1] == "unclosed string"


FORBIDDEN = [
    "Qed.", "Defined.", "Admitted.", "Abort.", "Abort All.", "Axiom cheat : False.", "Parameter p : nat.",
    "admit.", "give_up.", "all: admit.", "Require Import Classical.", "Load foo.", "Redirect \"f\" Print t.",
    "Extraction t.", "Set Printing All.", "Unset Printing Notations.", "Reset t.", "BackTo 1.", "Drop.",
    "Declare ML Module \"x\".", "Undo.", "Quit.", "Hypothesis h : False.", "Variable v : nat.",
    "Definition d := 1.", "Ltac loop := loop.", "Lemma l : False.", "Proof.", "Time lia.", "Fail lia.",
    "Timeout 1 lia.", "Local Axiom a : False.", "#[local] Axiom a : False.", "Print Assumptions t.",
    "Check 1.", "Inductive f := .", "Hint Resolve x.", "Export Set Printing All.", "Instance i : C.",
    "lia. Axiom c : False.", "intros; admit.", "(* just a comment *)", "", "   ",
    # no type check until Qed, and the VM runs an ill-typed term (a crash, or a read of random memory)
    "exact_no_check I.", "change_no_check (1 = 1).", "pose (n := (ltac:(exact_no_check (fun x : nat => x)) : nat * nat)).",
    # a second-order pattern rebuilds an unfolded library fixpoint around a body of one's own
    "match goal with |- let x := _ in @?B x => idtac end.",
]


@pytest.mark.parametrize("text", FORBIDDEN)
def test_forbidden_texts_are_rejected_with_a_reason(text):
    sentences, reason = split_tactic(text)
    assert sentences == () and reason, text
    assert screen_tactic(text) == reason


@pytest.mark.parametrize(
    "text",
    ["intros.", "lia", "all: lia.", "2: lia.", "set (y := 1).", "(intros; lia).", "[> lia | lia ].", "Unshelve.",
     "intros. - lia. - auto.", "psatz R 2.", "induction n as [|n IHn]; simpl; auto.",
     "-", "{", "}", "split. - exact I. - exact I.", "[a']: {", "[x₁]: {", "1-2,3: {", "!: {"],
)
def test_tactics_pass(text):
    sentences, reason = split_tactic(text)
    assert reason is None and sentences


def test_lazy_goals_parse_on_first_use_and_pickle():
    import pickle

    from lean_env.base import LazyGoals, ProofState
    from lean_env.coq.output import parse_output

    parsed = parse_output("2 goals (ID 7)\n  \n  n, m : nat\n  ============================\n  n + 0 = n\n\ngoal 2 (ID 8) is:\n m = m\n")
    assert isinstance(parsed.goals, LazyGoals) and parsed.count == 2
    assert [g.conclusion for g in parsed.goals] == ["n + 0 = n", "m = m"]
    assert parsed.goals[0].hypotheses[0].names == ("n", "m")
    state = ProofState("t", (), parsed.goals, parsed.display)
    clone = pickle.loads(pickle.dumps(state))
    assert clone == state and clone.key == state.key and "(ID" not in state.pretty


def test_the_printed_proof_is_the_screened_one():
    """What the user pastes is what the verifier compiled: periods added, comments dropped."""
    from lean_env.base import Theorem
    from lean_env.coq.assistant import ASSISTANT

    theorem = Theorem("t", "Require Import Lia.", "Theorem t : forall n : nat, n + 0 = n.")
    text = ASSISTANT.proof_text(theorem, ["intros", "lia (* closes it *)"])
    assert text.endswith("Proof.\n  intros.\n  lia.\nQed.\n"), text


@pytest.mark.parametrize(
    "text, why",
    [
        ("[a\u00a0]: { Axiom c : False.", "U+00A0"),  # a letter to Coq: a selector, a brace, a command
        ("idtac\u200b. Abort.", "U+200B"),  # zero-width space
        ("idtac\u2024 Abort.", "U+2024"),  # one dot leader
        ("intros x\u203fy.", "U+203F"),  # connector punctuation: a symbol to Coq
        ("lia. (* \x00 *)", "U+0000"),
        ('idtac "\ud800".', "U+D800"),  # a lone surrogate: no UTF-8 can carry it to Coq
        ('idtac "\u009b2K\u009b1Gok".', "U+009B"),  # C1 CSI: the printed proof would drive the terminal
        ('idtac "a\u202eb".', "U+202E"),  # a bidi override: the printed proof reads otherwise
        ('idtac "a\u2028b".', "U+2028"),
        ('idtac "Admitted.\rQed.    ".', "U+000D"),  # prints over its own line's start
        ("match goal with |- let x := _ in @ ?B x => idtac end.", "second-order"),  # two tokens to Coq
        ("match goal with |- let x := _ in @(* *)?B x => idtac end.", "second-order"),
        ("predict 4.", "starts a program"),  # CoqHammer's predict runs its binary through /bin/sh
        ("ptimeout 100 (do 2000000000 idtac).", "forks Coq"),  # the fork outlives Coq's Timeout
        ("assert (H : False) by Coq.micromega.Lra.rchecker_abstract.", "not type-checked"),  # vm_cast_no_check inside
        ("try (ptimeout 5 auto).", "forks Coq"),
        ("lia. (* \udfff *)", "U+DFFF"),
        ("[x²]: { idtac.", "not a tactic"),  # a superscript ends the name: no selector
        ("exact (eq_refl <<: 2 + 2 = 4).", "native"),
        ("interval with (i_native_compute).", "OCaml"),
        ("idtac x':{{ . Abort. }}.", "quotation"),
    ],
)
def test_text_coq_would_read_otherwise_is_refused(text, why):
    sentences, reason = split_tactic(text)
    assert not sentences and why in reason, reason


def test_a_brace_after_more_than_a_selector_ends_no_sentence():
    # The lexer once kept 8 tokens, so `1,2,3,4:` hid what followed and `{` ended the sentence.
    assert split_tactic("1,2,3,4,5,6,7,8: idtac { Abort.") == (("1,2,3,4,5,6,7,8: idtac { Abort.",), None)
    assert split_tactic("1,2,3,4: {") == (("1,2,3,4: {",), None)


def test_mathematical_unicode_passes():
    assert split_tactic("assert (h₁ : ∀ x : R, x² ≥ 0 → σ x ≤ ℝ).")[1] is None


@pytest.mark.parametrize(
    "text",
    [
        "idtac " + '"a" ' * 20000 + ".",  # each string's context was searched over all the text before it
        "fail 1 " + '"a" ' * 20000 + ".",
        "idtac " + '"a""b" ' * 12000 + ".",
    ],
    ids=["idtac-strings", "fail-strings", "escaped-quotes"],
)
def test_the_screen_answers_in_linear_time(text):
    """The screen runs in the search's (and `prover verify`'s) own process before any time limit:
    a text of many message strings must not stall it (red-team round 26: 80,000 characters took
    about a minute)."""
    import time

    split_tactic.cache_clear()
    start = time.monotonic()
    sentences, reason = split_tactic(text)
    assert reason is None and len(sentences) == 1
    assert time.monotonic() - start < 1.0


@pytest.mark.parametrize(
    "text, ok",
    [
        ('idtac "a" "b".', True), ('fail 2 "a" "b".', True), ('gfail "a".', True), ('idtac"a".', True),
        ('exact "a".', False), ('xidtac "a".', False), ('idtac "a" x "b".', False), ('idtac "a"  "b".', True),
        ('idtac 1 "a".', True), ('fail "a" 1 "b".', False), ('fail ' + '0' * 60 + ' "a".', False),
    ],
)
def test_strings_are_allowed_only_as_messages(text, ok):
    assert (split_tactic(text)[1] is None) == ok, split_tactic(text)
