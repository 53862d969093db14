"""Split Coq text into sentences, and screen model output so that only tactic sentences reach Coq.

Coq runs one sentence per write correctly, and silently drops or misorders work otherwise,
so every text is split here first. Coq also accepts vernacular such as
`Axiom cheat : False.` in the middle of a proof: `screen_tactic` refuses anything that is
not a tactic, with a reason, before it is sent.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_BULLET = re.compile(r"-+|\++|\*+")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_']*")

# Coq's blanks: only these four separate tokens and may follow a sentence-ending period. Other
# Unicode spaces (no-break space, form feed, em space) are characters Coq does not know.
BLANKS = " \t\n\r"
# Keywords of the core grammar that cannot be the identifier of a `[name]:` goal selector.
_KEYWORDS = {
    "_", "as", "at", "cofix", "else", "end", "exists", "exists2", "fix", "for", "forall", "fun", "if",
    "IF", "in", "let", "match", "mod", "return", "then", "using", "where", "with", "Prop", "Set",
    "SProp", "Type", "by", "eval", "context", "ltac", "constr", "uconstr", "type", "of",
}

# Capitalised commands allowed inside a proof: they only rearrange goals.
_ALLOWED_COMMANDS = {"Unshelve"}
# Lower-case tactics that give up on a goal: the proof could never be checked by Qed.
_FORBIDDEN_TACTICS = {"admit", "give_up"}
# Native compilation runs ocamlfind/ocamlopt and writes files under /tmp from inside coqtop, and
# adds the OCaml compiler to what must be trusted: refused (vm_compute does the same job).
_NATIVE_TACTICS = {"native_compute", "native_cast_no_check", "i_native_compute"}  # the last: Interval's option
# The native cast `t <<: T` asks for the same compilation as native_compute.
_NATIVE_CAST = "<<:"
# Fixpoints written in a proof: Coq 8.16's guard checker (kernel and coqchk alike) has known
# soundness bugs (coq/coq#20455: a match on a match taken for a subterm proves False, and a
# `refine (fix ...)` needs no command), so no proof may build one; `induction` and the
# library's recursors never need to.
_FIXPOINTS = {"fix", "cofix"}
# Ways to build one without the word, or to hide one from the verifier's look at the proof term:
# Ltac's `context C [...]` puts a body of one's own into an unfolded library fixpoint, and
# `abstract` moves part of the proof into a separate constant (Coq 8.16 folds such constants
# back into the term `Qed` makes, so the verifier's look sees them anyway; refusing the word
# keeps a later Coq that does not from hiding one).
_CONTEXT_SUBSTITUTION = re.compile(r"\bcontext\s+[^\W\d][\w']*\s*\[")  # any name: `context Ç [` too
_HIDING_TACTICS = {"abstract", "transparent_abstract"}
# CoqHammer tactics that start programs (ATPs, its `predict` binary) from inside Coq, or fork Coq
# itself (`ptimeout N tac` runs tac in a forked copy that outlives Coq's own `Timeout`: each
# call could leave one burning CPU for N seconds); `hammer` itself runs only as a sentence of
# its own, replaced by its reconstruction (env.py).
_PROGRAM_TACTICS = {"predict", "hammer_hook", "hammer_cleanup", "ptimeout"}
# `@?B x` in an Ltac pattern captures part of a term as a function of `x`: after a `revert`, the
# body of an unfolded library fixpoint, which `eval cbv beta in (B G)` then rebuilds around a
# recursive function of one's own, unchecked for termination.
_SECOND_ORDER_PATTERN = re.compile(r"@\s*\?")  # `@` and `?B` are two tokens: `@ ?B` is the same pattern
# `exact_no_check` and its kin close a goal with a term that is not type-checked until Qed. Qed
# refuses it, but before that the VM can run it: an ill-typed term under `vm_compute` crashes
# coqtop (coq/coq#16891) or reads memory at random.
_UNCHECKED = re.compile(r"\w*_no_check")
# Library tactics that call one by a name without the suffix: Lra's and Lqa's `rchecker_abstract`
# closes any real-arithmetic checker goal with `vm_cast_no_check`, so the live coqtop said
# "Proved" for `0 = 1` (Qed refuses it, after a wasted verification).
_UNCHECKED_LIBRARY = {"rchecker_abstract"}
# The tags coqtop -emacs frames its answers with: model text must never be able to print them.
_PROTOCOL_MARKER = re.compile(r"</?\s*(?:prompt|infomsg|warning)", re.I)


class SentenceError(ValueError):
    """The text cannot be split into sentences (unclosed comment or string)."""


def _skip_string(text: str, i: int) -> int:
    """Offset just past the string that opens at `text[i] == '"'` (Coq doubles a quote to escape it)."""
    j = i + 1
    while True:
        j = text.find('"', j)
        if j < 0:
            raise SentenceError("unclosed string")
        if text.startswith('""', j):
            j += 2
            continue
        return j + 1


def _skip_comment(text: str, i: int) -> int:
    """Offset just past the comment that opens at `text[i:i+2] == "(*"`.

    Like Coq's lexer, a '"' inside a comment opens a string in which `*)` does not close the
    comment: `(* "*)" *)` is ONE comment. Ending it at the first `*)` instead made the screen read
    as a harmless string what coqc reads as code (vernacular smuggled past the screen).
    """
    depth, j, n = 1, i + 2, len(text)
    while depth:
        if j >= n:
            raise SentenceError("unclosed comment")
        if text.startswith("(*", j):
            depth, j = depth + 1, j + 2
        elif text.startswith("*)", j):
            depth, j = depth - 1, j + 2
        elif text[j] == '"':
            j = _skip_string(text, j)
        else:
            j += 1
    return j


def _skip_quotation(text: str, i: int) -> int:
    """Offset just past the quotation whose opening run of braces starts at `text[i]`.

    `name:{{ ... }}` is raw text (strings and comments are not special inside it) in which a run
    of as many opening braces nests and a run of as many closing braces closes.
    """
    width = 0
    while i + width < len(text) and text[i + width] == "{":
        width += 1
    opening, closing = "{" * width, "}" * width
    depth, j = 1, i + width
    while depth:
        if j >= len(text):
            raise SentenceError("unclosed quotation")
        if text.startswith(opening, j):
            depth, j = depth + 1, j + width
        elif text.startswith(closing, j):
            depth, j = depth - 1, j + width
        else:
            j += 1
    return j


# Coq 8.16's lexer classes, which are not Python's: the no-break space U+00A0 is a letter to Coq
# (a name may hold one), superscript digits are symbols (`x²` is `x` then `²`), subscript digits
# and vulgar fractions continue a name, connector punctuation (U+203F) is a symbol. Where the
# two disagree, they cut sentences at different places, so the lexer below follows Coq, and
# `split_tactic` refuses every character outside `_ALLOWED_BLOCKS` anyway.
_COQ_LETTERS = "\u00a0"
_COQ_NAME_PARTS = "¼½¾₀₁₂₃₄₅₆₇₈₉"


def _ident_start(c: str) -> bool:
    if c.isascii():
        return c == "_" or c.isalpha()
    return unicodedata.category(c)[0] == "L" or c in _COQ_LETTERS


def _ident_part(c: str) -> bool:
    if c.isascii():
        return c in "_'" or c.isalnum()
    return _ident_start(c) or unicodedata.category(c) in ("Nd", "Mn") or c in _COQ_NAME_PARTS


# Non-ASCII characters a tactic may hold outside strings and comments: those of the blocks that
# mathematics uses (Latin letters, Greek, phonetic and modifier letters, super- and subscripts,
# letterlike symbols, arrows, operators, technical and supplemental mathematical symbols,
# mathematical alphanumerics) whose class Coq and the lexer above agree on, which a test checks
# character by character against coqtop. Everything else is refused: spaces and format characters
# (no-break spaces, zero-width joiners, bidirectional overrides), control characters, and scripts
# and symbols nobody checked.
_ALLOWED_BLOCKS = (
    (0x00A1, 0x024F), (0x0370, 0x03FF), (0x1D00, 0x1DBF), (0x2010, 0x205E), (0x2070, 0x209F),
    (0x2100, 0x214F), (0x2190, 0x23FF), (0x27C0, 0x27FF), (0x2900, 0x2AFF), (0x1D400, 0x1D7FF),
)
_REFUSED_CATEGORIES = {"Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co", "Cn", "Pc", "Mc", "Me"}
_LOOKALIKE_STOPS = "\u2024\u2025\u2026\u2027"  # dot leaders and the hyphenation point: they read as periods


def allowed_character(c: str) -> bool:
    """Whether `c` may appear in a tactic outside strings and comments (see `_ALLOWED_BLOCKS`)."""
    if c.isascii():
        return c.isprintable() or c in BLANKS
    code = ord(c)
    if c in _LOOKALIKE_STOPS:
        return False
    return any(a <= code <= b for a, b in _ALLOWED_BLOCKS) and unicodedata.category(c) not in _REFUSED_CATEGORIES


# Inside a string (which stays in the proof that is verified and printed): control characters of
# any range (C1 ones such as U+009B, CSI, drive a terminal like ESC does), format characters (the
# bidirectional overrides reorder what a reader sees: "Trojan source") and line or paragraph
# separators, and a carriage return (the rest of the line would print over its start), so that the
# proof shown to a user is the text Coq read.
_HIDDEN_IN_STRINGS = {"Cc", "Cf", "Zl", "Zp"}


def _character_problem(text: str) -> str | None:
    """Why `text` holds a character a tactic may not: outside strings and comments, one that
    `allowed_character` refuses; inside them, a control character (Coq's lexer reads the rest
    verbatim), a lone surrogate (no UTF-8 can carry it) or an unassigned code point, and inside
    strings also what changes how the text displays (`_HIDDEN_IN_STRINGS`). None when every
    character may pass."""
    i, n = 0, len(text)
    try:
        while i < n:
            if text.startswith("(*", i) or text[i] == '"':
                string = text[i] == '"'
                j = _skip_string(text, i) if string else _skip_comment(text, i)
                odd = next((c for c in text[i:j] if (c.isascii() and not c.isprintable() and c not in BLANKS)
                            or unicodedata.category(c) in ("Cs", "Cn")
                            or (string and c not in " \t\n" and unicodedata.category(c) in _HIDDEN_IN_STRINGS)), None)
                i = j
            else:
                odd = None if allowed_character(text[i]) else text[i]
                i += 1
            if odd is not None:
                return f"character U+{ord(odd):04X} ({unicodedata.name(odd, 'unnamed')}) is not allowed in a tactic"
    except SentenceError as exc:
        return str(exc)
    return None


def _dot_token(text: str, i: int) -> tuple[int, bool]:
    """The token that starts with the '.' at `text[i]`: (its end, whether it ends a sentence).

    As Coq lexes it: a '.' before an identifier starts a field (`Nat.add`); otherwise the
    longest of the keywords ".", "..", "...", ".(" is taken, so a run of dots is read three at a
    time (`....` is "..." then "."), and `.(*` is the keyword ".(" followed by `*`, not a
    comment. Only "." or "..." followed by a blank or the end of the text ends a sentence;
    followed by anything else Coq reports a lexer error and keeps reading to the next end.
    """
    n = len(text)
    if i + 1 < n and _ident_start(text[i + 1]):
        j = i + 2
        while j < n and _ident_part(text[j]):
            j += 1
        return j, False
    if text.startswith("...", i):
        j = i + 3
    elif text.startswith("..", i):
        return i + 2, False
    elif text.startswith(".(", i):
        return i + 2, False
    else:
        j = i + 1
    return j, j == n or text[j] in BLANKS


def _number_end(text: str, i: int) -> int:
    """End of the numeral starting at digit `text[i]` (digits and `_`, hex, a fraction, an
    exponent); a '.' belongs to it only when a digit follows, so `1.` still ends a sentence."""
    n, j = len(text), i + 1
    if text.startswith(("0x", "0X"), i):
        j = i + 2
        while j < n and (text[j] in "0123456789abcdefABCDEF_"):
            j += 1
        return j
    while j < n and (text[j].isdigit() and text[j].isascii() or text[j] == "_"):
        j += 1
    if j + 1 < n and text[j] == "." and text[j + 1].isdigit() and text[j + 1].isascii():
        j += 2
        while j < n and (text[j].isdigit() and text[j].isascii() or text[j] == "_"):
            j += 1
    return j


def _is_goal_selector(tokens: list[str]) -> bool:
    """Whether the tokens read so far are a goal selector and its colon (`2:`, `1-3,5:`,
    `all:`, `!:`, `[name]:`), after which `{` ends the sentence as Coq's grammar does."""
    if len(tokens) < 2 or tokens[-1] != ":":
        return False
    body = tokens[:-1]
    if body in (["all"], ["!"]):
        return True
    if len(body) == 3 and body[0] == "[" and body[2] == "]":
        name = body[1]
        return _ident_start(name[0]) and all(_ident_part(c) for c in name) and name not in _KEYWORDS
    expect_number = True
    for k, token in enumerate(body):
        if expect_number:
            if not token[0].isdigit():
                return False
            expect_number = False
        elif token in ("-", ","):
            if k + 1 < len(body) and body[k + 1] in ("-", ","):
                return False
            expect_number = True
        else:
            return False
    return not expect_number


