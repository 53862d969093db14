"""Tactic texts refused before they reach Lean: cheats, smuggled commands, unsendable text.

Lexical defence in depth: verification still checks sorries, the statement and the axioms, but
a text that admits the goal, runs code or ends the proof block to start a command is dropped
here, without a round trip. Usable without any process, so generators can filter early.

A Lean 4 command can start anywhere a tactic block may end, mid-line included (`exact h def x
:= ...`), so a command keyword anywhere, as a token, refuses the text. The screen's idea of
comments must never disagree with Lean's: comments (where a model writes English such as "for
example") are removed only from text that is simple to lex (outside its comments no string, char
literal or «quoted» name, and every comment opener at a token boundary), where no lexer could
mistake code for a comment or the reverse; any other text is read raw, comments and strings
included.

Code that runs at elaboration is the danger beyond cheat words: a tactic's configuration is
compiled and run, and some hold functions (linarith's preprocessors), so options are accepted only
as literals, and the names that reach the elaborator, the kernel, IO or syntax are refused.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterator
from functools import lru_cache

from lean_env.nesting import nested_end

DEFAULT_MAX_HEARTBEATS = 400_000
MAX_TACTIC_CHARS = 20_000
MAX_PROOF_CHARS = 5 * MAX_TACTIC_CHARS  # a proof's steps (or a sketch's lines) screened joined
MAX_REC_DEPTH = 10_000  # Lean's default is 512
MAX_SYNTH_SIZE = 1_024  # synthInstance.maxSize, default 128

# A word is a token of its own unless it continues a name, and what continues a name is Lean's
# lexer's business, not Python's `\w`: a numeral ends at the first letter (`iterate 1sorry` is
# `iterate 1 sorry`), a char literal ends at its quote (`'a'def`), and `ᶜ`, `²`, `λ` are no name
# characters (`exact hᶜdef x := 0` starts a command). Lean's classes (Lean.isIdFirst,
# isIdRest, isLetterLike, isSubScriptAlnum) are copied below.


def _letter_like(c: str) -> bool:
    o = ord(c)
    return (
        (0x3B1 <= o <= 0x3C9 and o != 0x3BB)  # Greek lower case but λ
        or (0x391 <= o <= 0x3A9 and o not in (0x3A0, 0x3A3))  # Greek upper case but Π and Σ
        or 0x3CA <= o <= 0x3FB  # Coptic
        or 0x1F00 <= o <= 0x1FFE  # polytonic Greek
        or 0x2100 <= o <= 0x214F  # letterlike symbols
        or 0x1D49C <= o <= 0x1D59F  # script, fraktur, double-struck
    )


def _id_first(c: str) -> bool:
    return (c.isascii() and (c.isalpha() or c == "_")) or _letter_like(c)


def _id_rest(c: str) -> bool:
    o = ord(c)
    subscript = 0x2080 <= o <= 0x2089 or 0x2090 <= o <= 0x209C or 0x1D62 <= o <= 0x1D6A or o == 0x2C7C
    return (c.isascii() and (c.isalnum() or c in "_'!?")) or _letter_like(c) or subscript


# `_id_rest` as a regex class, for the look-ahead that lets an alternation backtrack
# (`macro|macro_rules` must still find `macro_rules`); a test checks that the two agree.
_ID_REST = (
    "[A-Za-z0-9_'!?\u03b1-\u03ba\u03bc-\u03c9\u0391-\u039f\u03a1\u03a2\u03a4-\u03a9\u03ca-\u03fb"
    "\u1f00-\u1ffe\u2100-\u214f\U0001d49c-\U0001d59f\u2080-\u2089\u2090-\u209c\u1d62-\u1d6a\u2c7c]"
)


@lru_cache(maxsize=8)  # one screen reads at most two texts, each with and without dots
def _inside_names(text: str, dots: bool) -> tuple[bool, ...]:
    """For each offset of `text`, whether the character there continues a name begun before it:
    the run of name characters (and, with `dots`, dots) just before it starts with a character
    that can start a name. A run that starts with a digit or a quote is a numeral or a char
    literal, which ends there. One pass per text (a walk back per match would be quadratic)."""
    inside = [False] * len(text)
    run, starts_a_name = 0, False
    for i, c in enumerate(text):
        inside[i] = run > 0 and starts_a_name
        # Lean continues a name across a dot only into a name part (`h.sorry`, `h.«x»`), never
        # into a digit: `h.1def` is `h`, the field index `.1`, then the keyword `def`.
        dot = dots and c == "." and i + 1 < len(text) and (_id_first(text[i + 1]) or text[i + 1] == "«")
        if _id_rest(c) or dot:
            if run == 0:
                starts_a_name = _id_first(c)
            run += 1
        else:
            run = 0
    return tuple(inside)


@lru_cache(maxsize=8)
def _run_starts(text: str, dots: bool) -> array[int]:
    """For each offset inside a name (`_inside_names`), where that name begins: one pass, so that
    a text of many words inside one long name (`xy.def.def...`) is not walked back per word."""
    inside = _inside_names(text, dots)
    starts, begin = array("l", [0]) * len(text), 0
    for i in range(len(text)):
        if not inside[i]:
            begin = i
        starts[i] = begin
    return starts


def _relexed(text: str, i: int, start: int) -> bool:
    """Whether the word at `i`, inside a name, may still be read as a token of its own. Lean
    reports an identifier in tactic position as an unknown tactic AT ITS SECOND CHARACTER, and
    its error recovery lexes on from there:
    - when that character cannot start a name (a digit, `.`, `!`, `?`, a prime), what follows it
      is lexed afresh: `h1elab`, `h.def`, `h!axiom`, `h''macro`;
    - a prime opens a char literal that fails after taking one character (or escape) and the
      next: `h'abelab`, `h'(xelab`, `h'\\nxaxiom` all end in the keyword.
    `start`: where the name holding the word begins."""
    if start + 1 < i and not _id_first(text[start + 1]):
        return True
    for j in range(max(0, i - 8), i):
        if text[j] != "'":
            continue
        if text[j + 1] == "\\":
            kind = text[j + 2 : j + 3]
            width = 4 if kind == "x" else 6 if kind == "u" else 2
            if j + 2 + width == i:
                return True
        elif j + 3 == i:
            return True
    return False


class _Word:
    """Finds the first of `words` that Lean reads as a token of its own (see `_inside_names`).
    With `dots`, a word after a dot is part of a qualified name (`h.sorry` is no cheat word);
    without, it counts (`Lean.sorryAx` is)."""

    def __init__(self, words: str, dots: bool = True, relex: bool = False, ends_name: bool = True) -> None:
        # `ends_name`: the word is a name's text, so a name character after it makes a longer name;
        # a symbol token (`eval%`) is read before a name character all the same.
        tail = f"(?!{_ID_REST})" if ends_name else ""
        self.pattern, self.dots, self.relex = re.compile(rf"(?:{words}){tail}"), dots, relex

    def _tokens(self, text: str) -> Iterator[re.Match[str]]:
        inside = _inside_names(text, self.dots)
        starts = _run_starts(text, self.dots) if self.relex else ()
        return (m for m in self.pattern.finditer(text)
                if not inside[m.start()] or (self.relex and _relexed(text, m.start(), starts[m.start()])))

    def search(self, text: str) -> re.Match[str] | None:
        return next(self._tokens(text), None)

    def count(self, text: str) -> int:
        return sum(1 for _ in self._tokens(text))


def _word(words: str) -> _Word:
    return _Word(words)


def _command_word(words: str) -> _Word:
    """Words that start a command: also found where error recovery re-lexes a name (`_relexed`)."""
    return _Word(words, relex=True)


# Commands that run code or register something when read: refused on the whole text, comments
# included (see screen_tactic). A command read out of a comment after a parse error comes after
# the proof failed to parse, so it cannot make the proof count; what matters is what it does on
# its own: run code (and through IO, forge the verifier's answers), define syntax the verifier's
# own commands would be read with, or change options. The commands that only declare (theorem,
# def, instance, section, ...: common words in English comments) are left to the stripped text.
# A family's middle part is bounded (`\w{1,40}`, every real name is shorter): an unbounded `\w+`
# is rescanned to the word's end from each `gen_` of `gen_gen_gen_...`, quadratic in the word.
_CODE_COMMANDS = (
    r"attribute|simproc|dsimproc|simproc_decl|dsimproc_decl|builtin_simproc|builtin_dsimproc"
    r"|register_simp_attr|register_option|register_builtin_option|register_label_attr|declare_aesop_rule_sets"
    r"|test_extern|meta|public|import"
    # from the token tables of Lean and Mathlib (red-team round 16): each declares, evaluates or
    # registers something when read after the tactic block
    r"|set_premise_selector|show_panel_widgets|builtin_simproc_decl|builtin_dsimproc_decl"
    r"|builtin_grind_propagator|grind_propagator|declare_\w{1,40}_simprocs|register_parser_alias|compile_def%"
    r"|simproc_pattern%|builtin_simproc_pattern%|set_library_suggestions"
    # from the command tables of later Lean and Mathlib releases (red-team round 22): each
    # declares or registers code, or evaluates, when read
    r"|cbv_simproc|cbv_simproc_decl|cbv_simproc_pattern|builtin_cbv_simproc|builtin_cbv_simproc_decl"
    r"|builtin_cbv_simproc_pattern|declare_config_elab_legacy|declare_command_config_elab_legacy"
    r"|declare_core_config_elab|declare_term_config_elab|def_eval_config_item|make_elab_simp_config"
    r"|make_elab_grind_config|register_grind_attr|register_sym_simp|register_sym_simp_attr"
    r"|register_sym_dsimp|register_try\?_tactic|register_aesop_check_option|elab_stx_quot"
    r"|derive_eval_expr_instance_using_meta_eval|ensure_eval_expr_instance|ensure_eval_term_expr_instances"
    r"|ensure_eval_term_instance|declare_eval_bin|declare_eval_bin_bitwise|declare_eval_bin_bool_pred"
    r"|unlock_limits|unset_option|declare_aesop_exception|gen_cnstr_fns|gen_\w{1,40}_encoders|gen_\w{1,40}_decoders"
)
_COMMANDS = (
    r"theorem|lemma|def|example|instance|abbrev|structure|class|inductive|coinductive|namespace"
    r"|section|end|universe|universes|variable|variables|mutual|noncomputable"
    r"|private|protected|partial|nonrec|deriving|export|omit|include|local"
    r"|add_decl_doc|alias|irreducible_def|lemma_def"
    r"|unseal|seal|assert_not_exists|suppress_compilation|compile_inductive"
    r"|binder_predicate|unif_hint|proof_wanted|init_quot|gen_injective_theorems%|recommended_spelling"
    r"|add_aesop_rules|recall|library_note"
    r"|initialize_simps_projections|grind_pattern|mk_iff_of_inductive_prop"
    r"|assert_not_imported|variable\?|erase_aesop_rules|reset_grind_attrs|register_hint"
    r"|count_heartbeats|whatsnew|with_weak_namespace|declare_command_config_elab"
    r"|unsuppress_compilation|register_tactic_tag|tactic_extension|extend_docs|insert_to_additive_translation"
    r"|register_error_explanation"
    r"|declare_\w{1,40}_theorems|register_linter_set|reprove|init_grind_norm|norm_cast_add_elim"
    r"|docs_to_verso|scoped(?=\s*\[)|initialize_simps_projections\?"
    # later releases' declaring and diagnostic commands (red-team round 22)
    r"|def_wanted|theorem_wanted|instance_wanted|deprecate|deprecated_module|deprecated_syntax"
    r"|end_local_scope|family_def|flex\?|grind_annotated|guard_decl|guard_min_heartbeats"
    r"|hydrate_opaque_type|name_poly_vars|name_power_vars|nonempty_type|postprocess_traces|recall\?"
    r"|sudo|to_additive_name_hint|to_dual_insert_cast|to_dual_insert_cast_fun|to_dual_name_hint"
    r"|wait_for_cancel_once_command|assert_exists|assert_no_sorry|aux_def|library_note2|lrat_proof"
    r"|"
    + _CODE_COMMANDS
)

_WAITS = "only waits (a debugging tactic), not a proof step"
_FORBIDDEN = [
    (_word(r"sorry|admit|stop"), "gives up the goal (sorry/admit/stop)"),
    # Qualified names (`Lean.ofReduceBool`) count too: no dot guard on these.
    (_Word(r"sorryAx", dots=False), "gives up the goal (sorry/admit)"),
    (_Word(r"ofReduceBool|ofReduceNat|trustCompiler", dots=False), "trusts compiled code (native_decide and the like)"),
    (_word(r"native_decide|bv_decide\??|bv_check|bv_normalize|native"), "trusts compiled code (native_decide and the like)"),
    # They read files or start programs (a SAT solver, curl) from inside the proof.
    (_word(r"include_str|polyrith"), "reads files or runs programs"),
    # Mathlib's `eval% t` compiles and runs t at elaboration. A token wherever no name runs into
    # it by Lean's classes (Python's `\w` also takes `¹`, `ᶜ`: `x⁻¹eval% t` is `x⁻¹ (eval% t)`),
    # also before a name character (`eval%x` is `eval% x`: the longer token wins). A name, not a
    # name character, runs into it: `!` and `?` continue a name but start none (`!eval% t` is
    # `!(eval% t)`, the boolean not), and a name error-recovered apart counts as for commands.
    (_Word(r"eval%", relex=True, ends_name=False), "runs code at elaboration (eval%)"),
    (_command_word(r"axiom|axioms|unsafe|implemented_by|extern|opaque|csimp"), "adds trust (axiom/unsafe)"),
    (_command_word(r"run_tac|run_cmd|run_elab|run_meta|by_elab|elab|elab_rules|macro|macro_rules|syntax"
           r"|notation|notation3|infix|infixl|infixr|prefix|postfix|declare_syntax_cat|initialize"
           r"|builtin_initialize|declare_simp_like_tactic|declare_config_elab"),
     "runs or defines code (elab/macro/run_tac)"),
    # `#` never belongs to an identifier, so no look-behind: `simp#eval ...` ends the tactic block
    # and runs the command. Every command of this shape is a lowercase word; Mathlib's card
    # notation on a one-letter set (`#s`) is the only term of it that is let through.
    (re.compile(r"#[a-z_][\w!?]+"), "is a command (#eval, #exit, ...), not a tactic"),
    # Attributes register code or rewrite rules (`@[tactic]`, `@[implemented_by]`, `@[simp]`).
    (re.compile(r"@\["), "declares with attributes, a command"),
    (_command_word(_COMMANDS), "starts a new command"),
    # Search tactics that never close a goal themselves: partial suggestions, no proof.
    (_word(r"apply\?|rw\?|rw_search|hint"), "is a suggestion search, not a proof step"),
    # Core's debugging tactic `sleep ms` waits without spending heartbeats: a sure timeout of a
    # process (and, in the verifier's command alone, of two) that no heartbeat cap ends.
    (_word(r"sleep"), _WAITS),
]
# In a finished proof, `exact?` must have been replaced by the term it found ("Try this:").
_SEARCH_IN_PROOF = (_word(r"exact\?|aesop\?|says"), "is a search left in a final proof (use its suggestion)")

_DANGEROUS = [
    (pattern, why) for pattern, why in _FORBIDDEN
    if why not in ("gives up the goal (sorry/admit/stop)", "starts a new command", "is a suggestion search, not a proof step",
                   _WAITS)
] + [(_command_word(_CODE_COMMANDS), "starts a new command")]

_SEARCHES_WITH_ANSWER = re.compile(r"(?<![\w'!?.])(?:exact\?(?:[ \t]+using[ \t]+[^\n;]*)?|aesop\?)")

_OPEN = _word(r"open")
# `in` after a blank, or where a line or step ends. Blanks are Lean's, a space or a line break:
# `open Real\u00a0in simp` is `open Real` and then a lexer error, to Lean (a no-break space, a
# Unicode space or a tab is no blank to it).
_OPEN_ENDS = re.compile(rf"(?<=[ \n])in(?!{_ID_REST})|[\n;]")
# From a line's end: only blanks, then `in` and a blank. In Lean's grammar `in` is the keyword
# `" in "` right after the namespaces, in the tactic (`"open " >> openDecl >> withOpenDecl (" in "
# >> tacticSeq)`), the term and the command combinator (`trailing_parser withOpen (" in" >>
# commandParser)`) alike, with no column or line check before it: the lexer skips line breaks
# there as it skips blanks, so `open Real` and `in` on the next line are one `open ... in`.
# Blanks as Lean's lexer has them: spaces and line breaks (a tab is a lexer error, and other
# Unicode spaces are no blanks to it).
_IN_ON_A_LATER_LINE = re.compile(r"[ \n]*(?<=[ \n])in(?=[ \n])")
# Between `open` and its `in` Lean reads names (`«»` included), `hiding`, `renaming`, `scoped`,
# parentheses and blanks. A comment opener there (a doc comment `/--` is a token that ends the
# `open`; `--` and `/-` may hold the `in`), a string or a char literal means the `in` is not the
# open's, as raw text (which holds them) can show: `open Real /-- d -/ in simp` is `open Real`.
# So does a blank other than a space or a line break anywhere there (a lexer error, as before the
# `in`): `open Real\u00a0Nat in`, `open Real\t⏎in` are `open Real`, then an error.
_NOT_AN_OPEN_DECL = re.compile(r"/-|--|\"|[^\S \n]")


def _in_hidden(text: str, start: int, end: int) -> bool:
    """Whether `text[start:end]`, between an `open` and an `in`, holds what Lean's `open` cannot
    read before its `in`: a comment opener, a string, a char literal (a quote that does not
    continue a name, `h'` does), or a blank Lean's lexer has none of."""
    if _NOT_AN_OPEN_DECL.search(text, start, end):
        return True
    inside = _inside_names(text, True)
    return any(text[k] == "'" and not inside[k] for k in range(start, end))


