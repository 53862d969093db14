"""The Lean tactic screen: cheats and smuggled commands are refused, real tactics pass."""

from __future__ import annotations

import pytest

from lean_env.lean_repl.screen import screen_tactic
from lean_env.registry import screen


@pytest.mark.parametrize(
    "tactic",
    [
        "nlinarith [sq_nonneg (a - b), sq_nonneg (a + b)]",
        "intro x\n  simp [h₀] at *",
        "have h : #s = 3 := by simp",  # Mathlib's card notation is not a command
        "rw [Nat.sorry_free_lemma]",  # an identifier containing the word is fine
        "set_option maxHeartbeats 100000 in\n  nlinarith",
        "exact fun h => h.elim",
        "open Real in\n  norm_num [Real.sqrt_eq_iff]",
        "decide",
    ],
)
def test_ordinary_tactics_pass(tactic: str) -> None:
    assert screen_tactic(tactic) is None


@pytest.mark.parametrize(
    "tactic, why",
    [
        ("sorry", "sorry"),
        ("  admit", "admit"),
        ("exact sorryAx _ false", "sorry"),
        ("native_decide", "compiled"),
        ("decide +native", "compiled"),
        ("exact Lean.ofReduceBool _ _ rfl", "compiled"),
        ("run_tac Lean.Elab.Tactic.evalTactic", "code"),
        ("simp\n#exit", "command"),
        ("#eval IO.println 1", "command"),
        ("exact h\ntheorem evil : False := by trivial", "new command"),
        ("exact h\n  axiom cheat : False", "trust"),
        ("set_option maxHeartbeats 0 in simp", "maxHeartbeats"),
        ("set_option maxHeartbeats 999999999 in simp", "maxHeartbeats"),
        ("set_option debug.skipKernelTC true in simp", "option"),
        ("elab \"x\" : tactic => pure ()", "code"),
        ("   \n ", "empty"),
        ("simp \x00", "control"),
        ("simp \ud800", "Unicode"),
        ("simp " + "a" * 30_000, "longer"),
    ],
)
def test_cheats_and_unsendable_texts_are_refused(tactic: str, why: str) -> None:
    reason = screen_tactic(tactic)
    assert reason is not None and why in reason, reason


def test_heartbeat_cap_is_configurable_and_registry_finds_the_screen() -> None:
    assert screen_tactic("set_option maxHeartbeats 500000 in simp", max_heartbeats=10**6) is None
    assert screen("lean", "admit") is not None and screen("lean", "simp") is None


# Attacks on the verifier's assembled theorem: each text ends the tactic block and starts a
# command (mid-line, as Lean 4 allows) or registers code; the comment says what it would prove.
@pytest.mark.parametrize(
    "tactic",
    [
        "exact h def x : Nat := 1",  # a command mid-line: the rest of the text runs as commands
        "exact h theorem toy_thm' : False := by exact?",  # a second, unrelated theorem
        "trivial example : 1 = 2 := by decide",
        "simp instance : Decidable False := .isTrue sorry",
        "rfl end Foo",
        "norm_num\t  attribute [simp] Nat.succ_ne_zero",
        "exact h; @[simp] lemma bad : 1 = 2 := by omega",  # `1 = 2` as a simp lemma
        "exact h @[implemented_by f] def g := 1",
        "exact h @[extern \"c_fn\"] opaque g : Nat",
        "exact h @[tactic my_tac] def t : Lean.Elab.Tactic.Tactic := fun _ => pure ()",
        "simp simproc reduceFoo (foo _) := fun _ => pure .continue",
        "simp dsimproc reduceFoo (foo _) := fun _ => pure .continue",
        "exact h open Nat",  # a bare `open`: a command that changes name resolution after it
        "exact h local notation \"F\" => False",
        "exact h mutual def a := 1 end",
        "exact h namespace toy_thm",
        "exact h variable (x : Nat)",
        "exact h noncomputable section",
        "apply?",
        "rw?",
        "stop",
        "exact h\nstop",
        "set_option synthInstance.maxHeartbeats 0 in simp",
        "set_option synthInstance.maxHeartbeats 10000000 in simp",
        "set_option maxRecDepth 100000000 in simp",
        "set_option «maxRecDepth» 0 in simp",
        "set_option synthInstance.maxSize 100000 in simp",
        "set_option exponentiation.threshold 100000 in norm_num",
        "set_option allowUnsafeReducibility true in simp",
        "set_option maxHeartbeats (0) in simp",  # unreadable value
        # a use the regex cannot read (a comment before the name) must not be counted off
        # against a readable match inside a name (red-team round 25)
        "have := 'a'\nset_option --\n maxRecDepth 100000 in simp -- zset_option pp.all true",
        "have := \"xset_option pp.all true\"\nset_option /- -/ maxHeartbeats 0 in simp",
        "norm_num\nh'abset_option maxHeartbeats 0 in simp",
        "exact h #help tactic",
        "exact h #find_home foo",
        "exact (by_elab pure default)",
        "-- a comment line, then a command\nexact h def x := 1",
    ],
)
def test_commands_attributes_and_unbounded_options_are_refused(tactic: str) -> None:
    assert screen_tactic(tactic) is not None, tactic


