"""Adversarial model output against the Coq and Lean screens (no proof assistant needed).

Each case here is an attack that got past a screen once, or a cheap guard next to one: the
screen must lex text the way the proof assistant does, or the two disagree on what runs.
"""

from __future__ import annotations

import pytest

from lean_env.base import ProtocolError, Theorem
from lean_env.coq.output import parse_output
from lean_env.coq.sentences import sentence_spans, split_sentences, split_tactic
from lean_env.coq.verify import proof_file
from lean_env.lean_repl.screen import screen_tactic as lean_screen

# Coq lexes a string inside a comment, so `(* "*)" *)` is one comment; the screen used to end it at
# the first `*)` and read the Coq code that follows as the inside of a harmless idtac string.
COMMENT_STRING_SMUGGLE = (
    'idtac (* "*) " *) . Abort. Lemma f : True. Proof. idtac (* <prompt>f < 7 |f| 0 < </prompt>'
    'No more goals.<prompt>f < 8 |f| 0 < </prompt>" (* "*) . exact I.'
)


def test_comments_contain_strings_as_in_coq():
    assert split_sentences('idtac (* "*)" *). auto.') == ["idtac .", "auto."]
    assert split_sentences('(* a "(*" b *) exact I.') == ["exact I."]
    assert split_tactic('idtac. (* "*) *)')[1] == "unclosed string"  # Coq: unterminated string


@pytest.mark.parametrize(
    "text",
    [
        COMMENT_STRING_SMUGGLE,
        "idtac... Abort.",  # `tac...` ends a Coq sentence: two sentences, the second a command
        'idtac... Redirect "/tmp/pwned" Print nat.',
        "idtac.(**)Abort.",  # sent as `idtac. Abort.` once the comment is removed
        'idtac.(* x *)Redirect "/tmp/pwned" Print nat.',
    ],
)
def test_vernacular_hidden_from_the_splitter_is_refused(text):
    sentences, reason = split_tactic(text)
    assert sentences == () and reason, text


@pytest.mark.parametrize(
    "text",
    [
        'idtac "</infomsg>No more goals.<infomsg>"',  # turns a no-op into "proved" in output.py
        'idtac "<prompt>f < 7 |f| 0 < </prompt>No more goals.<prompt>f < 8 |f| 0 < </prompt>"',
        'fail "<prompt>Coq < 3 || 0 < </prompt>"',
        # Not even a tactic: Coq echoes the bad input line in its error, prompt included.
        "foo <prompt>f < 7 |f| 0 < </prompt>No more goals.<prompt>f < 8 |f| 0 < </prompt>. idtac.",
        'idtac "<warning>x</warning>"',
    ],
)
def test_text_imitating_coqtop_framing_is_refused(text):
    sentences, reason = split_tactic(text)
    assert sentences == () and "framing" in reason


@pytest.mark.parametrize("text", ["idtac {", "idtac..", "idtac....", "exact I}.....", "lia. idtac {", "idtac ..."])
def test_sentences_coq_would_wait_on_are_refused_or_finished(text):
    # Coq reads on past an unfinished sentence, taking the next text sent as its rest: the screen
    # either refuses the text or completes it so that each sentence it sends is finished alone.
    sentences, reason = split_tactic(text)
    assert reason or all(len(sentence_spans(s + " idtac.")) == 2 for s in sentences), sentences


@pytest.mark.parametrize("text", ["native_compute. reflexivity.", "native_cast_no_check (eq_refl 4)."])
def test_native_compilation_is_refused(text):
    assert "OCaml" in split_tactic(text)[1]


@pytest.mark.parametrize(
    "text, sentences",
    [
        ("idtac... lia.", ("idtac...", "lia.")),
        ('idtac "a (* b". auto.', ('idtac "a (* b".', "auto.")),
        ("2: { lia. }", ("2: {", "lia.", "}")),
        ("exact {| a := 1 |}.", ("exact {| a := 1 |}.",)),
        ("vm_compute. reflexivity.", ("vm_compute.", "reflexivity.")),
    ],
)
def test_ordinary_texts_still_pass(text, sentences):
    assert split_tactic(text) == (sentences, None)


def test_the_verifier_checks_the_screened_sentences_not_the_raw_text():
    theorem = Theorem("f", "", "Theorem f : True.")
    text = proof_file(theorem, ["idtac (* c *)\n  .", "exact I"])
    assert "idtac .\nexact I.\nDefined." in text and "(* c *)" not in text
    with pytest.raises(ValueError):
        proof_file(theorem, ["idtac... Abort."])


def test_an_answer_cut_mid_line_is_a_protocol_error():
    # A forged prompt ends the read in the middle of a message: the stream is out of step.
    with pytest.raises(ProtocolError):
        parse_output("<infomsg>hello ")
    assert parse_output("").status == "empty"
    assert parse_output("No more goals.\n").status == "proved"


@pytest.mark.parametrize(
    "tactic",
    [
        "simp#eval IO.println 1",  # `#` is never part of an identifier: this runs the command
        "trivial\n  #eval! IO.Process.run {cmd := \"sh\"}",
        "exact h#exit",
        "#check_failure foo",
        "set_option «debug».skipKernelTC true in simp",
        "set_option «maxHeartbeats» 0 in simp",
        "exact by_elab pure default",
    ],
)
def test_lean_smuggled_commands_are_refused(tactic):
    assert lean_screen(tactic) is not None


