"""The screen's sentence split against Coq's own, on generated texts, with a real coqtop.

A disagreement between the two is how model text once ran Coq commands: a text the screen reads as
one tactic is two sentences for Coq, the second any vernacular. Texts are generated from a grammar of
the pieces where lexers disagree (goal selectors with primes and Unicode, ranges and lists, braces
and bullets with or without blanks, comments holding strings, strings, `..`, `...`, `.(`, fields,
numerals, Coq's blanks and other Unicode spaces) and sent to a throw-away coqtop followed by a sync
fence: the prompts Coq prints before the fence answers are its sentence count, and "no answer"
means Coq reads the text as unfinished. Two properties:

- lexer truth: for every text without strings, the screen's count (or "unfinished") equals Coq's;
- what is sent is what runs: for every text the screen accepts, Coq reads exactly the sentences
  the screen will send.

The budget is `PROVER_LEXER_EXAMPLES` examples per property (default 600, about a minute each).
"""

from __future__ import annotations

import os
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lean_env.coq.process import CoqTop, OutOfStep
from lean_env.coq.sentences import SentenceError, sentence_spans, split_tactic

pytestmark = [pytest.mark.coq, pytest.mark.slow]

EXAMPLES = int(os.environ.get("PROVER_LEXER_EXAMPLES", "600"))
SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)

SELECTORS = ["1:", "2:", "x:{{", "}}", "1,2:", "1-2:", "1 - 2 :", "1-2,3:", "all:", "!:", "par:", "[a]:", "[a']:",
             "[x₁]:", "[ a ]:", "[_a]:", "[_]:", "[a.b]:", "[Type]:", "0x1:", "01:", "[a\u00a0]:", "[x²]:",
             "[x‿y]:", "1,2,3,4,5:"]
TACTICS = ["idtac", "auto", "exact I", "split", "intros", "trivial", "constructor", "(idtac)",
           "let x := 1 in idtac", "rewrite Nat.add_comm", "f x", "x.(f)", "1.5", "a'", "x₁", "α", "@eq",
           "h.1", "[> idtac | idtac ]", "x²", "x\u00a0y", "x‿y", "¼"]
PUNCTUATION = ["{", "}", "-", "+", "*", "--", "**", "++", "-+", "+-", "...", "..", ".", ".(", "{|", "|}",
               ";", "|", "=>", ":", ","]
COMMENTS = ["(* c *)", '(* "*)" *)', "(* (* n *) *)", "(**)", "(* a. b *)", "(*)*)"]
STRINGS = ['idtac "s"', 'idtac "a""b"', 'idtac "a. b"', 'idtac "(*"', 'fail "x"', 'x "a"', 'foo 1 "x"']
BLANKS = [" ", " ", "\n", "\t", "\r\n", "", "\u00a0", "\u2003", "\x0c"]
ENDS = [".", ". ", "...", " .", "", ".\n"]

SLOW = 10.0  # seconds: the recount of a text Coq seemed not to finish (a loaded machine is slow)

piece = st.sampled_from(SELECTORS + TACTICS + PUNCTUATION + COMMENTS + BLANKS)


def texts(pieces):
    return st.builds(lambda body, end: "".join(body) + end, st.lists(pieces, min_size=1, max_size=10),
                     st.sampled_from(ENDS))


def screen_count(text: str) -> int | None:
    """The screen's sentence count, or None when it reads the text as unfinished."""
    try:
        spans = sentence_spans(text)
        extended = sentence_spans(text + "\nidtac.")
    except SentenceError:
        return None
    return len(spans) if len(extended) == len(spans) + 1 else None


def _has_content(text: str) -> bool:
    """Whether `text` holds anything besides Coq blanks and comments."""
    from lean_env.coq.sentences import BLANKS, _skip_comment

    i = 0
    while i < len(text):
        if text.startswith("(*", i):
            try:
                i = _skip_comment(text, i)
            except SentenceError:
                return True
        elif text[i] in BLANKS:
            i += 1
        else:
            return True
    return False