@pytest.mark.parametrize(
    "tactic",
    [
        "set_option maxRecDepth 2000 in simp",
        "set_option synthInstance.maxHeartbeats 100000 in simp",
        "set_option linter.unusedVariables false in simp",
        "set_option pp.all true in simp",
        "open Finset in simp [sum_range_succ]",
        "open scoped BigOperators in simp",
        "simp [Nat.succ_le_iff, h.le_of_lt, Finset.sum_range_succ]",
        "exact?",  # while searching: its answer replaces it in the path
        "have h : #s = 3 := by simp",
        "exact fun h => h.elim",
    ],
)
def test_search_tactics_and_bounded_options_pass(tactic: str) -> None:
    assert screen_tactic(tactic) is None, screen_tactic(tactic)


def test_exact_search_is_refused_in_a_final_proof_but_its_answer_is_substituted() -> None:
    from lean_env.lean_repl.screen import substitute_suggestions

    assert "final proof" in (screen_tactic("intro x\nexact?", final=True) or "")
    assert screen_tactic("aesop?", final=True) is not None
    kept = substitute_suggestions("intro x\nexact?", ("exact Nat.le_succ_of_le\n    (h x)",))
    assert kept == "intro x\nexact Nat.le_succ_of_le (h x)"
    assert screen_tactic(kept, final=True) is None
    assert substitute_suggestions("exact? using h", ("exact foo h",)) == "exact foo h"
    assert substitute_suggestions("exact?; exact?", ("exact a",)) is None  # not one for one
    assert substitute_suggestions("simp", ("simp only [foo]",)) is None


@pytest.mark.parametrize(
    "tactic",
    [
        "nlinarith [sq_nonneg (a - b)] -- for example, at the end of this section",
        "/- by definition (see the theorem above) -/ simp",
        "have h : x = 2 := by linarith -- an instance of the lemma /- nested -/",
        "/- outer /- inner: def -/ still a comment: theorem -/ norm_num",
        "exact ⟨h', h''⟩ -- primes are names, not char literals: example",
    ],
)
def test_keywords_in_comments_pass(tactic: str) -> None:
    assert screen_tactic(tactic) is None, screen_tactic(tactic)


@pytest.mark.parametrize(
    "tactic",
    [
        "exact «x--» def y : Nat := 1",  # «--» is part of a name for Lean, not a comment
        "exact '/-' def y : Nat := 1 -/",  # a char literal for Lean, a comment opener for a naive lexer
        "exact '\"' def y : Nat := 1 --\"",  # a quote in a char literal does not open a string
        "exact \"-- not a comment\" def y : Nat := 1",
        "simp -- a comment ends at the line\ndef y : Nat := 1",
        "simp /- unclosed comment... -/ -/ def y : Nat := 1",
        "exact h /- -/def y : Nat := 1",
    ],
)
def test_text_that_could_fool_a_comment_lexer_is_read_raw_and_refused(tactic: str) -> None:
    assert screen_tactic(tactic) is not None, tactic


@pytest.mark.parametrize(
    "tactic",
    [
        "iterate 1sorry",  # a numeral ends at the first letter: `1` then `sorry`
        "iterate 1native_decide",
        "iterate 1run_tac do pure ()",
        "exact h 1axiom cheat : False",
        "exact 'a'def x := 0",  # a char literal ends at its quote
        "exact (∅ : Set ℕ)ᶜdef x := 0",  # ᶜ, ᵀ, ˣ, ² are no name characters to Lean
        "exact Aᵀdef x := 0",
        "exact Mˣaxiom c : False",
        "exact h²def x := 0",
        "exact sorryλ x => x",  # nor is λ
        "exact h 1open Foo",
        "bv_decide?",
        'exact include_str "/etc/passwd"',
        "polyrith",
        "exact h\nproof_wanted foo : True",
        "exact h\nunif_hint",
        # meta code, whatever the token boundaries
        "exact (by exact my_addDecl_helper)",
        "exact foo.skipKernelTC",
    ],
)
def test_words_are_tokens_where_lean_says_so(tactic: str) -> None:
    assert screen_tactic(tactic, final=True) is not None


@pytest.mark.parametrize(
    "tactic",
    ["exact h1sorry", "intro x; exact x'sorry", "exact h.sorry_free", "exact hα", "simp [h₁]", "exact _sorry",
     "open Nat Int in\n  omega"],
)
def test_names_that_contain_a_word_pass(tactic: str) -> None:
    assert screen_tactic(tactic, final=True) is None


