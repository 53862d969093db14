"""Tactic texts refused before they reach Lean: cheats, smuggled commands, unsendable text.

Lexical defence in depth: verification still checks sorries, the statement and the axioms, but
a text that admits the goal, runs code or ends the proof block to start a command is dropped
here, without a round trip. Usable without any process, so generators can filter early.

A Lean 4 command can start anywhere a tactic block may end, mid-line included (`exact h def x
:= ...`), so a command keyword anywhere, as a token, refuses the text. The screen's idea of
comments must never disagree with Lean's: comments (where a model writes English such as "for
example") are removed only from texts that have no string, no char literal and no «quoted»
name, the three places where a lexer could mistake code for a comment or the reverse; any other
text is read raw, comments and strings included.
"""

from __future__ import annotations

import re

DEFAULT_MAX_HEARTBEATS = 400_000
MAX_TACTIC_CHARS = 20_000
MAX_REC_DEPTH = 10_000  # Lean's default is 512
MAX_SYNTH_SIZE = 1_024  # synthInstance.maxSize, default 128

# Lean identifiers run on letters, digits, `_`, `'`, `!`, `?` and dots (`h.sorry` is no cheat
# word but `Lean.sorryAx` is caught below on its own).
_ID = r"[\w'!?.]"


def _word(words: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!{_ID})(?:{words})(?![\w'!?])")


_COMMANDS = (
    r"theorem|lemma|def|example|instance|abbrev|structure|class|inductive|coinductive|namespace"
    r"|section|end|import|universe|universes|variable|variables|attribute|mutual|noncomputable"
    r"|private|protected|partial|nonrec|deriving|export|omit|include|local"
    r"|simproc|dsimproc|simproc_decl|dsimproc_decl|builtin_simproc|builtin_dsimproc"
    r"|register_simp_attr|register_option|add_decl_doc|alias|irreducible_def|lemma_def"
    r"|unseal|seal|assert_not_exists|suppress_compilation|compile_inductive"
)

_FORBIDDEN = [
    (_word(r"sorry|admit|stop"), "gives up the goal (sorry/admit/stop)"),
    # Qualified names (`Lean.ofReduceBool`) count too: no dot guard on these.
    (re.compile(r"(?<![\w'!?])sorryAx(?![\w'!?])"), "gives up the goal (sorry/admit)"),
    (re.compile(r"(?<![\w'!?])(?:ofReduceBool|ofReduceNat|trustCompiler)(?![\w'!?])"),
     "trusts compiled code (native_decide and the like)"),
    (_word(r"native_decide|bv_decide|native"), "trusts compiled code (native_decide and the like)"),
    (_word(r"axiom|axioms|unsafe|implemented_by|extern|opaque|csimp"), "adds trust (axiom/unsafe)"),
    (_word(r"run_tac|run_cmd|run_elab|run_meta|by_elab|elab|elab_rules|macro|macro_rules|syntax"
           r"|notation|notation3|infix|infixl|infixr|prefix|postfix|declare_syntax_cat|initialize"
           r"|builtin_initialize|declare_simp_like_tactic|declare_config_elab"),
     "runs or defines code (elab/macro/run_tac)"),
    # `#` never belongs to an identifier, so no look-behind: `simp#eval ...` ends the tactic block
    # and runs the command. Every command of this shape is a lowercase word; Mathlib's card
    # notation on a one-letter set (`#s`) is the only term of it that is let through.
    (re.compile(r"#[a-z_][\w!?]+"), "is a command (#eval, #exit, ...), not a tactic"),
    # Attributes register code or rewrite rules (`@[tactic]`, `@[implemented_by]`, `@[simp]`).
    (re.compile(r"@\["), "declares with attributes, a command"),
    (_word(_COMMANDS), "starts a new command"),
    # Search tactics that never close a goal themselves: partial suggestions, no proof.
    (_word(r"apply\?|rw\?|rw_search|hint"), "is a suggestion search, not a proof step"),
]
# In a finished proof, `exact?` must have been replaced by the term it found ("Try this:").
_SEARCH_IN_PROOF = (_word(r"exact\?|aesop\?|says"), "is a search left in a final proof (use its suggestion)")

_SEARCHES_WITH_ANSWER = re.compile(r"(?<![\w'!?.])(?:exact\?(?:[ \t]+using[ \t]+[^\n;]*)?|aesop\?)")

_OPEN = re.compile(r"(?<![\w'!?.])open(?![\w'!?])")
_OPEN_IN = re.compile(r"(?<![\w'!?.])open\s+[^\n;]*?(?<![\w'!?.])in(?![\w'!?])")
_SET_OPTION = re.compile(r"(?<![\w'!?.])set_option(?![\w'!?])")
_SET_OPTION_ARGS = re.compile(r"set_option\s+([\w«».']+)\s+([^\s()]+)")
_LIMITED_OPTIONS = {
    "maxHeartbeats": None,  # the configured cap
    "synthInstance.maxHeartbeats": None,
    "maxRecDepth": MAX_REC_DEPTH,
    "synthInstance.maxSize": MAX_SYNTH_SIZE,
}
_HARMLESS_OPTIONS = re.compile(r"(?:pp|linter|push_neg|tactic\.simp|simprocs)(?:\.|$)|trace\.(?!profiler)")
_LIMIT_WORDS = re.compile(r"(?i)max|heartbeat|threshold|limit|depth|size|fuel")
_BAD_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def screen_tactic(
    tactic: str, max_heartbeats: int = DEFAULT_MAX_HEARTBEATS, final: bool = False
) -> str | None:
    """Why `tactic` may not be sent to Lean, or None when it may.

    `final`: the text is part of a proof to verify, where a search tactic (`exact?`) must have
    been replaced by its suggestion already.
    """
    if not tactic.strip():
        return "empty tactic"
    if len(tactic) > MAX_TACTIC_CHARS:
        return f"tactic longer than {MAX_TACTIC_CHARS} characters"
    try:
        tactic.encode("utf-8")
    except UnicodeEncodeError:
        return "tactic is not valid Unicode text"
    if _BAD_CHARS.search(tactic):
        return "tactic contains control characters"
    code = without_comments(tactic)
    text = tactic if code is None else code
    rules = _FORBIDDEN + [_SEARCH_IN_PROOF] if final else _FORBIDDEN
    for pattern, why in rules:
        found = pattern.search(text)
        if found:
            return f"{found.group(0).strip()!r} {why}"
    if len(_OPEN.findall(text)) != len(_OPEN_IN.findall(text)):
        return "'open' without 'in' is a command, not a tactic"
    return _option_problem(text, max_heartbeats)


_LEXER_DOUBT = re.compile(r"[\"«»]|(?<![\w'!?.₀-₉])'")  # strings, «names», char literals


def without_comments(text: str) -> str | None:
    """`text` with `--` and nested `/- -/` comments replaced by a space, or None when it holds
    anything (a string, a char literal, a «quoted» name) that could hide or fake a comment."""
    if _LEXER_DOUBT.search(text):
        return None
    out: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("--", i):
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
            out.append(" ")
        elif text.startswith("/-", i):
            depth, i = 1, i + 2
            while depth and i < len(text):
                if text.startswith("/-", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("-/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
            out.append(" ")
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _option_problem(tactic: str, max_heartbeats: int) -> str | None:
    """Options: limits within their caps, a few display/lint options, nothing else."""
    uses = _SET_OPTION.findall(tactic)
    parsed = _SET_OPTION_ARGS.findall(tactic)
    if len(uses) != len(parsed):
        return "a set_option the screen cannot read"
    for raw_name, value in parsed:
        name = raw_name.replace("«", "").replace("»", "")
        if name in _LIMITED_OPTIONS:
            cap = _LIMITED_OPTIONS[name] or max_heartbeats
            if not value.isdigit() or int(value) == 0 or int(value) > cap:
                return f"set_option {name} {value} exceeds the cap of {cap}"
        elif _LIMIT_WORDS.search(name) or not _HARMLESS_OPTIONS.match(name):
            return f"set_option {name} changes a checking option"
    return None


def substitute_suggestions(tactic: str, offered: tuple[str, ...]) -> str | None:
    """`tactic` with each `exact?`/`aesop?` replaced by the tactic Lean offered for it, in order.

    None when there is nothing to replace or the offers do not match the searches one for one
    (the text is then kept as it ran, and the final screen refuses it).
    """
    searches = _SEARCHES_WITH_ANSWER.findall(tactic)
    if not searches or len(searches) != len(offered):
        return None
    answers = iter(" ".join(text.split()) for text in offered)  # wrapped terms on one line
    return _SEARCHES_WITH_ANSWER.sub(lambda _: next(answers), tactic)