class Coq:
    """A throw-away coqtop inside a proof with three goals, rewound before each text."""

    def __init__(self) -> None:
        self.scratch = tempfile.mkdtemp(prefix="lexer-diff-")
        self.top: CoqTop | None = None

    def count(self, text: str, timeout: float = 0.5) -> int | None:
        """Coq's sentence count for `text`, or None when Coq reads it as unfinished (no fence
        answer within `timeout`: a loaded machine can be slower than that, so callers recount a
        disagreement with a long timeout before they believe it)."""
        if self.top is None:
            self.top = CoqTop("coqtop", self.scratch, 2048)
            self.top.send("Goal True /\\ True /\\ True.", 10)
            self.base = self.top.state_id
        try:
            self.top.back_to(self.base)
            count = self.top.count_sentences(text, timeout=timeout)
        except OutOfStep:
            self.top = None  # killed: Coq was still reading the text
            return None
        # A text that is only the start of a sentence (`1:`) merges with the fence into one
        # sentence (`1: Check prover_fence_...`), which answers like the fence itself: no prompt
        # before it although the text has content means Coq read the text as unfinished.
        if count == 0 and _has_content(text):
            return None
        return count

    def close(self) -> None:
        if self.top is not None:
            self.top.kill()


@pytest.fixture(scope="module")
def coq():
    c = Coq()
    yield c
    c.close()


def test_lexer_truth_on_generated_texts(coq):
    disagreements: list[tuple[str, int | None, int | None]] = []

    @SETTINGS
    @given(texts(piece))
    def check(text):
        ours, theirs = screen_count(text), coq.count(text)
        if ours != theirs and theirs is None:
            theirs = coq.count(text, timeout=SLOW)
        if ours != theirs:
            disagreements.append((text, ours, theirs))

    check()
    assert not disagreements, disagreements[:10]


def test_accepted_texts_run_exactly_the_screened_sentences(coq):
    disagreements: list[tuple[str, tuple[str, ...], int | None]] = []
    accepted = 0

    @SETTINGS
    @given(texts(st.sampled_from(SELECTORS + TACTICS + PUNCTUATION + COMMENTS + STRINGS + [" ", "\n"])))
    def check(text):
        nonlocal accepted
        sentences, reason = split_tactic(text)
        if reason is not None or screen_count(text) is None:
            return  # refused, or completed with a period the raw text lacks
        accepted += 1
        count = coq.count(text)
        if count is None:
            count = coq.count(text, timeout=SLOW)
        if count != len(sentences):
            disagreements.append((text, sentences, count))

    check()
    assert not disagreements, disagreements[:10]
    assert accepted > EXAMPLES // 10  # the grammar must exercise the screen, not only its refusals


@pytest.mark.parametrize(
    "text, count",
    [
        ("[a']: { idtac.", 2),  # once a single "tactic" for the screen: the `{` ends a sentence
        ("[x₁]: { idtac.", 2),
        ("-idtac.", 2),  # a bullet needs no blank after it
        ("*-+ idtac.", 4),
        ("1: { - idtac.", 2),  # after `1: {` Coq's lexer is not at a sentence start: no bullet
        ("idtac.\x0cidtac.", 1),  # a form feed is not a blank: the first period ends nothing
        ("idtac .(* c *) idtac.", 1),  # `.(` is a keyword, so `(*` here opens no comment
        ("idtac..... idtac.", 1),  # "..." then "..": no end
        ("idtac...... idtac.", 2),  # "..." twice: an end
        ("1:{{.", None),  # a quotation `name:{{ ... }}` opens, and never closes here
        ("x:{{ a }} idtac.", 1),
        ('x:{{ "}}" }}.', None),  # a string is no string inside a quotation
        ("x:{{ {{ }} }}.", 1),  # runs of as many braces nest
        ("x:{{{ }} }}}.", 1),
        ("1 :{{.", 3),  # not adjacent: a selector, then braces
        ("01:", None),  # a selector alone: Coq reads on, into whatever is sent next
    ],
)
def test_known_lexer_corner_cases(coq, text, count):
    assert screen_count(text) == count
    assert coq.count(text) == count