@pytest.mark.parametrize(
    "tactic",
    [
        # Mathlib's `run_conv` runs meta code; `open Lean ... in` hides the qualified names
        "open Lean Meta Elab Tactic in\nconv => run_conv do\n  let o := Name.mkStr `debug (\"skip\" ++ \"KernelTC\")\n  pure ()",
        "conv => run_conv pure ()",
        "exact h.1def x := 0",  # a dot continues a name only into a name part: `.1` is a field index
        "exact x.1.2theorem foo : True := trivial",
        "exact h.2macro_rules | `(tactic| foo) => `(tactic| rfl)",  # the longer alternative is found too
        "exact h\nadd_aesop_rules safe foo",
        "/-! a module doc is a command -/ exact h",
        "simp (config := { unsafeBaseIO (pure {}) with })",
    ],
)
def test_meta_code_and_commands_after_field_indices_are_refused(tactic: str) -> None:
    assert screen_tactic(tactic, final=True) is not None


@pytest.mark.parametrize("tactic", ["exact ⟨h.1, h.2⟩", "exact Nat.succ_le.def", "exact h.«x»", "simp [h.2] at h₁"])
def test_field_indices_and_qualified_names_pass(tactic: str) -> None:
    assert screen_tactic(tactic, final=True) is None


def test_the_name_class_regex_is_the_name_class_function() -> None:
    import re

    from lean_env.lean_repl.screen import _ID_REST, _id_rest

    pattern = re.compile(_ID_REST)
    assert [hex(o) for o in range(0x30000) if (pattern.fullmatch(chr(o)) is not None) != _id_rest(chr(o))] == []


# A tactic's configuration is compiled and run at elaboration, and linarith's holds MetaM code:
# through it, a proof could parse and run text built at run time (a `set_option` that skips the
# kernel) or talk on the REPL's own stdin/stdout and forge the verifier's answers. Each line below
# is refused by a rule of its own, not only by the names the full exploits also use.
_PREPROCESSOR_EXPLOIT = (
    'linarith (config := { preprocessors := [{ name := .anonymous, description := "p", transform := fun g _ => do\n'
    '    let t := "set_" ++ "option debug.skip" ++ "Kernel" ++ "TC true in decide +kernel"\n'
    "    match Lean.Parser.runParserCategory (← Lean.MonadEnv.getEnv) `tactic t with\n"
    "    | .ok stx => discard <| (Lean.«Elab».Tactic.run g (Lean.«Elab».Tactic.evalTactic stx)).run'\n"
    "    | .error _ => pure ()\n"
    "    pure [] }] })"
)


# The same through Aesop's evalTactic, with no name the rules above knew, and a config function
# built by tactics in a `by` block (no `fun`, no `do`).
_AESOP_EXPLOIT = (
    "solve_by_elim (config := { discharge := by\n    intro g\n"
    "    refine Bind.bind `(tactic| set_option pp.all true in decide +kernel) ?_\n    intro s\n"
    '    exact Aesop.runTacticSyntaxAsMetaM (s.raw.setArg 1 (.ident .none "x".toSubstring '
    '("debug.skip" ++ "Kernel" ++ "TC").toName [])) [g] *> Pure.pure (some []) })'
)


@pytest.mark.parametrize(
    "tactic, why",
    [
        (_PREPROCESSOR_EXPLOIT, "meta-programming"),
        (_AESOP_EXPLOIT, "meta-programming"),
        ("linarith (preprocessors := [{ name := .anonymous, description := \"p\", transform := fun g l => pure [(g, l)] }])",
         "holds code"),
        ("linarith («preprocessors» := [{ transform := fun g l => g.admit *> pure [(g, l)] }])", "holds code"),
        ("linarith (/- -/preprocessors := [])", "holds code"),
        ("linarith (config := { discharger := Bind.bind (Pure.pure ()) (Function.const _ (Pure.pure ())) })", "holds code"),
        ("solve_by_elim (config := { proc := fun _ _ => none })", "holds code"),
        ("simp (config := match x with | _ => {})", "config"),
        ("nlinarith (config := myConfig)", "config"),
        ('nlinarith (config := { splitNe := true, maxSteps := "))" })', "config"),
        ("exact foo (x := Bind.bind a b)", "code"),
        ("exact Id.run do pure 1", "'do'"),
        ("exact `(tactic| rfl)", "backtick"),
        ('exact («IO».Process.output {cmd := "sh"} : «IO» _) ()', "meta-programming"),
        ("open «Lean» Elab Tactic in\n  exact h", "meta-programming"),
        ("open _root_.«Lean» in exact h", "meta-programming"),
        ("exact Lean.«Meta».mkFreshExprMVar none", "meta-programming"),
        ("exact (getStdout : BaseIO _)", "meta-programming"),
        # a comment between `config` and `:=` (Lean allows one) hid the value from the literal check
        ('solve_by_elim (config /- " -/ := ({} : _).mainGoalProc fun g => g.admit *> Pure.pure [])', "code"),
        ('apply_rules (config -- "\n := ({} : _).accept fun _ => Pure.pure true)', "code"),
        ('linarith (config -- c\n := ⟨true, [⟨.anonymous, "p", fun g l => Pure.pure [(g, l)]⟩]⟩)', "config"),
        ("grind on_failure get >>= fun g => g.mvarId.admit", "code"),  # grind runs the term
        ("exact eval% (List.range (10 ^ 9)).length", "eval%"),
        # `¹`, `ᶜ`, `²` are word characters to Python, none to Lean: the token starts there
        ("exact (2 : ℝ)⁻¹eval% (List.range (10 ^ 9)).length", "eval%"),
        ("exact sᶜeval% 1", "eval%"),
        ("exact eval%(List.range (10 ^ 9)).length", "eval%"),
        # `!` and `?` continue a name but start none: `!eval% t` is the boolean not of `eval% t`
        ("exact !eval% (List.range (10 ^ 9)).isEmpty", "eval%"),
        ("exact (2 !eval% f 1)", "eval%"),
        ("exact h\n-- c\nexact ?eval% 1", "eval%"),
        ("exact h\ntest_extern Nat.add 1 2", "command"),
        ("exact h\nvariable? [Foo α]", "command"),
        ("aesop (simp_config := someConfig)", "config"),  # aesop's simp options are run too
        ("aesop (config := { maxRuleHeartbeats := 0 })", "limit of 0"),
        ("simp (maxSteps := 0)", "limit of 0"),
        # zero in each numeral's spelling, and with its type
        ("simp (maxSteps := 0x0)", "limit of 0"),
        ("simp (maxSteps := 0B00)", "limit of 0"),
        ("aesop (maxRuleApplications := 0o0)", "limit of 0"),
        ("simp (maxSteps := (0 : Nat))", "limit of 0"),
        ("exact foo (opts := { maxDepth := (0x0 : ℕ) })", "limit of 0"),
    ],
)
def test_code_in_tactic_options_and_quoted_meta_names_are_refused(tactic: str, why: str) -> None:
    reason = screen_tactic(tactic, final=True)
    assert reason is not None and why in reason, reason


