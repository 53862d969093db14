"""Tactic texts refused before they reach Lean: cheats, smuggled commands, unsendable text.

Lexical defence in depth (B §6.5 item 4): verification still checks sorries and axioms, but a
text that admits the goal, runs code or ends the proof block to start a command is dropped
here, without a round trip. Usable without any process, so generators can filter early.
"""

from __future__ import annotations

import re

DEFAULT_MAX_HEARTBEATS = 400_000
MAX_TACTIC_CHARS = 20_000

# Lean identifiers run on letters, digits, `_`, `'`, `!`, `?` and dots (`h.sorry` is no cheat
# word but `Lean.sorryAx` is caught below on its own).
_ID = r"[\w'!?.]"


def _word(words: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!{_ID})(?:{words})(?![\w'!?])")


_FORBIDDEN = [
    (_word(r"sorry|admit"), "gives up the goal (sorry/admit)"),
    # Qualified names (`Lean.ofReduceBool`) count too: no dot guard on these.
    (re.compile(r"(?<![\w'!?])sorryAx(?![\w'!?])"), "gives up the goal (sorry/admit)"),
    (re.compile(r"(?<![\w'!?])(?:ofReduceBool|ofReduceNat|trustCompiler)(?![\w'!?])"),
     "trusts compiled code (native_decide and the like)"),
    (_word(r"native_decide|bv_decide|native"), "trusts compiled code (native_decide and the like)"),
    (_word(r"axiom|unsafe|implemented_by|extern|opaque|csimp"), "adds trust (axiom/unsafe)"),
    (_word(r"run_tac|run_cmd|run_elab|run_meta|by_elab|elab|elab_rules|macro|macro_rules|syntax"
           r"|notation|infix|infixl|infixr|prefix|postfix|declare_syntax_cat|initialize"
           r"|builtin_initialize"), "runs or defines code (elab/macro/run_tac)"),
    # `#` never belongs to an identifier, so no look-behind: `simp#eval ...` ends the tactic block
    # and runs the command all the same; `#eval!` (evaluate despite sorry) and `?` forms too.
    (re.compile(r"#(?:exit|eval|print|reduce|check|check_failure|synth|help|guard_msgs|guard"
                r"|guard_expr|where|time|lint|compile|exec|show|widget|html|find|loogle|leansearch"
                r"|moogle|simp|norm_num|conv|explode|parse|version|count_heartbeats|min_imports"
                r"|redundant_imports|trans_imports|import_bumps)[!?]?(?![\w'])"),
     "is a command (#eval, #exit, ...), not a tactic"),
    (re.compile(r"(?m)^\s*(?:@\[|(?:theorem|lemma|def|example|instance|abbrev|structure|class"
                r"|inductive|namespace|section|end|import|universe|variable|attribute"
                r"|mutual|noncomputable|private|protected|deriving|export|omit|include)"
                r"(?![\w'!?]))"),
     "starts a new command"),
    # «» quoting does not change a name: `set_option «debug».skipKernelTC` is the same option.
    (re.compile(r"\bset_option\s+«?(?:debug|backward|compiler|trace»?\.«?profiler)»?\."),
     "changes a checking option"),
]
_HEARTBEATS = re.compile(r"\bset_option\s+«?maxHeartbeats»?\s+(\S+)")  # «» quoting: same option
_BAD_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def screen_tactic(tactic: str, max_heartbeats: int = DEFAULT_MAX_HEARTBEATS) -> str | None:
    """Why `tactic` may not be sent to Lean, or None when it may."""
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
    for pattern, why in _FORBIDDEN:
        found = pattern.search(tactic)
        if found:
            return f"{found.group(0).strip()!r} {why}"
    for match in _HEARTBEATS.finditer(tactic):
        value = match.group(1)
        if not value.isdigit() or int(value) == 0 or int(value) > max_heartbeats:
            return f"set_option maxHeartbeats {value} exceeds the cap of {max_heartbeats}"
    return None
