"""Every non-ASCII character the Coq screen lets through is classified as Coq 8.16's lexer does.

The screen cuts sentences with its own lexer. Where it thinks a character is a symbol and Coq
thinks it is a letter (U+00A0, the no-break space, is a letter to Coq), `[a<U+00A0>]: { Axiom ...`
was one harmless sentence to the screen and a goal selector plus a command to Coq. So each
allowed character is put to coqtop in the three roles it can have: starting a name, continuing
one, or ending it as a symbol.
"""

from __future__ import annotations

import re
import subprocess

import pytest

from lean_env.coq.sentences import _ALLOWED_BLOCKS, _ident_part, _ident_start, allowed_character, split_tactic

pytestmark = pytest.mark.coq

CHARS = [chr(code) for a, b in _ALLOWED_BLOCKS for code in range(a, b + 1) if allowed_character(chr(code))]


def _coq(script: str, tmp_path) -> str:
    """coqtop's answers to `script`, errors interleaved where they happen."""
    done = subprocess.run(["coqtop", "-q"], input=script.encode(), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=300, cwd=tmp_path)
    return done.stdout.decode(errors="replace")


def _answers(chars: list[str], template: str, tmp_path) -> dict[str, str]:
    """Coq's answer to `template` filled with each character, one sentence each, in one coqtop:
    a numbered `Check` after each separates the answers."""
    script = "".join(template.format(c=c, i=i) + f"\nCheck {i}.\n" for i, c in enumerate(chars))
    pieces = re.split(r"(?m)^(?:Coq < )?(\d+)\n     : nat$", _coq(script, tmp_path))
    numbers = [int(n) for n in pieces[1::2]]
    assert numbers == list(range(len(chars))), "coqtop's answers are not one per sentence"
    return dict(zip(chars, pieces[0::2]))


def test_the_allowed_set_is_large_and_excludes_lookalikes():
    assert len(CHARS) > 2000
    assert "σ" in CHARS and "₁" in CHARS and "≤" in CHARS and "²" in CHARS
    for odd in ("\u00a0", "\u202f", "\u200b", "\u202e", "\u203f", "\u2024", "\uff0e", "\x00"):
        assert odd not in CHARS and split_tactic(f"idtac{odd} idtac.")[1], repr(odd)


def test_name_characters_continue_a_name_in_coq(tmp_path):
    parts = [c for c in CHARS if _ident_part(c)]
    answers = _answers(parts, "Definition x{i}{c} := 0.", tmp_path)
    wrong = [f"U+{ord(c):04X}" for c, a in answers.items() if "Error" in a or "Warning" in a]
    assert not wrong, wrong


def test_name_starts_start_a_name_in_coq_and_the_others_do_not(tmp_path):
    answers = _answers(CHARS, "Definition {c}x{i} := 0.", tmp_path)
    wrong = [f"U+{ord(c):04X}" for c, a in answers.items() if _ident_start(c) == ("Error" in a or "Warning" in a)]
    assert not wrong, wrong


def test_symbols_end_a_name_in_coq(tmp_path):
    symbols = [c for c in CHARS if not _ident_part(c)]
    answers = _answers(symbols, "Definition x{i}{c} := 0.", tmp_path)
    wrong = [f"U+{ord(c):04X}" for c, a in answers.items() if "Undefined token" not in a and "Syntax" not in a]
    assert not wrong, wrong