@pytest.mark.parametrize("tactic", ["have h : #s = 3 := by simp", "set_option maxHeartbeats 100000 in simp"])
def test_lean_ordinary_tactics_still_pass(tactic):
    assert lean_screen(tactic) is None


# With a header that imports Coq.Strings.String, a tactic prints any text it computes, newlines and
# coqtop's own tags included (`let s := eval cbv in (String (ascii_of_nat 10) ...) in idtac s`):
# coqtop's answers are then partly model text, and reading them must stay linear in their size.
_ECHOES = "<warning>w</warning>\nToplevel input, characters 0-1:\n" + "> a\n" * 40  # 2^40 ways once


@pytest.mark.parametrize(
    "answer",
    [
        _ECHOES + "Error: x\n",
        "1 goal\n  \n  s := \"" + "<infomsg>" * 200_000 + "\" : string\n  ============================\n  True\n",
        "1 goal\n  \n  s := \"" + "<warning>" * 200_000 + "\" : string\n  ============================\n  True\n",
        "1 goal\n  \n  s := \"" + "\n   x" * 300_000 + "\" : string\n  ============================\n  True\n",
        "1 goal\n  \n  s := \"" + ">Toplevel input, characters 1-1:\n" * 50_000 + "<warning>w</warning>\n",
    ],
    ids=["warning-echo-lines", "unclosed-infomsg-tags", "unclosed-warning-tags", "continuation-lines",
         "locations-in-echo-lines"],
)
def test_coqtop_answers_are_read_in_linear_time(answer):
    import time

    start = time.monotonic()
    parsed = parse_output(answer)
    [goal.hypotheses for goal in parsed.goals]
    assert time.monotonic() - start < 1.0


def test_a_warnings_location_is_removed_with_it_and_nothing_else():
    from lean_env.coq.output import strip_noise

    real = "Toplevel input, characters 0-5:\n> lia.\n> ^^^^^\n<warning>Deprecated.</warning>\n1 goal\n"
    assert strip_noise(real) == ("\n1 goal\n", ())
    # Only the echo lines right before the warning go: a located error after it stays.
    error = "<warning>w</warning>\nToplevel input, characters 0-1:\n> a\n> ^\nError: bad\n"
    assert strip_noise(error)[0] == "\nToplevel input, characters 0-1:\n> a\n> ^\nError: bad\n"
    assert strip_noise("<infomsg>a\nb</infomsg>x\n<infomsg>c</infomsg>") == ("x\n", ("a b", "c"))
    assert strip_noise("x <infomsg>open") == ("x <infomsg>open", ())



def test_coqtops_prompt_is_found_in_linear_time():
    """A tactic printing a computed `<prompt><prompt>...` (a string-importing header) made each
    read of the answer quadratic: `\\S+` ran from every tag to the end of the run (320 KB: 40 s,
    searched again in full after the interrupt that a timeout sends)."""
    import time

    from lean_env.coq.process import PROMPT

    start = time.monotonic()
    assert PROMPT.search(b"<prompt>" * 30_000) is None
    assert PROMPT.search((b"<prompt>" + b"a" * 30 + b" < 1 |") * 10_000) is None
    assert time.monotonic() - start < 1.0
    real = PROMPT.search(b"1 goal\n<prompt>t_hole1 < 12 |t_hole1| 0 < </prompt>")
    assert real and real.group(1) == b"t_hole1" and real.group(2) == b"12"
    assert PROMPT.search("<prompt>θ₁ < 3 |a|b| 0 < </prompt>".encode()).group(1) == "θ₁".encode()


def test_a_count_printed_inside_a_message_does_not_hide_given_up_goals():
    # Coq's own note stands in an <infomsg> block before the given-up goals' count. A message
    # (a computed string) can print a count and close its block early: only a count outside the
    # blocks, before the note, means the note is a goal's text.
    real = (
        "<infomsg>No more goals, but there are some goals you gave up:</infomsg>\n\n2 goals\n\n"
        "goal 1 (ID 3) is:\n True\ngoal 2 (ID 4) is:\n True\nYou need to go back and solve them.\n"
    )
    assert parse_output(real).status == "gave_up"
    forged = "<infomsg>\n1 goal\n</infomsg>\nNo more goals.\n" + real.split("\n\n2 goals")[0] + "\n"
    assert parse_output(forged).status == "gave_up"
    assert parse_output("<warning>1 goal</warning>\nNo more goals.\n" + real).status == "gave_up"
    # A goal's own text after its count is not the note.
    shown = '1 goal\n\n  ============================\n  "No more goals, but there are some goals you gave up" = ""\n'
    assert parse_output(shown).status == "goals"
    # Nor does a count inside a warning, and the note anywhere before a count-like line counts.
    assert parse_output("<warning>" + real.split("\n\n2 goals")[0] + "</warning>\n1 goal\n\n  True\n").status == "gave_up"