@pytest.mark.parametrize(
    "tactic",
    ["simp (config := { decide := true })", "linarith (config := { splitNe := true, maxSteps := 100 })",
     "exact foo (n := 2)", "have := h (x := 3)", "rw [← h] at h2", "exact fun x => by simp [x]",
     "nlinarith [sq_nonneg (a - b), hIO]", "decide +kernel", "linarith +splitNe",
     # named arguments of proof terms are never run: lambdas in them are mathematics
     "refine Nat.le_induction (m := 1) (P := fun n _ => 2 ^ n ≥ n + 1) ?_ ?_ n hn",
     "exact Nat.rec (motive := fun n => 0 ≤ n) (le_refl 0) (fun n ih => Nat.le_succ_of_le ih) n",
     "obtain ⟨c, hc⟩ := intermediate_value_Icc (f := fun x => x ^ 3 - x) h0 h1",
     "have := Finset.sum_le_sum (f := (· ^ 2)) (g := fun i => i) h",
     # English in comments, quotes and all, is a comment: the lexer reads strings and comments as Lean does
     '-- We use the "AM-GM" inequality; we do this by cases\nnlinarith [sq_nonneg (a - b)]',
     "-- the 'trick': stop here\nomega", '/- by def of "f", for example -/ simp [hf]',
     "exact ⟨h', h''⟩", "simp [Set.image] at h ⊢; exact f '' s"],
)
def test_data_options_named_arguments_and_lambdas_pass(tactic: str) -> None:
    assert screen_tactic(tactic, final=True) is None


# Where a lexer could call code a comment: a quote after a numeral is a char literal to Lean
# (`1'"'`), Mathlib's `⁻¹'` takes the quote, `<-` takes one dash of `<--`, `//` one slash of `//-`,
# raw and interpolated strings nest. Such text is read raw: the command after it is seen.
@pytest.mark.parametrize(
    "tactic",
    [
        'exact 1\'"\' "-- " theorem bad : False := by native_decide',
        "exact 1'-- theorem bad : False := by native_decide",
        'exact h.1\'"\' "-- " sorry',
        'exact f ⁻¹\'"\' -- " theorem bad : False := by native_decide',
        'exact é\'"\' -- " theorem bad : False := by native_decide',
        'exact 1r"\\" "-- " theorem bad : False := by native_decide',
        'exact s! "{"} -- "}" theorem bad : False := by native_decide',
        'exact "\\q\'"-- theorem bad : False := by native_decide',
        "norm_num\nall_goals rw [<--0] #eval 1",
        "exact ({x : ℤ //- 0 = x} : Set ℤ)\ntheorem bad : False := by native_decide\n-- -/",
        # `⁻¹'` then a char literal that runs into `--` (Lean recovers after it: a new command)
        "exact f ⁻¹''-- theorem bad : False := by native_decide",
        "exact ∑''/- theorem bad : False := by native_decide -- -/",
    ],
)
def test_text_a_lexer_could_misread_is_read_raw(tactic: str) -> None:
    from lean_env.lean_repl.screen import without_comments

    assert without_comments(tactic) is None
    assert screen_tactic(tactic, final=True) is not None


