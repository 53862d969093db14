r"""Screen Isabelle proof text so that nothing that cheats or escapes the logic is ever sent.

Proof text is untrusted model output. Refused: giving up (`sorry`, `oops`, `admit`), extending the
logic (`axiomatization`, `oracle`, `ML` and the other `*_setup` commands that run ML), switching off
checking (`quick_and_dirty`, `skip_proofs`), and top-level commands that would end the proof and
state something else (`theorem`, `lemma`, `end`, ...). Comments, strings and cartouches are ignored,
so a word inside a formula or an informal comment does not count; words are read as Isabelle's
lexer reads identifiers, from a letter (`_sorry` is the symbol `_` and the command `sorry`).

Also refused: ML and code in any form (the `tactic` method, ML antiquotations `@{...}` and control
symbols `\<^name>` even inside comments and cartouches, which Isabelle checks, the ML and oracle
words even inside strings and cartouches, which may be method text that Isabelle parses in turn
(`use facts in \<open>method\<close>`), and the commands that compile or export code), `\<proof>`
(another spelling of `sorry`), verbatim text `{* *}`, document text, diagnostic commands, oracle
switches (`smt_oracle`), and proof text whose first word is not a proof command: after a short
statement, `if "False"` or `for x :: T` would change the statement instead of proving it. Over
`isabelle server` a `sorry` is not even an error, so the verifier adds its own last line, an
oracle check on the proved theorem (env.py).
"""

from __future__ import annotations

import re

from lean_env.nesting import nested_end

# Far longer than any proof; the screen runs before any time limit, on every step and sketch.
MAX_PROOF_CHARS = 100_000
_GIVE_UP = {"sorry", "oops", "admit"}
_UNSAFE = {
    "axiomatization", "axioms", "oracle", "setup", "local_setup", "declaration", "syntax_declaration",
    "attribute_setup", "method_setup", "simproc_setup", "consts", "defs", "code_printing", "quick_and_dirty",
    "skip_proofs", "cheat_tac", "Skip_Proof", "bundle", "unbundle",
    # methods and commands that run ML or generated code, and oracle-based methods and switches
    "tactic", "raw_tactic", "smt_oracle", "eval", "normalization", "nbe", "code_reflect", "export_code",
    "compile_generated_files", "generate_file", "export_generated_files", "external_file",
    # a file the SMT method reads certificates from and appends new ones to, at any path
    "smt_certificates",
}
# Commands that run ML under other names: ML, ML_val, SML_file, ML_file_debug, ...; *_setup; the
# syntax translations (parse_translation, ...), whose bodies are ML; and the options handed to
# outside tools' command lines (`[[z3_options = ...]]`, `quickcheck_narrowing_ghc_options`).
_UNSAFE_PATTERN = re.compile(r"S?ML(?:_\w*)?|\w+_setup|\w+_translation|\w+_options")
_TOP_LEVEL = {
    "theorem", "lemma", "corollary", "proposition", "schematic_goal", "theory", "end", "definition",
    "fun", "function", "primrec", "datatype", "locale", "interpretation", "instantiation", "context",
    # document text: its antiquotations are checked, and some of them compile ML
    "text", "txt", "text_raw", "chapter", "section", "subsection", "subsubsection", "paragraph", "subparagraph",
    # blocks and declarations after a finished proof: a block would swallow the verifier's own
    # last lines (`notepad begin note NAME = TrueI` shadows the theorem its oracle check names)
    "begin", "notepad", "experiment", "class", "overloading", "lemmas", "hide_fact", "hide_const", "declare",
    "notation", "no_notation", "abbreviation", "typedecl", "type_synonym", "typedef", "global_interpretation",
    "sublocale", "instance", "named_theorems", "inductive", "inductive_set", "record", "codatatype", "nominal_datatype",
    "arities", "classrel", "judgment", "syntax", "no_syntax", "translations", "no_translations", "coinductive",
    "coinductive_set", "code_pred", "specification", "ax_specification", "alias", "type_alias", "hide_type",
    "hide_class", "default_sort", "nonterminal", "values", "solve_direct",
    # more theory-level commands (red-team round 21): definitions, document tools that read files
    "lift_definition", "primcorec", "primcorecursive", "corec", "corecursive", "partial_function",
    "quotient_type", "quotient_definition", "setup_lifting", "code_datatype", "sledgehammer_params",
    "nitpick_params", "quickcheck_params", "display_drafts", "thy_deps", "class_deps", "locale_deps",
    "thm_deps", "thm_oracles", "unused_thms", "find_unused_assms",
    # and more (red-team round 25): axioms of a new type constructor, realizers, files read by
    # name, generated code compiled and run by external tools, declarations of every other kind
    "bnf_axiomatization", "realizers", "realizability", "extract", "extract_type", "bibtex_file", "ROOTS_file",
    "test_code", "scala_build_generated_files", "theorems", "open_bundle", "type_notation", "no_type_notation",
    "adhoc_overloading", "no_adhoc_overloading", "syntax_consts", "syntax_types", "code_identifier", "code_reserved",
    "code_monad", "quickcheck_generator", "nunchaku_params", "lifting_forget", "lifting_update", "parametric_constant",
    "datatype_compat", "datatype_record", "friend_of_corec", "coinduction_upto", "bnf", "copy_bnf", "lift_bnf",
    "free_constructors", "fun_cases", "inductive_cases", "inductive_simps", "subclass", "termination",
}
# Diagnostic commands: they prove nothing, so a final proof that still holds one is a hole (and
# `help _` is a whole command, which let the next word run as one of its own).
_DIAGNOSTIC = {
    "sledgehammer", "try0", "try", "nitpick", "quickcheck", "help", "value", "term", "typ", "prop", "thm",
    "find_theorems", "find_consts", "nunchaku", "prf", "full_prf", "smt_status", "code_thms", "code_deps",
    "welcome", "approximate",
}
_DIAGNOSTIC_PATTERN = re.compile(r"print_\w+")
# Isabelle's identifiers start with a letter: `_` alone is a symbol.
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_']*")
# The first word of a proof: anything else would continue a short statement (`if`, `for`, `and`).
PROOF_START = frozenset({"proof", "by", "apply", "using", "unfolding", "supply", "including", "subgoal",
                         "defer", "prefer", "done"})