def _open_without_in(text: str, lexed: bool = False) -> bool:
    """Whether an `open` token lacks an `in` of its own after it on its line (before a `;`, the
    line's end or the next `open`): `open X` alone is a command. One pass (a regex from each
    `open` to the line's end took time quadratic in the line).

    `lexed`: the text was read as Lean lexes it (comments removed; no string, char literal or
    quoted name left in it), so its blanks are blanks to Lean: there the `in` may also stand
    after line breaks and nothing else (`open Real\n  in simp`). Raw text keeps it on the line:
    a line break there may sit inside a comment or a string."""
    events = sorted([(m.start(), "open") for m in _OPEN._tokens(text)]
                    + [(m.start(), m.group(0)) for m in _OPEN_ENDS.finditer(text)])
    waiting = None  # where the `open` still waiting for its `in` starts
    blank_until = -1  # the line breaks before here lead to that `in` over blanks alone
    for at, kind in events:
        if kind == "in":
            # `open`, a blank, a namespace, a blank, `in`
            if waiting is not None and text[waiting + 4] in " \n" and at >= waiting + 6:
                if _in_hidden(text, waiting + 4, at):
                    return True  # once, for this `open`: the scan is linear
                waiting = None
        elif waiting is not None:
            if kind == "\n" and lexed and at < blank_until:
                continue
            later = _IN_ON_A_LATER_LINE.match(text, at) if kind == "\n" and lexed else None
            if later is not None and text[waiting + 5 : at].strip():  # `open`, a blank, a namespace at least
                blank_until = later.start() + len(later.group(0))
                continue
            return True
        elif kind == "open":
            waiting = at
    return waiting is not None


