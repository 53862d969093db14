"""Nested block delimiters (lean_env/nesting.py), as Lean's and Isabelle's comment lexers count them."""

from __future__ import annotations

from lean_env.nesting import nested_end


def test_a_block_ends_at_its_own_closer_and_an_open_one_has_no_end() -> None:
    text = "/- a /- b -/ c -/ after"
    assert text[nested_end(text, 2, "/-", "-/"):] == " after"
    assert nested_end("(* (* *)", 2, "(*", "*)") is None
    assert nested_end("(**) x", 2, "(*", "*)") == 4  # `(**)` opens and closes: `*)` read at once
