"""Split Coq text into sentences, and screen model output so that only tactic sentences reach Coq.

Coq runs one sentence per write correctly, and silently drops or misorders work otherwise
(E_coq.md pitfall 1), so every text is split here first. Coq also accepts vernacular such as
`Axiom cheat : False.` in the middle of a proof (pitfall 7): `screen_tactic` refuses anything that is
not a tactic, with a reason, before it is sent.
"""

from __future__ import annotations

import re
from functools import lru_cache

_BULLET = re.compile(r"(-+|\++|\*+)(?=\s|$)")
_SELECTOR = re.compile(r"(?:\d+(?:\s*-\s*\d+)?(?:\s*,\s*\d+(?:\s*-\s*\d+)?)*|all|par|!|\[\s*\w+\s*\])\s*:")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_']*")

# Capitalised commands allowed inside a proof: they only rearrange goals.
_ALLOWED_COMMANDS = {"Unshelve"}
# Lower-case tactics that give up on a goal: the proof could never be checked by Qed.
_FORBIDDEN_TACTICS = {"admit", "give_up"}
# Native compilation runs ocamlfind/ocamlopt and writes files under /tmp from inside coqtop, and
# adds the OCaml compiler to what must be trusted: refused (vm_compute does the same job).
_NATIVE_TACTICS = {"native_compute", "native_cast_no_check"}
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