# Also where error recovery re-lexes a name (`h'abset_option ...`): each one must be readable.
_SET_OPTION = _command_word(r"set_option")
_SET_OPTION_ARGS = re.compile(r"set_option\s+([\w«».']+)\s+([^\s()]+)")
_LIMITED_OPTIONS = {
    "maxHeartbeats": None,  # the configured cap
    "synthInstance.maxHeartbeats": None,
    "maxRecDepth": MAX_REC_DEPTH,
    "synthInstance.maxSize": MAX_SYNTH_SIZE,
}
_HARMLESS_OPTIONS = re.compile(r"(?:pp|linter|push_neg|tactic\.simp|simprocs)(?:\.|$)|trace\.(?!profiler)")
_LIMIT_WORDS = re.compile(r"(?i)max|heartbeat|threshold|limit|depth|size|fuel")
_NUMERAL = re.compile(r"[0-9]{1,12}")
_BAD_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Meta-programming that switches checks off, adds declarations, parses and runs text or does IO,
# refused wherever they appear, even inside a longer word: a second layer under the token rules
# above, which depend on reading token boundaries exactly as Lean does. No proof of a mathematical
# statement names the `Lean` namespace (the elaborator, the kernel, the parser), `IO`, the meta
# monads, syntax objects or Aesop's API. Read on the text with «» removed: `«Lean».«Elab»` is the
# name `Lean.Elab`.
_NEVER_ANYWHERE = re.compile(
    r"KernelTC|addDecl|addAndCompile|mkAux|withOptions|evalExpr|ofReduceBool|ofReduceNat|sorryAx"
    r"|implemented_by|unsafe|run_\w|by_elab|Lean\b|Aesop\b|runParserCategory|runTactic|evalTactic|evalTerm"
    r"|elabTerm|elabCommand|getEnv|setEnv|modifyEnv|MonadEnv|getStdout|getStdin|getStderr|RealWorld|setArg"
    r"|toName|Syntax|MVarId|TacticM|MetaM|TermElabM|CoreM|CommandElabM|liftM|monadLift"
    # IO without the word: the compiler's unsafe axioms (lcProof, lcCast) forge a world token,
    # profiling wrappers (timeit, allocprof) take an IO action, `.FS.writeFile` resolves under
    # an expected IO type; and any spelling of unsafe (ptrAddrUnsafe)
    r"|lc[A-Z]\w*|timeit|allocprof|dbgTrace|dbg_trace|dbgSleep|FS\.|writeFile|readFile|getStdout|(?i:unsafe)"
    r"|plausible|slim_check"
    # a tactic that compiles and runs a term (ProofWidgets: display only), premise selection
    # that runs a stored function, Batteries' file writer, namespaces of IO-typed functions
    r"|panel_widgets|premise_selector|suggest_premises|(?<![\w'])premises(?![\w'])|pickle"
    r"|LeanSearchClient|Std\.Internal|Std\.Time|Widget"
    # the verifier's own constants: one exists in its compiling command alone, so a proof naming it
    # could tell that command from every check before it and act otherwise there
    r"|_prover_"
    r"|(?<![A-Za-z0-9_'])(?:IO|BaseIO|EIO|EStateM|System|Process)(?![A-Za-z0-9_'])"
)
# The same on text with its comments, less the bare words `Lean` ("in Lean, ...") and
# `premises` (grind's option, a tactic's, never read out of a comment): with every command that
# runs code refused, a name alone runs nothing.
_NEVER_IN_COMMENTS = re.compile(
    _NEVER_ANYWHERE.pattern.replace(r"|Lean\b", r"|Lean\.").replace(r"|(?<![\w'])premises(?![\w'])", "")
)
# A tactic's configuration (`(config := e)`, `(field := e)`) is compiled and run when the tactic
# is elaborated, and some configurations hold code: linarith's `preprocessors`, `discharger` and
# `oracle` are MetaM/TacticM functions, as are the `proc`, `suspend` and `discharge` hooks of
# solve_by_elim and apply_rules. Those fields are refused by name, wherever they appear; a
# `config` is accepted only as a structure of literals (`{ splitNe := true, maxSteps := 100 }`).
_CODE_FIELDS = re.compile(r"(?<![\w'])(?:preprocessors|discharger|oracle|proc|suspend|discharge|transform"
                          r"|produceCertificate|mainGoalProc|accept|testSolutions|testPartialSolutions"
                          r"|withDischarge|on_failure)(?![\w'])")
