"""The HOL Light tactic screen: a whitelist grammar, checked in Python before any text is sent.

A HOL Light tactic is OCaml. Evaluated as given, one text could end the phrase (`;;`) and run any
OCaml, forge a theorem (`Obj.magic`), add an axiom (`new_axiom`, `mk_thm`, `CHEAT_TAC`), or redefine
what a later check calls. So a tactic must be an expression of this grammar:

    expr  := app (INFIX app)*            INFIX: THEN THENL ORELSE THEN_TCL ORELSE_TCL THENC ORELSEC o
    app   := atom atom*                  function application
    atom  := NAME | INT | QUOTATION | LABEL | ( expr ) | ( expr , expr ... ) | [ ] | [ expr ; expr ... ]

NAME is an identifier starting with a capital letter (HOL Light names its tactics, conversions,
rules and theorems in capitals), except the few that cheat; INT is a small decimal numeral; a
QUOTATION is a term `` `...` `` or a type `` `:...` `` of printable ASCII; a LABEL is a short string
of letters, digits, blanks and the punctuation of assumption labels and intro patterns (`LABEL_TAC
"h1"`, `USE_THEN "h1"`, `INTRO_TAC "!x; h1 h2"`), never a backslash or a quote. Everything else is
refused: `;;`, `;` outside a list, `let`, `fun` and every other lower-case word, module paths
(`.`), other strings, characters, comments, operators, non-ASCII.

What is sent is not the given text but `render`'s rewriting of the parsed tokens: one line,
tokens separated by spaces, each quotation replaced by a call of the driver's own term (or type)
parser on an OCaml string literal written here, and each label by a string literal written here.
The OCaml lexer therefore never sees a quotation or a string as given, so how it would have read
one cannot matter. A string reaches only capitalised functions (tactics and rules that name
assumptions); HOL Light's types and terms are private to its kernel, so no constructor can turn a
string into a term or theorem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_LENGTH = 20_000
MAX_DEPTH = 64

INFIXES = frozenset({"THEN", "THENL", "ORELSE", "THEN_TCL", "ORELSE_TCL", "THENC", "ORELSEC", "o"})
# Lower-case names that may appear: only function composition (an infix).
LOWERCASE_ALLOWED = frozenset({"o"})
# Capitalised names that prove anything: they make a theorem without proof (through new_axiom).
FORBIDDEN_NAMES = frozenset({"CHEAT_TAC"})
# The driver's own names: text from outside must never reach them.
_DRIVER_PREFIX = re.compile(r"prover", re.I)

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_']*")
_INT = re.compile(r"[0-9]+")
# The characters of assumption labels and INTRO_TAC/DESTRUCT_TAC patterns.
_LABEL = re.compile(r'"([A-Za-z0-9_ !;\'#@=(),+^-]{0,200})"')
_BLANKS = " \t\r\n"
_PUNCT = "()[];,"


class ScreenError(ValueError):
    """The text is not a tactic of the accepted grammar (the message says why)."""


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "name", "int", "term", "type", "label", or the punctuation character itself
    text: str  # the name, numeral, or the quotation's or label's contents (without delimiters)
    offset: int


def _quotation_char_ok(c: str) -> bool:
    return c in "\t\r\n" or " " <= c <= "~"


def tokenize(text: str) -> list[Token]:
    """The tokens of `text`; ScreenError at the first character outside the grammar."""
    if len(text) > MAX_LENGTH:
        raise ScreenError(f"tactic longer than {MAX_LENGTH} characters")
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in _BLANKS:
            i += 1
        elif c == "`":
            end = text.find("`", i + 1)
            if end < 0:
                raise ScreenError("unclosed quotation: a backquote without its closing backquote")
            body = text[i + 1 : end]
            bad = next((ch for ch in body if not _quotation_char_ok(ch)), None)
            if bad is not None:
                raise ScreenError(f"character {bad!r} inside a quotation (printable ASCII only)")
            if body.lstrip().startswith(":"):
                tokens.append(Token("type", body.lstrip()[1:], i))
            else:
                tokens.append(Token("term", body, i))
            i = end + 1
        elif c == "(" and text.startswith("(*", i):
            raise ScreenError("comments are not allowed in tactics")
        elif c == ";" and text.startswith(";;", i):
            raise ScreenError("';;' ends an OCaml phrase: not allowed in tactics")
        elif c in _PUNCT:
            tokens.append(Token(c, c, i))
            i += 1
        elif c.isascii() and (c.isalpha() or c == "_"):
            m = _NAME.match(text, i)
            assert m is not None
            word = m.group()
            if _DRIVER_PREFIX.match(word):
                raise ScreenError(f"{word!r}: names of the bridge's driver are not allowed")
            if word in FORBIDDEN_NAMES:
                raise ScreenError(f"{word} proves anything through an axiom: not allowed")
            if not (word[0].isupper() or word in LOWERCASE_ALLOWED):
                raise ScreenError(
                    f"{word!r}: only capitalised names (tactics, conversions, rules, theorems) are allowed"
                )
            tokens.append(Token("name", word, i))
            i = m.end()
        elif c.isascii() and c.isdigit():
            m = _INT.match(text, i)
            assert m is not None
            if len(m.group()) > 9:
                raise ScreenError("numeral too large")
            if m.end() < n and (text[m.end()].isalpha() or text[m.end()] in "_.'"):
                raise ScreenError(f"malformed numeral at offset {i}")
            tokens.append(Token("int", m.group(), i))
            i = m.end()
        elif c == '"':
            m = _LABEL.match(text, i)
            if m is None:
                raise ScreenError(
                    "a string must be a label of at most 200 letters, digits, blanks and !;'#@=(),+^-_"
                )
            tokens.append(Token("label", m.group(1), i))
            i = m.end()
        elif c == ".":
            raise ScreenError("module paths ('.') are not allowed in tactics")
        else:
            raise ScreenError(f"character {c!r} is not allowed in tactics")
    return tokens


class _Parser:
    """Recursive descent over the tokens; checks structure only (OCaml types the result)."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.i = 0

    def peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, kind: str) -> Token:
        tok = self.peek()
        if tok is None or tok.kind != kind:
            found = "the end" if tok is None else repr(tok.text)
            raise ScreenError(f"expected {kind!r}, found {found}")
        self.i += 1
        return tok

    def expr(self, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise ScreenError("tactic nested too deeply")
        self.app(depth)
        while (tok := self.peek()) is not None and tok.kind == "name" and tok.text in INFIXES:
            self.i += 1
            self.app(depth)

    def app(self, depth: int) -> None:
        if not self.atom(depth):
            tok = self.peek()
            raise ScreenError("expected a tactic" + ("" if tok is None else f" at {tok.text!r}"))
        while self.atom(depth):
            pass

    def atom(self, depth: int) -> bool:
        tok = self.peek()
        if tok is None:
            return False
        if tok.kind == "name":
            if tok.text in INFIXES:
                return False
            self.i += 1
            return True
        if tok.kind in ("int", "term", "type", "label"):
            self.i += 1
            return True
        if tok.kind == "(":  # a parenthesised expression or a tuple
            self.i += 1
            self.separated(",", ")", depth)
            return True
        if tok.kind == "[":  # a list, possibly empty
            self.i += 1
            if (nxt := self.peek()) is not None and nxt.kind == "]":
                self.i += 1
            else:
                self.separated(";", "]", depth)
            return True
        return False

    def separated(self, separator: str, closing: str, depth: int) -> None:
        """One or more expressions separated by `separator`, then `closing`."""
        self.expr(depth + 1)
        while (nxt := self.peek()) is not None and nxt.kind == separator:
            self.i += 1
            self.expr(depth + 1)
        self.take(closing)


def parse(text: str) -> list[Token]:
    """The tokens of `text` when it is a tactic of the grammar; ScreenError otherwise."""
    tokens = tokenize(text)
    if not tokens:
        raise ScreenError("empty tactic")
    parser = _Parser(tokens)
    parser.expr(0)
    if parser.i != len(tokens):
        raise ScreenError(f"unexpected {tokens[parser.i].text!r} after a complete tactic")
    return tokens


def ocaml_string(text: str) -> str:
    """`text` as an OCaml string literal (printable ASCII and blanks only, as quotations are)."""
    out = []
    for c in text:
        if c == "\\":
            out.append("\\\\")
        elif c == '"':
            out.append('\\"')
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif c == "\r":
            out.append("\\r")
        elif " " <= c <= "~":
            out.append(c)
        else:
            raise ScreenError(f"character {c!r} cannot be sent")
    return '"' + "".join(out) + '"'


def render(text: str) -> str:
    """The OCaml expression sent for a screened tactic: one line, quotations as parser calls."""
    parts = []
    for tok in parse(text):
        if tok.kind == "term":
            parts.append(f"(prover_term {ocaml_string(tok.text)})")
        elif tok.kind == "type":
            parts.append(f"(prover_type {ocaml_string(tok.text)})")
        elif tok.kind == "label":
            parts.append(ocaml_string(tok.text))
        else:
            parts.append(tok.text)
    return " ".join(parts)


def screen_tactic(tactic: str) -> str | None:
    """Why `tactic` may not be sent to HOL Light, or None when it may."""
    try:
        parse(tactic)
    except ScreenError as exc:
        return str(exc)
    return None