# Raw-text patterns, refused even inside comments and cartouches, where Isabelle still reads them:
# ML antiquotations, control symbols other than sub- and superscripts (`\<^ML>`), `\<proof>`
# (the same as `sorry`) and verbatim text `{* ... *}` (the screen does not mask it).
_RAW = re.compile(r"@\{|\\<\^(?!(?:sub|sup|bsub|esub|bsup|esup|isub|isup|bold)>)|\\<proof>|\{\*|\*\}")

# What Isabelle counts as blank (Symbol.is_blank): Python's whitespace has more (\x1c-\x1f).
_ISABELLE_BLANKS = re.compile(r"[ \t\n\x0b\x0c\r]*")


class ScreenError(ValueError):
    """Unbalanced comment, string or cartouche."""


def mask_text(text: str, comments_only: bool = False, strings: list[str] | None = None) -> str:
    """`text` with comments `(* *)`, strings `"..."` and cartouches blanked out, offsets and line
    breaks kept, so a match in the result is at the same place in `text`. `comments_only`: blank
    the comments alone (`(* *)` and `\\<comment>` with its cartouche), which Isabelle's parser drops
    before it reads anything, and keep strings and cartouches as they are. `strings`: a list to
    which the contents of the strings outside comments and cartouches are added."""
    out, i, n = list(text), 0, len(text)
    comment_start = -1  # where a `\<comment>` marker began, blanked with its cartouche

    def blank(a: int, b: int) -> None:
        for k in range(a, min(b, n)):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        if text.startswith("(*", i):
            end = nested_end(text, i + 2, "(*", "*)")
            if end is None:
                raise ScreenError("unclosed comment")
            j = end
        elif comments_only and text.startswith("\\<comment>", i):
            comment_start = i
            i += len("\\<comment>")
            continue
        elif text.startswith("\\<open>", i) or text[i] == "\u2039":
            depth, j = 1, i + (7 if text[i] == "\\" else 1)
            while j < n and depth:
                if text.startswith("\\<open>", j) or text[j] == "\u2039":
                    depth, j = depth + 1, j + (7 if text[j] == "\\" else 1)
                elif text.startswith("\\<close>", j) or text[j] == "\u203a":
                    depth, j = depth - 1, j + (8 if text[j] == "\\" else 1)
                else:
                    j += 1
            if depth:
                raise ScreenError("unclosed cartouche")
            if comments_only:
                # the comment marker and its cartouche, Isabelle's blanks or comments (blanked)
                # between; what lies between is joined only after a marker (joined after every
                # cartouche, from the text's start, it took time quadratic in the text's length)
                if comment_start >= 0 and _ISABELLE_BLANKS.fullmatch(
                    "".join(out[comment_start + len("\\<comment>"):i])
                ):
                    blank(comment_start, j)
                comment_start, i = -1, j
                continue
        elif text[i] in "\"`":
            j = i + 1
            while j < n and text[j] != text[i]:
                j += 2 if text[j] == "\\" else 1
            if j >= n:
                raise ScreenError("unclosed string")
            j += 1
            if strings is not None and text[i] == '"':
                strings.append(text[i + 1 : j - 1])
            if comments_only:
                i = j
                continue
        else:
            i += 1
            continue
        blank(i, j)
        i = j
    return "".join(out)


def ascii_cartouches(text: str) -> str:
    """`text` with the Unicode cartouche delimiters and comment marker written as Isabelle's
    symbols, the form the screen reads and the checked theory file holds, so that the two cannot
    disagree about them."""
    return text.replace("\u2039", "\\<open>").replace("\u203a", "\\<close>").replace("\u2015", "\\<comment>")