@pytest.mark.parametrize(
    "tactic",
    ["norm_num /-/- -/ theorem bad : False := by native_decide -- -/",
     "skip /-/- -/ ; run_tac (IO.println \"pwned\" : IO Unit) -- -/",
     "norm_num /-/-/ -/ #eval 1 -- -/"],
)
def test_a_block_comment_ends_where_lean_ends_it(tactic: str) -> None:
    """Lean reads the character after a top-level `/-` apart and counts nesting from the next:
    `/-/- -/` is one closed comment, not two open ones, and what follows it is code."""
    from lean_env.lean_repl.screen import without_comments

    stripped = without_comments(tactic)
    # the code after the comment is kept (or the text, holding a string, is read raw)
    assert stripped is None or any(word in stripped for word in ("theorem", "run_tac", "#eval"))
    assert screen_tactic(tactic, final=True) is not None


@pytest.mark.parametrize(
    "tactic",
    ['h\'-- #eval IO.Process.run {cmd := "id"}',
     "norm_num\nh' -- theorem bad : False := by native_decide",
     "norm_num\nh'\n-- set_option debug.skipKernelTC true",
     "norm_num\nall_goals x'/-\nmacro \"#print\" : command => `(#check 1)\n-/",
     "nlinarith [h] -- then linarith (config := { preprocessors := [] })"],
)
def test_what_a_parse_error_could_read_out_of_a_comment_is_refused(tactic: str) -> None:
    """After a parse error Lean lexes again from where it stopped (`h'--` is an error at the
    prime, then the char literal `'--`): a comment may be read as commands. Whatever could run
    code, define syntax or set an option there is refused wherever it is."""
    assert screen_tactic(tactic, final=True) is not None


def test_english_in_comments_still_passes() -> None:
    text = "-- By the lemma above (an instance of AM-GM), in this section we do the example's theorem; end.\nnlinarith [sq_nonneg (a - b)]"
    assert screen_tactic(text, final=True) is None


@pytest.mark.parametrize(
    "tactic",
    ['simp (maxSteps := (toString (timeit "" (.FS.writeFile "/tmp/pwned" "x") (cast lcProof ()))).length + 100000)',
     'omega (splitNatSub := (toString (allocprof "" (.FS.writeFile "/tmp/pwned" "x") (cast lcProof ()))).isEmpty)',
     "decide (kernel := (cast lcCast ()).isEmpty)",
     "simp (maxSteps := (.getLine ()).length)",
     "exact (ptrAddrUnsafe h)",
     "plausible",
     "exact h\nregister_error_explanation foo"],
)
def test_io_through_an_option_value_is_refused(tactic: str) -> None:
    """Every option value is compiled and run: the compiler's unsafe axioms forge an IO world,
    profiling wrappers take an IO action, a leading-dot name resolves under an IO type."""
    assert screen_tactic(tactic, final=True) is not None


def test_literal_constructors_in_options_pass() -> None:
    assert screen_tactic("simp (config := { zeta := false, decide := true })", final=True) is None
    assert screen_tactic("exact foo (x := .inl)", final=True) is None


@pytest.mark.parametrize(
    "tactic",
    [
        # a command after the tactic block stores a function that a later `by` block runs, with IO
        # (red-team round 16); Batteries' `pickle` writes any file
        "exact h\nset_premise_selector fun _ _ => Functor.map (fun _ => #[]) (pickle ⟨\"/tmp/p\"⟩ \"x\" (key := Name.anonymous))",
        "exact h\nbuiltin_simproc_decl pwn (Nat.succ _) := fun _ => pure .continue",
        "exact h\nbuiltin_dsimproc_decl pwn (Nat.succ _) := fun _ => pure .continue",
        "exact h\nbuiltin_grind_propagator pwn ↓Nat.succ := fun _ => pure ()",
        "exact h\ngrind_propagator pwn ↓Nat.succ := fun _ => pure ()",
        "exact h\ndeclare_uint_theorems Foo 8",
        "exact h\ndeclare_sint_simprocs Foo",
        "exact h\nregister_linter_set foo := []",
        "exact h\nregister_parser_alias foo bar",
        "exact h\nreprove foo",
        "exact h\ninit_grind_norm foo",
        "exact h\nnorm_cast_add_elim foo",
        "exact h\nscoped[Nat] infix:50 \" ≺ \" => Nat.lt",
        "exact h\ncompile_def% foo",
        "exact h\ninitialize_simps_projections? Foo",
        "simp simproc_pattern% (_ : Nat) + 0 => reduceAdd",
        "exact h\nbuiltin_simproc_pattern% (_ : Nat) + 0 => reduceAdd",
        "simp -- builtin_simproc_pattern% (_ : Nat) + 0 => reduceAdd",
        "exact h\nset_library_suggestions fun _ _ => pure #[]",
        "exact h\nshow_panel_widgets [ProofWidgets.GoalTypePanel with (List.range (10 ^ 9)).length]",
        # a tactic that compiles and runs any closed term (outside the heartbeat limit)
        "with_panel_widgets [ProofWidgets.GoalTypePanel with (List.range (10 ^ 9)).length]\n  simp",
        "grind +premises",
        "grind (premises := 10)",
        "exact (by suggest_premises; exact 0)",
        "simp (maxSteps := (toString ((pickle ⟨\"/tmp/p\"⟩ \"echo\") ())).length + 100000)",
        "omega (splitNatSub := (toString ((LeanSearchClient.foo \"x\") ())).isEmpty)",
        "simp (maxSteps := (Std.Internal.IO.foo ()).length)",
        # in a comment, a command word that runs code is still refused (read after a parse error)
        "simp -- set_premise_selector fun _ _ => 0",
    ],
)
def test_commands_from_the_token_tables_and_code_running_widgets_are_refused(tactic: str) -> None:
    assert screen_tactic(tactic, final=True) is not None