# A backtick starts a name literal or a syntax quotation: meta-level text, never mathematics.
_BACKTICK = "`"
# `(name := value)`, also with comments around the name (Lean allows them there; a text holding a
# string is read with its comments): found by `_named_values`, which reads those comments as Lean
# does (a regex that lets a comment span `-/ /-` backtracks exponentially on `( /- -/ /- -/ ...`).
_NAME_AT = re.compile(r"[^\W\d][\w.']*")
_BLANKS = re.compile(r"\s+")
_LITERAL_CONFIG = re.compile(
    r"\{\s*(?:[A-Za-z_][\w]*\s*:=\s*(?:\d+|true|false|\.[A-Za-z_][\w]*)\s*(?:,\s*|(?=\}))){0,32}\}"
)
# Monadic code in any named value: a named argument of a proof term never needs it; nor a name
# resolved by its expected type (`.FS.writeFile` under an IO type), which a literal `.ctor` aside
# only option values use.
_CODE_IN_VALUE = re.compile(
    r"(?<![\w'])(?:do|pure|return|bind|seq|seqLeft|seqRight)(?![\w'])|>>=|<\$>|<\*>|\*>|<\*"
    r"|(?<![\w'.)\]}⟩])\.[A-Za-z_][\w']*(?![\w'])(?:\.|\s*[^\s,})])"
)
_DO = _word(r"do")
# A heartbeat or step limit set to 0 in a tactic's options (`aesop (config := { maxRuleHeartbeats
# := 0 })`) switches it off. The field's tail is bounded, as the command families' are.
# Any limit's name counts (Aesop's `maxRuleApplications`, `maxNormIterations`, `maxGoals`: "0 means
# no limit"), and zero in each spelling a literal config allows (`.zero`, `(0)`).
# Lean's numerals also spell zero in hexadecimal, binary and octal (`0x0`), and a type ascription
# keeps it zero (`(0 : Nat)`).
_NUMERAL_ZERO = r"(?:0[xXbBoO]0+|0+)"
_ZERO = rf"(?:{_NUMERAL_ZERO}|\.zero|Nat\.zero|\(\s*{_NUMERAL_ZERO}\s*(?::\s*[\w.]{{1,40}}\s*)?\))"
_UNLIMITED = re.compile(rf"(?i)(?:max|heartbeat|threshold|limit|depth|size|fuel|steps)\w{{0,40}}\s*:=\s*{_ZERO}(?![\w.'])")
_UNLIMITED_VALUE = re.compile(rf"{_ZERO}\s*$")