_SELECTOR_TOKENS = 40  # tokens kept per sentence: more than any goal selector has


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Split `text` into Coq sentences: (start, end) offsets of each, comments included.

    A faithful copy of how coqtop cuts its input, token by token:
    - a sentence ends at a "." or "..." token followed by a blank or the end (see `_dot_token`;
      `Nat.add_comm`, `1.5`, `x.(f)` and `..` do not end one), strings and comments (with the
      strings inside them) are skipped whole;
    - at a sentence start, `-`, `+`, `*` are bullets (a run of one character, no blank needed:
      `-idtac.` is `-` then `idtac.`), and `{` or `}` is a sentence of its own. Coq's lexer knows
      it is at a sentence start only after a period, a bullet or a brace there, not after `2: {`,
      after which `-` is no bullet;
    - a goal selector followed by `{` (`2: {`, `[a']: {`) is a sentence;
    - a name or numeral immediately followed by `:{{` opens a quotation, raw text in which runs of
      as many braces nest and close.
    A text that is not finished (no end after the last tactic) yields a last span without one.
    """
    spans: list[tuple[int, int]] = []
    start: int | None = None  # offset of the first character of the sentence being read
    tokens: list[str] = []  # the current sentence's tokens while it could still be a selector
    at_start = True  # Coq's lexer state "between commands": bullets and braces are read as such
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in BLANKS:
            i += 1
            continue
        if text.startswith("(*", i):
            i = _skip_comment(text, i)  # comments keep the lexer's state
            continue
        if start is None:
            if at_start and c in "-+*":
                j = i + 1
                while j < n and text[j] == c:
                    j += 1
                spans.append((i, j))
                i = j
                continue
            if c in "{}" and (at_start or not text.startswith("{|", i)):
                spans.append((i, i + 1))
                i += 1
                continue
            start, tokens, at_start = i, [], False
        if c == '"':
            i = _skip_string(text, i)
            tokens.append('"')
            continue
        if c == ".":
            j, ends = _dot_token(text, i)
            if ends:
                spans.append((start, j))
                start, at_start = None, True
            else:
                tokens.append(text[i:j])
            i = j
            continue
        if c == ":" and i > 0 and _ident_part(text[i - 1]) and text.startswith("{{", i + 1):
            i = _skip_quotation(text, i + 1)
            tokens.append("quotation")
            continue
        if _ident_start(c):
            j = i + 1
            while j < n and _ident_part(text[j]):
                j += 1
        elif c.isdigit() and c.isascii():
            j = _number_end(text, i)
        elif text.startswith("{|", i):
            j = i + 2
        else:
            j = i + 1
        if c == "{" and j == i + 1 and _is_goal_selector(tokens):
            spans.append((start, j))
            start = None  # at_start stays False: Coq read this `{` mid-sentence
            i = j
            continue
        tokens.append(text[i:j])
        if len(tokens) > _SELECTOR_TOKENS:
            tokens[_SELECTOR_TOKENS:] = ["…"]  # too long for a selector: `{` ends nothing here
        i = j
    if start is not None:
        spans.append((start, n))
    return spans


def _without_comments(sentence: str) -> str:
    """The sentence with each comment replaced by a blank and runs of blanks collapsed (strings
    kept verbatim). Only Coq's own blanks are collapsed: other spaces stay, so a sentence never
    gains a boundary it did not have."""
    out, i, n = [], 0, len(sentence)
    while i < n:
        if sentence.startswith("(*", i):
            i = _skip_comment(sentence, i)
            out.append(" ")
        elif sentence[i] == '"':
            j = _skip_string(sentence, i)
            out.append(sentence[i:j])
            i = j
        elif sentence[i] in BLANKS:
            out.append(" ")
            i += 1
        else:
            out.append(sentence[i])
            i += 1
    return re.sub(r" {2,}", " ", "".join(out)).strip(" ")


def located_sentences(text: str) -> list[tuple[int, str]]:
    """(offset, sentence) for each sentence of `text`, comments removed and blanks collapsed; the
    offset is where its span begins (comments before it included)."""
    return [(a, s) for a, b in sentence_spans(text) if (s := _without_comments(text[a:b]))]


def split_sentences(text: str) -> list[str]:
    """The sentences of `text`, comments removed and blanks collapsed, ready to send."""
    return [s for _, s in located_sentences(text)]


def _is_complete_sentence(sentence: str) -> bool:
    """Whether Coq, reading `sentence` at a sentence start, reads exactly it as one finished
    sentence: then a sentence appended after it is read as a second one."""
    try:
        spans = sentence_spans(sentence + "\nidtac.")
    except SentenceError:
        return False
    return len(spans) == 2 and sentence[spans[0][0] : spans[0][1]] == sentence


_NUMBER_SELECTOR = re.compile(r"(?:all|!|[0-9]+(?:[ \t\n\r]*-[ \t\n\r]*[0-9]+)?(?:[ \t\n\r]*,[ \t\n\r]*[0-9]+(?:[ \t\n\r]*-[ \t\n\r]*[0-9]+)?)*)[ \t\n\r]*:")
_NAME_SELECTOR = re.compile(r"\[[ \t\n\r]*([^\s\]]+)[ \t\n\r]*\][ \t\n\r]*:")


def _selector_end(sentence: str) -> int:
    """The offset just past the goal selector and its colon that start `sentence`, or 0. The
    name of a `[name]:` selector is checked with the lexer's classes, as Coq reads it."""
    m = _NUMBER_SELECTOR.match(sentence)
    if m:
        return m.end()
    m = _NAME_SELECTOR.match(sentence)
    if m:
        name = m.group(1)
        if _ident_start(name[0]) and all(_ident_part(c) for c in name) and name not in _KEYWORDS:
            return m.end()
    return 0