def test_english_premises_in_a_comment_still_pass() -> None:
    assert screen_tactic("nlinarith [h₀] -- from the premises above", final=True) is None


# Lean reports an unknown identifier in tactic position at its SECOND character and lexes on from
# there, so a command word glued behind a name's second character starts a command after all.
@pytest.mark.parametrize(
    "tactic",
    [
        "norm_num\nh'abaxiom cheat : (1 : ℕ) = 2",
        "norm_num\nh'abelab \"pwn\" : term => pure default",
        "norm_num\nh'absyntax \"pwn\" : term",
        "norm_num\nh1'abinitialize pure ()",
        "norm_num\nh'abimport Mathlib",
        "norm_num\nh.def x := 1",
        "norm_num\nh1elab \"⚡\" : command => pure ()\n⚡",
        "norm_num\nh!elab \"⚡\" : command => pure ()\n⚡",
        "norm_num\nh?elab \"⚡\" : command => pure ()\n⚡",
        "norm_num\nh12axiom cheat : (1 : ℕ) = 2",
        "norm_num\nh''macro \"pwn\" : tactic => `(tactic| rfl)",
    ],
)
def test_command_words_glued_where_error_recovery_relexes_are_refused(tactic: str) -> None:
    assert screen_tactic(tactic, final=True) is not None


@pytest.mark.parametrize(
    "word",
    ["unset_option", "cbv_simproc", "declare_core_config_elab", "register_try?_tactic", "deprecate", "sudo",
     "guard_min_heartbeats", "assert_no_sorry", "lrat_proof", "gen_lean_encoders", "theorem_wanted"],
)
def test_command_words_of_later_releases_are_refused(word: str) -> None:
    assert screen_tactic(f"exact h\n{word} foo", final=True) is not None
    assert screen_tactic(f"exact h {word} foo", final=True) is not None


def test_steps_are_screened_joined_as_lean_reads_them() -> None:
    """A string left open in one step makes the next read as a comment to a screen of that step
    alone; the verifier also screens the steps joined."""
    from lean_env.base import Theorem
    from lean_env.lean_repl.verify import verify_proof

    theorem = Theorem("t", "import Mathlib", "theorem t (h₀ : 1 = 1) : 1 = 1 := by", "lean")
    steps = ['exact (fun (_ : String) => h₀.symm) "', '-- " <;> open Lean in sorry']
    assert all(screen_tactic(s, final=True) is None for s in steps)
    checked = verify_proof(None, None, theorem, steps, 400_000, 5.0)  # type: ignore[arg-type]
    assert not checked.ok and "rejected before sending" in checked.message


@pytest.mark.parametrize(
    "tactic",
    [
        "(" + "/- -/ " * 26,  # a comment regex that spans `-/ /-` backtracked 2^26 ways here
        "exact f (" + "-- c\n/- c -/ " * 26 + "'a'",
        "simp " + "(a := " * 2000,  # each value read to the end of the text: quadratic
        "(/-" * 6000,
        "exact xy" + ".elab" * 3990,  # each word inside one long name was walked back to its start
    ],
    ids=["comments-after-paren", "mixed-comments", "nested-named-values", "unclosed-comments", "long-name"],
)
def test_the_screen_answers_in_linear_time(tactic: str) -> None:
    """The screen runs in the search's own process before any time limit: adversarial comments
    or nesting must not stall it (red-team round 25)."""
    import time

    start = time.monotonic()
    screen_tactic(tactic, final=True)
    assert time.monotonic() - start < 1.0


@pytest.mark.parametrize(
    "tactic",
    [
        "simp (/- /- -/ -/ config := Id.run (pure {})) [show 'a' = 'a' from rfl]",
        "simp (/-/- -/ config := Id.run (pure {})) [show 'a' = 'a' from rfl]",  # closed, as Lean reads it
        "simp (config /- c -/ := foo) [show 'a' = 'a' from rfl]",
        "simp (-- c\n config := foo) [show 'a' = 'a' from rfl]",
        "simp (  config --\n := { maxSteps := 0 }) [show 'a' = 'a' from rfl]",
    ],
)
def test_named_values_are_read_through_comments_as_lean_reads_them(tactic: str) -> None:
    assert screen_tactic(tactic) is not None