def screen_tactic(
    tactic: str, max_heartbeats: int = DEFAULT_MAX_HEARTBEATS, final: bool = False,
    max_chars: int = MAX_TACTIC_CHARS,
) -> str | None:
    """Why `tactic` may not be sent to Lean, or None when it may.

    `final`: the text is part of a proof to verify, where a search tactic (`exact?`) must have
    been replaced by its suggestion already. `max_chars`: more for steps screened joined, each
    of which was held to the limit already.
    """
    if not tactic.strip():
        return "empty tactic"
    if len(tactic) > max_chars:
        return f"tactic longer than {max_chars} characters"
    try:
        tactic.encode("utf-8")
    except UnicodeEncodeError:
        return "tactic is not valid Unicode text"
    if _BAD_CHARS.search(tactic):
        return "tactic contains control characters"
    if "/-!" in tactic:
        return "'/-!' starts a module doc, a command (not a comment)"
    code = without_comments(tactic)
    if code is None:
        return _problem(tactic, max_heartbeats, final)
    # Comments stripped: the rules run on the code, and the ones that guard against code that
    # runs, declarations that outlive the proof and options run on the whole text too. Lean
    # restarts lexing wherever a parse error leaves it (`h'-- #eval ...` is an error at the
    # prime, then a char literal `'--`, then the command `#eval`), so what the screen took for
    # a comment may be read as commands; only words that are harmless there (theorem, example,
    # sorry, do, end, English) are left to the stripped text.
    return _problem(code, max_heartbeats, final, lexed=True) or _problem(tactic, max_heartbeats, final, comments=True)