_STRING = re.compile(r'"(?:[^"]|"")*"')
_QUOTATION = re.compile(r":\{\{")  # after any name (`x':{{` too): no tactic text holds one
# What may stand right before a string besides another string: a message tactic (and its level).
_MESSAGE_WORD = re.compile(r"\b(?:idtac|fail|gfail)(?: [0-9]+)? ?\Z")
_MESSAGE_WORD_WINDOW = 40  # characters looked at before a string: a longer level is refused


def _misplaced_string(sentence: str) -> str | None:
    """A string literal outside `idtac`/`fail` messages, or None.

    Coq's parser, recovering from an error after `foo "x"`, keeps reading past the period and
    takes the next sentence as part of this one: strings are allowed only where tactics print.
    Each string is checked against what ends right before it (the previous string, or a bounded
    window), never the whole text before it: that was quadratic in the number of strings, and the
    screen runs before any time limit.
    """
    previous = -2  # end of the previous string
    for m in _STRING.finditer(sentence):
        start = m.start()
        after_string = start == previous or (start == previous + 1 and sentence[previous] == " ")
        if not after_string and not _MESSAGE_WORD.search(sentence, max(0, start - _MESSAGE_WORD_WINDOW), start):
            return m.group(0)
        previous = m.end()
    return None


def _outside_strings(sentence: str) -> str:
    return _STRING.sub(" ", sentence)