def test_steps_joined_up_to_a_proofs_length_are_screened_in_linear_time() -> None:
    """The verifier and the sketcher screen a proof's steps joined, up to MAX_PROOF_CHARS: lines
    of `open` (each once read by a regex to the line's end) must not take quadratic time."""
    import time

    from lean_env.lean_repl.screen import MAX_PROOF_CHARS

    text = "\n".join(["open " * 3_900 + "x"] * 5)[:MAX_PROOF_CHARS]
    start = time.monotonic()
    assert screen_tactic(text, final=True, max_chars=MAX_PROOF_CHARS) is not None
    assert time.monotonic() - start < 1.5
    assert screen_tactic("open Real in\n  nlinarith [pi_pos]") is None
    assert screen_tactic("open Real in nlinarith [pi_pos]; open Nat in simp") is None
    assert screen_tactic("open Real\nnlinarith [pi_pos]") is not None


# `open ... in` with its `in` on a later line: one `open ... in` to Lean (the keyword follows
# the namespaces with no column or line check, and line breaks are blanks to its lexer).
@pytest.mark.parametrize(
    "tactic",
    [
        "open Real\nin nlinarith [pi_pos]",
        "open Real\n  in\n  nlinarith [pi_pos]",
        "open Real Nat\n\n    in simp",
        "open Real -- the reals\nin simp",  # comments are blanks to Lean
        "open Real /- c -/\n  in simp",
        "open scoped BigOperators\nin simp",
        "open Finset hiding sum_range_succ\nin simp",
        "open Real in simp\nopen Nat\n  in simp",
        "simp\nopen Real\nin nlinarith [pi_pos]",
        'open Real h\' in simp [show "s" = "s" from rfl]',  # a prime inside a name, raw text
        "open «Real» in simp",
    ],
)
def test_open_with_its_in_on_a_later_line_passes(tactic: str) -> None:
    assert screen_tactic(tactic, final=True) is None


@pytest.mark.parametrize(
    "tactic",
    [
        "open Real\nsimp",  # no `in` at all
        "open Real\nin_range",  # `in` only begins a name
        "open Real\ninstance : Foo := x",
        "open Real\nin.foo simp",  # one name to Lean (`in.foo`), not the keyword
        "open Real\nin(simp)",  # not read here: refused rather than guessed
        "open Real\nin",  # nothing after it
        "open Real\nopen Nat in simp",  # the first `open` has no `in` of its own
        "open Real\nNat in simp",  # a namespace on the next line: not read here
        "open Real;\nin simp",  # `;` ends the step
        "open\nin simp",  # no namespace
        "open   \n  in simp",
        "open Real\n\u00a0in simp",  # no blank to Lean's lexer
        "open Real\n\tin simp",  # a tab: a lexer error
        "open Real\n-- in\nsimp",  # the `in` is in a comment
        "open Real\n/- in -/ simp",
        # a doc comment is a token to Lean, not a blank: the `in` after it is not the open's
        "open Real\n/-- d -/\nin simp",
        "open Real /-- d -/ in simp",
        "open Real /-- in -/ simp",
        # raw text (a string in it): a comment, a string or a char literal before the `in`
        'open Real /- in -/ simp "s"',
        'open Real -- in x "s"',
        'open Real "a" in simp',
        "open Real 'a' in simp",
        # blanks that are none to Lean's lexer before the `in`, or after `open`
        "open Real\u00a0in simp",
        "open Real\u2009in simp",
        "open Real\u2028in simp",
        "open\u00a0Real in simp",
        # ... or anywhere between the `open` and its `in`, the line's end included
        "open Real\u00a0Nat in simp",
        "open Real\t\nin simp",
        "open scoped Real\u00a0\n  in simp",
        # Text read raw (it holds a string): a line break may sit in a comment or a string there.
        'open Real /- \nin -/ simp "s"',
        'have := "x"\nopen Real\nin simp',
        # `open ... in` before a command is the command combinator: the command word is refused.
        "open Real\nin theorem x : 1 = 1 := rfl",
        "open Real\nin\n@[simp] theorem x : 1 = 1 := rfl",
        "open Real\n in #eval 1",
        "exact h\nopen Real\nin example : 1 = 1 := rfl",
    ],
)
def test_open_without_an_in_read_as_lean_reads_it_is_refused(tactic: str) -> None:
    assert screen_tactic(tactic, final=True) is not None


def test_open_with_in_on_later_lines_is_screened_in_linear_time() -> None:
    import time

    from lean_env.lean_repl.screen import MAX_PROOF_CHARS

    for text in ["open X" + "\n" * MAX_PROOF_CHARS + "in simp", ("open X" + "\n" * 1000) * 100]:
        start = time.monotonic()
        screen_tactic(text[:MAX_PROOF_CHARS], final=True, max_chars=MAX_PROOF_CHARS)
        assert time.monotonic() - start < 1.5


@pytest.mark.parametrize(
    "word",
    [
        "0" + "gen_" * 24_990,  # `gen_\w+_encoders` rescanned to the word's end from each `gen_`
        "0" + "declare_" * 12_490,  # `declare_\w+_simprocs`, the same
        "(x := " + "steps" * 19_990 + ")",  # `steps\w*\s*:=` in a named value
    ],
    ids=["command-family", "command-family-2", "limit-field"],
)
def test_one_long_word_is_screened_in_linear_time(word: str) -> None:
    """A word inside which a pattern starts again and again (red-team round 26): each start read to
    the word's end was quadratic, 37 s for 100,000 characters."""
    import time

    from lean_env.lean_repl.screen import MAX_PROOF_CHARS

    start = time.monotonic()
    screen_tactic("exact " + word, final=True, max_chars=MAX_PROOF_CHARS)
    assert time.monotonic() - start < 1.5
    # the families are still refused
    assert screen_tactic("exact h\ndeclare_int_theorems Int 64") is not None
    assert screen_tactic("exact h gen_foo_encoders") is not None
    assert screen_tactic("aesop (config := { maxRuleHeartbeats := 0 })") is not None