def _ends_sentence(text: str, i: int) -> bool:
    """Whether the "." at `text[i]` ends a sentence, as Coq's lexer decides.

    Coq ends a sentence at the token "." or "..." (the ellipsis `tac...`) followed by a blank or
    the end of the text; ".." is a token of its own. So a run of dots ends the sentence unless it
    is exactly two long: `idtac... Abort.` is two sentences for Coq and must be two here too.
    """
    if not (i + 1 == len(text) or text[i + 1].isspace()):
        return False
    run = 1
    while i - run >= 0 and text[i - run] == ".":
        run += 1
    return run != 2


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Split `text` into Coq sentences: (start, end) offsets of each, comments included.

    A sentence ends with "." followed by whitespace or the end of the text (so `Nat.add_comm` and
    `1.5` stay whole), not with ".." (notations) but with "..." (Coq's `tac...`); strings are
    skipped whole, and comments too, strings inside them included (as Coq lexes them).
    Bullets (`-`, `+`, `*`, repeated) and `{`/`}` at the start of a sentence are sentences of their
    own; `{|` and `|}` are record syntax, not braces; `2: {` focuses a goal and ends there.
    """
    spans: list[tuple[int, int]] = []
    start: int | None = None  # offset of the first character of the sentence being read
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("(*", i):
            i = _skip_comment(text, i)
            continue
        if c.isspace():
            i += 1
            continue
        if c == '"':
            start = i if start is None else start
            i = _skip_string(text, i)
            continue
        if start is None:
            # At the start of a sentence: bullets and braces stand alone.
            m = _BULLET.match(text, i)
            if m:
                spans.append((i, m.end()))
                i = m.end()
                continue
            if (c == "{" and not text.startswith("{|", i)) or c == "}":
                spans.append((i, i + 1))
                i += 1
                continue
            start = i
        if c == "{" and not text.startswith("{|", i) and _SELECTOR.fullmatch(text[start:i].strip()):
            spans.append((start, i + 1))
            start, i = None, i + 1
            continue
        if c == "." and _ends_sentence(text, i):
            spans.append((start, i + 1))
            start, i = None, i + 1
            continue
        i += 1
    if start is not None:
        spans.append((start, n))
    return spans


def _without_comments(sentence: str) -> str:
    """The sentence with each comment replaced by a space and whitespace collapsed (strings kept)."""
    out, i, n = [], 0, len(sentence)
    while i < n:
        if sentence.startswith("(*", i):
            i = _skip_comment(sentence, i)
            out.append(" ")
        elif sentence[i] == '"':
            j = _skip_string(sentence, i)
            out.append(sentence[i:j])
            i = j
        else:
            out.append(sentence[i])
            i += 1
    return " ".join("".join(out).split())


def split_sentences(text: str) -> list[str]:
    """The sentences of `text`, comments removed and whitespace collapsed, ready to send."""
    return [s for s in (_without_comments(text[a:b]) for a, b in sentence_spans(text)) if s]


def _first_word(sentence: str) -> str:
    body = sentence
    m = _SELECTOR.match(body)
    if m:
        body = body[m.end() :].lstrip()
    w = _WORD.match(body)
    return w.group(0) if w else ""


def _words_outside_strings(sentence: str) -> set[str]:
    return set(_WORD.findall(re.sub(r'"(?:[^"]|"")*"', " ", sentence)))


def screen_sentence(sentence: str) -> str | None:
    """Why one sentence may not be sent inside a proof, or None if it is a tactic sentence."""
    if sentence in ("{", "}") or _BULLET.fullmatch(sentence):
        return None
    selector = _SELECTOR.match(sentence)
    if selector and sentence[selector.end() :].strip() == "{":
        return None
    if not sentence.endswith("."):
        # A "{" only focuses after a goal selector (above); elsewhere, and after "..", Coq just
        # waits for more input, and the next text sent would be read as the rest of this sentence.
        return f"sentence does not end with a period: {sentence[:60]!r}"
    dots = len(sentence) - len(sentence.rstrip("."))
    if dots not in (1, 3):  # Coq ends sentences with "." or "..." only; "..", "...." wait or fail
        return f"sentence ends with {'.' * dots!r}, not with a period: {sentence[:60]!r}"
    marker = _PROTOCOL_MARKER.search(sentence)
    if marker:
        # coqtop's answers are framed by these tags (process.py, output.py): a tactic that prints
        # them (`idtac "<prompt>..."`, `fail`, or Coq echoing a bad input line) forges answers,
        # e.g. a fake prompt followed by "No more goals.", and desynchronises the process.
        return f"text {marker.group(0)!r} imitates coqtop's output framing"
    if split_sentences(sentence) != [sentence]:
        # Removing a comment left a sentence boundary that was not one before
        # (`idtac.(**)Abort.` is sent as `idtac. Abort.`): Coq would run two sentences.
        return f"text holds more than one sentence once comments are removed: {sentence[:60]!r}"
    word = _first_word(sentence)
    if word and word[0].isupper() and word not in _ALLOWED_COMMANDS:
        return f"vernacular command {word!r} is not a tactic"
    if not word and not sentence.lstrip().startswith(("(", "[", "_")):
        return f"not a tactic sentence: {sentence[:60]!r}"
    words = _words_outside_strings(sentence)
    bad = words & _FORBIDDEN_TACTICS
    if bad:
        return f"forbidden tactic {sorted(bad)[0]!r} (gives up on a goal)"
    native = words & _NATIVE_TACTICS
    if native:
        return f"forbidden tactic {sorted(native)[0]!r} (runs the OCaml compiler; use vm_compute)"
    return None


@lru_cache(maxsize=8192)
def split_tactic(text: str) -> tuple[tuple[str, ...], str | None]:
    """Split a model's tactic text into sentences and screen them all.

    Returns (sentences, None) when every sentence may be sent, or ((), reason) otherwise. A text
    without a final period gets one, since models often omit it. Cached: searches replay and
    retry the same texts many times.
    """
    stripped = text.strip()
    if not stripped:
        return (), "empty tactic"
    try:
        sentences = split_sentences(stripped)
    except SentenceError as exc:
        return (), str(exc)
    if sentences and not sentences[-1].endswith((".", "{", "}")) and not _BULLET.fullmatch(sentences[-1]):
        sentences[-1] += "."
    if not sentences or all(s in ("{", "}") or _BULLET.fullmatch(s) for s in sentences):
        return (), "no tactic in text"
    for sentence in sentences:
        reason = screen_sentence(sentence)
        if reason:
            return (), reason
    return tuple(sentences), None


def screen_tactic(tactic: str) -> str | None:
    """Why `tactic` may not be sent to Coq, or None when it may (the registry's screen)."""
    return split_tactic(tactic)[1]