def _problem(text: str, max_heartbeats: int, final: bool, comments: bool = False, lexed: bool = False) -> str | None:
    """The first rule `text` breaks, or None. `comments`: the text still holds its comments, so
    the rules that English in a comment would trip, and that guard nothing a command could do
    after a parse error, are left out. `lexed`: the text is the code with its comments removed
    (see `without_comments`)."""
    if comments:
        rules = _DANGEROUS
    else:
        rules = _FORBIDDEN + [_SEARCH_IN_PROOF] if final else _FORBIDDEN
    for pattern, why in rules:
        found = pattern.search(text)
        if found:
            return f"{found.group(0).strip()!r} {why}"
    option = _option_problem(text, max_heartbeats)
    if option:
        return option
    unquoted = _unquoted(text)
    meta = (_NEVER_IN_COMMENTS if comments else _NEVER_ANYWHERE).search(unquoted)
    if meta:
        return f"{meta.group(0)!r} is meta-programming, not a proof step"
    if _BACKTICK in text:
        return "a backtick starts a name literal or a syntax quotation: meta-level text"
    code = None if comments else _DO.search(text)
    if code:
        return "'do' starts a program, not a proof step"
    field = _CODE_FIELDS.search(unquoted)
    if field:
        return f"{field.group(0)!r} is a tactic option that holds code, which Lean runs at elaboration"
    value = _code_in_named_value(unquoted)
    if value:
        return value
    if not comments and _open_without_in(text, lexed):
        return "'open' without 'in' is a command, not a tactic"
    return None