@pytest.mark.parametrize("value", ["²", "9" * 5_000, "٣", "0x10"], ids=["superscript", "5000-digits", "arabic-indic", "hex"])
def test_an_option_value_that_is_no_ascii_numeral_is_refused_not_raised(value: str) -> None:
    """`str.isdigit` takes `²` and `٣`, which `int` refuses or Lean does not read as a numeral, and
    5,000 digits are past `int`'s limit: each raised ValueError out of the screen, which ended a
    theorem's search or whole-proof run (red-team round 26)."""
    reason = screen_tactic(f"set_option maxHeartbeats {value} in simp")
    assert reason is not None and "maxHeartbeats" in reason
    assert len(reason) < 200
    assert screen_tactic("set_option maxHeartbeats 200000 in simp") is None


def test_the_sleep_tactic_is_refused_but_the_word_in_a_comment_or_a_name_is_not() -> None:
    """Core's `sleep ms` waits without spending heartbeats: a sure timeout. In the verifier's
    command alone (the only place `_prover_original_statement` exists) it cost two verifier
    timeouts and two fresh processes per proof (red-team round 26)."""
    assert "waits" in (screen_tactic("sleep 100000") or "")
    staged = "first\n  | (have := _prover_original_statement; sleep 300000)\n  | skip"
    assert screen_tactic(staged, final=True) is not None
    assert screen_tactic("nlinarith [sq_nonneg (a - b)] -- sleep on it") is None
    assert screen_tactic("exact h.sleep") is None


@pytest.mark.parametrize(
    "tactic",
    [
        # `_prover_original_statement` exists only in the verifier's compiling command: a proof
        # that tries it runs one way in the search and the tactic-mode check, another there (a
        # flood or a wait that costs the verifier two fresh processes per proof)
        "first\n  | (have := _prover_original_statement; iterate 100000 trace \"x\")\n  | skip",
        "exact (_prover_check)",
        "exact «_prover_original_statement»",
    ],
)
def test_the_verifiers_own_names_are_refused(tactic: str) -> None:
    from lean_env.lean_repl.verify import CHECK_NAME, STATEMENT_NAME

    assert STATEMENT_NAME.startswith("_prover_") and CHECK_NAME.startswith("_prover_")
    assert screen_tactic(tactic, final=True) is not None


def test_line_comments_after_many_parentheses_are_read_in_linear_time() -> None:
    """Each `(` is read on through the blanks and comments after it, and a `(` inside a line
    comment that an earlier one skipped was read on again to the same end: `(--⏎⏎  --(--...`
    took 39 s for a proof's 100,000 characters (red-team round 26). Valid Lean of that shape (a
    `(` closed after many comment lines that each end in one) is still read, not refused."""
    import time

    from lean_env.lean_repl.screen import MAX_PROOF_CHARS

    unit = "(--\n\n  --"
    text = (unit * (MAX_PROOF_CHARS // len(unit)))[: MAX_PROOF_CHARS - 10]
    start = time.monotonic()
    screen_tactic(text, final=True, max_chars=MAX_PROOF_CHARS)
    assert time.monotonic() - start < 1.5
    assert screen_tactic("simp (-- c\n config := foo) [show 'a' = 'a' from rfl]") is not None
    assert screen_tactic("nlinarith [sq_nonneg (a - b), -- the square\n  sq_nonneg (a + b)]") is None
    assert screen_tactic("exact (\n" + "  -- (\n" * 2_800 + "  h)", final=True) is None


@pytest.mark.parametrize(
    "tactic",
    [
        # Aesop (v4.24): "0 means no limit" for these, and none holds a heartbeat word
        "aesop (config := { maxRuleApplications := 0 })",
        "aesop (config := { maxGoals := 0, maxNormIterations := 0 })",
        "aesop (config := { maxSafePrefixRuleApplications := 0 })",
        # zero in the spellings a literal config or a named value allows
        "aesop (config := { maxRuleApplicationDepth := .zero })",
        "simp (maxSteps := (0))",
        "simp (maxSteps := Nat.zero)",
    ],
)
def test_every_tactic_limit_set_to_zero_is_refused(tactic: str) -> None:
    """Red-team round 26: the rule read only `heartbeats|steps|depth|fuel` fields and the digit 0."""
    assert "limit of 0" in (screen_tactic(tactic) or "")
    assert screen_tactic("aesop (config := { maxRuleApplications := 1000 })") is None
    assert screen_tactic("simp (config := { zeta := false, maxDischargeDepth := 2 })") is None