def screen_sentence(sentence: str) -> str | None:
    """Why one sentence may not be sent inside a proof, or None if it is a tactic sentence.

    The sentence is sent on its own, at a sentence start (after the previous answer's fence), so
    it must be one finished sentence when read alone: that is checked with the same lexer first.
    """
    odd = _character_problem(sentence)
    if odd:
        return odd
    marker = _PROTOCOL_MARKER.search(sentence)
    if marker:
        # coqtop's answers are framed by these tags (process.py, output.py): a tactic that prints
        # them (`idtac "<prompt>..."`, `fail`, or Coq echoing a bad input line) forges answers,
        # e.g. a fake prompt followed by "No more goals.", and desynchronises the process.
        return f"text {marker.group(0)!r} imitates coqtop's output framing"
    if not _is_complete_sentence(sentence):
        # Read alone, Coq would cut it elsewhere (`-idtac.` is a bullet and a tactic), or keep
        # reading past its end (no period, `..`), taking the next text sent as its rest.
        return f"not exactly one finished sentence when sent alone: {sentence[:60]!r}"
    if sentence in ("{", "}") or _BULLET.fullmatch(sentence):
        return None
    selector = _selector_end(sentence)
    body = sentence[selector:].lstrip(BLANKS)
    if sentence.endswith("{"):
        # The lexer ends a sentence at `{` only after a goal selector: anything else before it
        # means the lexer and this check disagree, and Coq would not end the sentence here.
        if selector and body == "{":
            return None
        return f"not a goal selector before '{{': {sentence[:60]!r}"
    first = _WORD.match(body)  # the first word after any goal selector
    word = first.group(0) if first else ""
    if word and word[0].isupper() and word not in _ALLOWED_COMMANDS:
        return f"vernacular command {word!r} is not a tactic"
    if not word and not body.startswith(("(", "[>")):
        return f"not a tactic sentence: {sentence[:60]!r}"
    if _QUOTATION.search(sentence):
        return "quotations (`name:{{ ... }}`) are not tactic text"
    string = _misplaced_string(sentence)
    if string:
        return f"string {string[:30]!r} outside an idtac or fail message"
    code = _outside_strings(sentence)
    words = set(_WORD.findall(code))
    bad = words & _FORBIDDEN_TACTICS
    if bad:
        return f"forbidden tactic {sorted(bad)[0]!r} (gives up on a goal)"
    fixpoint = words & _FIXPOINTS
    if fixpoint:
        return f"{sorted(fixpoint)[0]!r}: a proof may not build its own fixpoint (Coq 8.16's guard checker has known holes)"
    if _CONTEXT_SUBSTITUTION.search(sentence):
        return "a named context (`context C [...]`) can rebuild a library fixpoint with a body of one's own"
    hiding = words & _HIDING_TACTICS
    if hiding:
        return f"{sorted(hiding)[0]!r} puts part of the proof in a separate constant, out of the verifier's sight"
    if _SECOND_ORDER_PATTERN.search(_outside_strings(_without_comments(sentence))):
        return "a second-order pattern ('@?') can rebuild a library fixpoint with a body of one's own"
    unchecked = next((w for w in sorted(words) if (_UNCHECKED.fullmatch(w) or w in _UNCHECKED_LIBRARY)
                      and w not in _NATIVE_TACTICS), None)
    if unchecked:
        return f"forbidden tactic {unchecked!r} (its term is not type-checked: the VM may run an ill-typed one)"
    programs = words & _PROGRAM_TACTICS
    if programs:
        return f"forbidden tactic {sorted(programs)[0]!r} (starts a program or forks Coq)"
    native = words & _NATIVE_TACTICS
    if native:
        return f"forbidden tactic {sorted(native)[0]!r} (runs the OCaml compiler; use vm_compute)"
    if _NATIVE_CAST in code:
        return "the native cast '<<:' runs the OCaml compiler (use '<:', the VM's)"
    return None


@lru_cache(maxsize=8192)
def split_tactic(text: str) -> tuple[tuple[str, ...], str | None]:
    """Split a model's tactic text into sentences and screen them all.

    Returns (sentences, None) when every sentence may be sent, or ((), reason) otherwise. A text
    without a final period gets one, since models often omit it. Bullets and braces are
    legitimate steps of their own. Cached: searches replay and retry the same texts many times.
    """
    stripped = text.strip()
    if not stripped:
        return (), "empty tactic"
    odd = _character_problem(stripped)
    if odd:
        return (), odd
    try:
        sentences = split_sentences(stripped)
    except SentenceError as exc:
        return (), str(exc)
    if sentences and not _is_complete_sentence(sentences[-1]) and not sentences[-1].endswith("."):
        sentences[-1] += "."
    if not sentences:
        return (), "no tactic in text"
    for sentence in sentences:
        reason = screen_sentence(sentence)
        if reason:
            return (), reason
    return tuple(sentences), None


def screen_tactic(tactic: str) -> str | None:
    """Why `tactic` may not be sent to Coq, or None when it may (the registry's screen)."""
    return split_tactic(tactic)[1]