# A name may be written as a string (`by ("tactic" ...)`, `[[ "quick_and_dirty" = true ]]`, even
# `"\116actic"` by a decimal escape), which masking would hide: a string or cartouche is refused
# where a method or attribute name stands (after `(`, `[`, `,`, `;`, `|`, `by`, `apply`, `proof`).
_QUOTED_NAME = re.compile(
    r"(?:^|[(\[,;|]|(?<![A-Za-z0-9_'])(?:by|apply|apply_end|proof))\s*(?:\"|`|\\<open>)"
)
_ESCAPED_DIGIT = re.compile(r"\\[0-9]")
# The first word of proof text, after formal comments (`\<comment> \<open>...\<close>`, masked).
_FIRST_WORD = re.compile(r"\s*(?:\\<comment>\s*)*([A-Za-z][A-Za-z0-9_']*|\.\.?)")


def screen_proof(text: str, allow: frozenset[str] = frozenset(), start: bool = False) -> str | None:
    """Why `text` (proof text, not a theory) may not be sent, or None. `allow` lifts the ban on
    some words (the sketch elaborator allows its own hole markers). `start`: the text begins the
    proof, right after the statement, so its first word must be a proof command."""
    if not text.strip():
        return "empty proof text"
    if len(text) > MAX_PROOF_CHARS:
        return f"proof text longer than {MAX_PROOF_CHARS} characters"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "not valid Unicode text (a lone surrogate)"
    text = ascii_cartouches(text)
    raw = _RAW.search(text)
    if raw:
        return f"forbidden text {raw.group(0)!r}: ML, an alias of sorry, or verbatim text"
    try:
        masked = mask_text(text)
    except ScreenError as exc:
        return str(exc)
    odd = next((c for c in masked if ord(c) > 127), None)
    if odd:
        # Isabelle reads some characters as control symbols (⌦ is \<^cancel>): outside strings,
        # cartouches and comments, proof text is ASCII.
        return f"character {odd!r} outside a string, cartouche or comment"
    words = set(_WORD.findall(masked))
    for group, why in (
        (_GIVE_UP, "gives up on a goal"),
        (_UNSAFE, "may extend or bypass the logic"),
        (_TOP_LEVEL, "is a top-level command, not proof text"),
        (_DIAGNOSTIC, "proves nothing (a hole left open)"),
    ):
        bad = sorted((words & group) - allow)
        if bad:
            return f"forbidden word {bad[0]!r}: {why}"
    for pattern, why in ((_UNSAFE_PATTERN, "may extend or bypass the logic"),
                         (_DIAGNOSTIC_PATTERN, "proves nothing (a hole left open)")):
        bad = sorted(w for w in words - allow if pattern.fullmatch(w))
        if bad:
            return f"forbidden word {bad[0]!r}: {why}"
    # Isabelle's parser drops comments first: `( (* c *) "tactic" ...)` is `("tactic" ...)`.
    strings: list[str] = []
    uncommented = mask_text(text, comments_only=True, strings=strings)
    if "[[" in uncommented and re.search(r"\[\[\s*(quick_and_dirty|skip_proofs)", uncommented):
        return "forbidden option: switches off proof checking"
    quoted = _QUOTED_NAME.search(uncommented)
    if quoted:
        where = re.sub(r"\s+", " ", quoted.group(0)).strip()
        return f"a string or cartouche where a method or attribute name stands: {where!r}"
    # A name may be a string: a string that is exactly a refused word is refused wherever it
    # stands (no formula is the bare word `tactic`).
    for content in strings:
        word = content.strip()
        if word in _GIVE_UP | _UNSAFE | _TOP_LEVEL | _DIAGNOSTIC or _UNSAFE_PATTERN.fullmatch(word):
            if word not in allow:
                return f"forbidden word {word!r} written as a string"
    # A string or cartouche may be method text that Isabelle parses as a method in turn
    # (`by (use facts in \<open>tactic \<open>ML\<close>\<close>)`, Eisbach's `match ... \<Rightarrow> \<open>...\<close>`),
    # so the words that run ML or trust an oracle are refused inside them too, at any depth.
    inner = sorted(w for w in set(_WORD.findall(uncommented)) - allow if w in _UNSAFE or _UNSAFE_PATTERN.fullmatch(w))
    if inner:
        return f"forbidden word {inner[0]!r} inside a string or cartouche, which may be method text"
    if _ESCAPED_DIGIT.search(text):
        return "a decimal escape (\\ddd): text that spells another word"
    if start:
        if uncommented.lstrip().startswith(('"', "`", "\\<open>", "\u2039")):
            return "the proof must begin with a proof command, not a proposition (it would add to the statement)"
        match = _FIRST_WORD.match(masked)
        first = match.group(1) if match else masked.strip()[:30]
        if first not in PROOF_START and first not in (".", "..") and first not in allow:  # or an allowed hole
            return f"the proof must begin with a proof command, not {first[:30]!r} (it would change the statement)"
    return None


def screen_tactic(tactic: str) -> str | None:
    """Why `tactic` may not be sent to Isabelle, or None when it may (the registry's screen)."""
    return screen_proof(tactic)