def _unquoted(text: str) -> str:
    """`text` with the «» of quoted name parts and the `_root_.` prefix removed: the names as
    Lean resolves them (`«IO».Process`, `_root_.Lean.Meta` are `IO.Process`, `Lean.Meta`)."""
    return text.replace("«", "").replace("»", "").replace("_root_.", "")


class _TooTangled(Exception):
    """The text holds more comments or nested named values than a proof needs: reading them all
    would take time quadratic in its length (the screen runs before any time limit)."""


class _Budget:
    """Characters the named-value scan may still read: a few times the text's length."""

    def __init__(self, text: str) -> None:
        self.left = 4 * len(text) + 4096

    def spend(self, count: int) -> None:
        self.left -= count
        if self.left < 0:
            raise _TooTangled


def _after_blanks(text: str, i: int, ends: dict[int, int | None], budget: _Budget,
                  reached: dict[int, int | None]) -> int | None:
    """Offset of the first token at or after `i`, blanks and comments skipped as Lean's lexer
    skips them (a top-level `/-` reads the character after it apart, then counts nesting); None
    when a comment runs to the end. `ends` keeps each block comment's end, by its start;
    `reached`, where each blank or comment already skipped leads: the skips from two `(` merge
    when the second lies in a comment the first skips (`(--⏎  --(--⏎  --(...`), and each was
    read on to the end, quadratic in the number of such lines."""
    n, skipped = len(text), []
    found: int | None = None
    while i < n:
        if i in reached:
            found = reached[i]
            break
        skipped.append(i)
        blank = _BLANKS.match(text, i)
        if blank:
            i = blank.end()
        elif text.startswith("--", i):
            end = text.find("\n", i)
            if end < 0:
                break
            i = end + 1
        elif text.startswith("/-", i):
            if i not in ends:
                ends[i] = nested_end(text, i + 3, "/-", "-/") if i + 3 <= n else None
                budget.spend((ends[i] or n) - i)
            if ends[i] is None:
                break
            i = ends[i]
        else:
            found = i
            break
    for at in skipped:
        reached[at] = found
    return found


def _named_values(text: str, budget: _Budget) -> Iterator[tuple[str, int]]:
    """(name, offset of its value) for each `(name :=` in `text`, blanks and comments allowed
    around the name. Every `(` is tried, also one Lean would read inside a comment or a string:
    more are found than Lean reads, never fewer."""
    ends: dict[int, int | None] = {}
    reached: dict[int, int | None] = {}
    start = text.find("(")
    while start >= 0:
        i = _after_blanks(text, start + 1, ends, budget, reached)
        name = None if i is None else _NAME_AT.match(text, i)
        if name is not None:
            j = _after_blanks(text, name.end(), ends, budget, reached)
            if j is not None and text.startswith(":=", j):
                yield name.group(0), j + 2
        start = text.find("(", start + 1)


_VALUE_STOPS = re.compile(r'"(?:\\.|[^"\\])*"?|[()]', re.DOTALL)  # a string literal, or a parenthesis


