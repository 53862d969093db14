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


class SentenceError(ValueError):
    """The text cannot be split into sentences (unclosed comment or string)."""


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Split `text` into Coq sentences: (start, end) offsets of each, comments included.

    A sentence ends with "." followed by whitespace or the end of the text (so `Nat.add_comm` and
    `1.5` stay whole), not after another "." (`..` in notations); strings are skipped whole.
    Bullets (`-`, `+`, `*`, repeated) and `{`/`}` at the start of a sentence are sentences of their
    own; `{|` and `|}` are record syntax, not braces; `2: {` focuses a goal and ends there.
    """
    spans: list[tuple[int, int]] = []
    start: int | None = None  # offset of the first character of the sentence being read
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("(*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("(*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*)", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            if depth:
                raise SentenceError("unclosed comment")
            i = j
            continue
        if c.isspace():
            i += 1
            continue
        if c == '"':
            j = i + 1
            while True:
                j = text.find('"', j)
                if j < 0:
                    raise SentenceError("unclosed string")
                if text.startswith('""', j):  # Coq escapes a quote by doubling it
                    j += 2
                    continue
                break
            start = i if start is None else start
            i = j + 1
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
        if c == "." and (i + 1 == n or text[i + 1].isspace()) and text[i - 1] != ".":
            spans.append((start, i + 1))
            start, i = None, i + 1
            continue
        i += 1
    if start is not None:
        spans.append((start, n))
    return spans


def _without_comments(sentence: str) -> str:
    out, i, n = [], 0, len(sentence)
    while i < n:
        if sentence.startswith("(*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if sentence.startswith("(*", i):
                    depth, i = depth + 1, i + 2
                elif sentence.startswith("*)", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
            out.append(" ")
        elif sentence[i] == '"':
            j = sentence.find('"', i + 1)
            while j >= 0 and sentence.startswith('""', j):
                j = sentence.find('"', j + 2)
            j = n - 1 if j < 0 else j
            out.append(sentence[i : j + 1])
            i = j + 1
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
    if not sentence.endswith(".") and not sentence.endswith("{"):
        return f"sentence does not end with a period: {sentence[:60]!r}"
    word = _first_word(sentence)
    if word and word[0].isupper() and word not in _ALLOWED_COMMANDS:
        return f"vernacular command {word!r} is not a tactic"
    if not word and not sentence.lstrip().startswith(("(", "[", "_")):
        return f"not a tactic sentence: {sentence[:60]!r}"
    bad = _words_outside_strings(sentence) & _FORBIDDEN_TACTICS
    if bad:
        return f"forbidden tactic {sorted(bad)[0]!r} (gives up on a goal)"
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