def _value_end(text: str, start: int) -> int:
    """Offset just past the `)` that closes a parenthesis opened before `start`, string literals
    skipped (a `)` inside `"..."` closes nothing); one past the text's end when none does."""
    depth = 1
    for stop in _VALUE_STOPS.finditer(text, start):
        if stop.group(0) == "(":
            depth += 1
        elif stop.group(0) == ")":
            depth -= 1
            if depth == 0:
                return stop.end()
    return len(text) + 1


def _code_in_named_value(text: str) -> str | None:
    """Why a named value in parentheses (a tactic option or a named argument) may run code, or None:
    a `config` that is not a structure of literals, or monadic code in any value."""
    budget = _Budget(text)
    try:
        for name, start in _named_values(text, budget):
            end = _value_end(text, start)
            budget.spend(end - start)
            value = text[start : end - 1].strip()
            if name.lower().endswith("config") and not _LITERAL_CONFIG.fullmatch(value):
                return ("a tactic's config other than a structure of literals ({ field := true, ... }): "
                        "Lean runs it at elaboration")
            if _UNLIMITED.search(value) or (_LIMIT_WORDS.search(name) and _UNLIMITED_VALUE.match(value)):
                return f"{name} := ...: a limit of 0 means none (tactic limits are capped like the options)"
            code = _CODE_IN_VALUE.search(value)
            if code:
                return (f"{name} := ... {code.group(0)!r}: a tactic option or named argument holding "
                        "code, which Lean runs at elaboration")
    except _TooTangled:
        return "more comments or nested named values than the screen reads in linear time"
    return None


# Comments are removed only from text that is simple to lex, where no lexer could disagree with
# Lean's about where one starts: outside comments, no string, no «quoted» name, no char literal
# (inside a comment Lean reads no quote either, so one met there is harmless; a quote is only a
# name's prime `h'`, or ends one of the tokens `⁻¹'`, `∑'`, `∏'` with no quote after it), and every comment
# opener at a token boundary (after a blank, a name or numeral character, or a closing bracket:
# `<--0` is the token `<-` then `-0` to Lean, `//-` is `//` then `-`). Anything else is read raw,
# comments included, which refuses more and hides nothing.
_LEXER_DOUBT = frozenset('"«»')
_QUOTE_TOKENS = ("⁻¹'", "∑'", "∏'")  # Mathlib's preimage, tsum and tprod
_BEFORE_COMMENT = frozenset(" \t\n)]}⟩")


def without_comments(text: str) -> str | None:
    """`text` with `--` and nested `/- -/` comments replaced by a space, or None when the text is
    not simple to lex (see above): then it is read raw."""
    inside = _inside_names(text, True)
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith(("--", "/-"), i):
            if i and text[i - 1] not in _BEFORE_COMMENT and not _id_rest(text[i - 1]):
                return None
            if c == "-":
                end = text.find("\n", i)
                i = n if end < 0 else end
            else:
                # Lean reads the character after a top-level `/-` apart (`/--` and `/-!` are doc
                # comment tokens) and counts nesting from the one after it: `/-/- -/` is closed.
                if i + 2 >= n or text[i + 2] in "-!":
                    return None
                end = nested_end(text, i + 3, "/-", "-/")
                if end is None:
                    return None
                i = end
            out.append(" ")
            continue
        if c in _LEXER_DOUBT:  # outside a comment: a string or a «name» begins
            return None
        if c == "'" and not inside[i]:
            token = next((t for t in _QUOTE_TOKENS if text.startswith(t, i - len(t) + 1)), None)
            if token is None or text.startswith("'", i + 1):
                return None  # a char literal, a quote after a numeral, `''`: read raw
        out.append(c)
        i += 1
    return "".join(out)


def _option_problem(tactic: str, max_heartbeats: int) -> str | None:
    """Options: limits within their caps, a few display/lint options, nothing else."""
    # Each use read where it stands: counting uses against readable matches would let a match
    # inside a name (`xset_option pp.all true`) stand in for a use the regex cannot read
    # (`set_option -- ...` with the name on the next line).
    parsed = []
    for use in _SET_OPTION._tokens(tactic):
        found = _SET_OPTION_ARGS.match(tactic, use.start())
        if found is None:
            return "a set_option the screen cannot read"
        parsed.append(found.groups())
    for raw_name, value in parsed:
        name = raw_name.replace("«", "").replace("»", "")
        if name in _LIMITED_OPTIONS:
            cap = _LIMITED_OPTIONS[name] or max_heartbeats
            # A Lean numeral, in ASCII digits: `str.isdigit` also takes `²` (which `int` refuses,
            # an exception out of the screen) and a text of 5,000 digits is past `int`'s limit.
            if not _NUMERAL.fullmatch(value) or int(value) == 0 or int(value) > cap:
                return f"set_option {name} {value[:20]} exceeds the cap of {cap}"
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
