"""Isabelle sketches end to end over a scripted fake server: elaborate, hammer portfolio, verify."""

from __future__ import annotations

import re

import pytest

from lean_env.base import Theorem
from lean_env.isabelle.client import IsabelleClient
from lean_env.isabelle.env import IsabelleEnv, imports_of, proof_start_line, theory_text
from lean_env.isabelle.sketch import HammerConfig, HammerFiller, IsabelleSketcher, split_holes
from lean_env.sketch import (
    Elaboration,
    Fill,
    FillFailure,
    SketchFailure,
    SketchFailureKind,
    UnfilledHole,
)
from prover.sketch_prompts import InformalProblem
from prover.sketcher import FixedCompleter, Sketcher
from search.informal import prove_informal
from tests.fakes.isabelle_server import FakeIsabelleServer, ScriptedIsabelle

K = SketchFailureKind
STATEMENT = 'theorem sq_shift:\n  fixes x :: real\n  shows "x^2 - 2 * x + 1 \\<ge> 0"'
THEOREM = Theorem("sq_shift", "Complex_Main HOL-Library.Sum_of_Squares", STATEMENT, "isabelle")
C0, C1 = "x^2 - 2 * x + 1 = (x - 1)^2", "(x - 1)^2 \\<ge> 0"
SKETCH = f"""proof -
  (* We have x^2 - 2x + 1 = (x - 1)^2. *)
  have c0: "{C0}"
    sledgehammer
  (* A square is nonnegative. *)
  have c1: "{C1}" sledgehammer
  (* Hence the result. *)
  then show ?thesis
    using c0 sorry
qed"""


@pytest.fixture
def isabelle():
    """(env, scripted prover): `by simp` proves c0, Sledgehammer finds c1, linarith the thesis."""
    scripted = ScriptedIsabelle(
        solves={"simp": {C0}, "linarith": {"?thesis"}, "metis power2_eq_square zero_le_square": {C1}},
        hammer={C1: "by (metis power2_eq_square zero_le_square)"},
    )
    with FakeIsabelleServer(handler=scripted) as fake:
        env = IsabelleEnv(client=IsabelleClient(*fake.address, timeout=5))
        yield env, scripted, fake
        env.close()


def test_theory_text_and_imports():
    assert imports_of("Complex_Main HOL-Library.Sum_of_Squares") == 'Complex_Main "HOL-Library.Sum_of_Squares"'
    assert imports_of('imports Main "HOL-Number_Theory.Number_Theory"') == 'Main "HOL-Number_Theory.Number_Theory"'
    # the header as benchmarks.datasets reads it from a miniF2F .thy: everything before the theorem
    file_header = "theory aime_1983_p1 imports Complex_Main\n  HOL-Library.Sum_of_Squares\nbegin\n\n"
    assert imports_of(file_header) == 'Complex_Main "HOL-Library.Sum_of_Squares"'
    text = theory_text("P_1", THEOREM, "by simp")
    assert text.startswith("theory P_1\n  imports Complex_Main")
    assert text.split("\n")[proof_start_line(THEOREM) - 1] == "by simp"


def test_hole_words_in_comments_and_strings_are_not_holes():
    segments = split_holes('have "sorry_lemma x" (* sledgehammer *) sledgehammer\nshow ?thesis sorry')
    assert segments[1::2] == ["sledgehammer", "sorry"]


def test_elaborate_finds_holes_and_checks_the_skeleton_with_sorry(isabelle):
    env, scripted, _ = isabelle
    elaboration = IsabelleSketcher(env).elaborate(THEOREM, SKETCH)
    assert isinstance(elaboration, Elaboration), elaboration
    assert [h.text for h in elaboration.holes] == ["sledgehammer", "sledgehammer", "sorry"]
    assert elaboration.holes[1].pretty == f'have c1: "{C1}" sledgehammer'
    checked = scripted.theories[-1]
    assert "sledgehammer" not in checked and checked.count("  sorry\n") == 3
    assert STATEMENT in checked and 'imports Complex_Main "HOL-Library.Sum_of_Squares"' in checked


def test_elaboration_failures_are_values(isabelle):
    env, _, _ = isabelle
    sketcher = IsabelleSketcher(env)
    wrong = sketcher.elaborate(THEOREM, SKETCH.replace("using c0", "using bogus"))
    assert wrong.kind is K.STEP_FAILED and wrong.step == "using bogus" and "bogus" in wrong.message
    changed = sketcher.elaborate(THEOREM, STATEMENT.replace("0\"", "1\"") + "\n" + SKETCH)
    assert changed.kind is K.STATEMENT_CHANGED
    restated = sketcher.elaborate(THEOREM, "```isabelle\n" + STATEMENT + "\n" + SKETCH + "\n```")
    assert isinstance(restated, Elaboration)
    for cheat in ("axiomatization where c: False", "ML \\<open>()\\<close>", "oops"):
        failure = sketcher.elaborate(THEOREM, SKETCH.replace("qed", f"qed\n{cheat}"))
        assert isinstance(failure, SketchFailure) and failure.kind in (K.FORBIDDEN, K.STEP_FAILED), cheat
        assert failure.kind is K.FORBIDDEN


def test_hammer_portfolio_cheap_methods_first_then_sledgehammer(isabelle):
    env, scripted, _ = isabelle
    elaboration = IsabelleSketcher(env).elaborate(THEOREM, SKETCH)
    before = len(scripted.theories)
    fills = HammerFiller(env, HammerConfig(methods=("by auto", "by simp", "by linarith"))).fill(elaboration)
    assert [f.proof for f in fills] == [("by simp",), ("by (metis power2_eq_square zero_le_square)",), ("by linarith",)]
    assert [f.method for f in fills] == ["simp", "sledgehammer", "linarith"]
    rounds = scripted.theories[before:]
    assert len(rounds) == 4  # three cheap rounds, one Sledgehammer round for the hole left
    assert rounds[-1].count("sledgehammer [timeout = 30] sorry") == 1 and "by simp" in rounds[-1]


def test_unfillable_hole_is_a_fill_failure_and_blocks_assembly(isabelle):
    env, _, _ = isabelle
    sketch = SKETCH.replace(C1, "x = 3")
    sketcher = IsabelleSketcher(env)
    elaboration = sketcher.elaborate(THEOREM, sketch)
    fills = HammerFiller(env, HammerConfig(methods=("by simp", "by linarith"))).fill(elaboration)
    assert isinstance(fills[1], FillFailure) and isinstance(fills[0], Fill)
    with pytest.raises(UnfilledHole):
        sketcher.assemble(elaboration, {f.hole: f for f in fills if isinstance(f, Fill)})


def test_pipeline_proves_and_verifies_from_scratch(isabelle):
    env, scripted, _ = isabelle
    problem = InformalProblem("sq_shift", "Show x^2 - 2x + 1 >= 0.", "It is (x - 1)^2.", THEOREM)
    sketches = [SKETCH.replace("using c0", "using bogus"), SKETCH]
    result = prove_informal(
        problem, Sketcher(FixedCompleter(sketches), "isabelle"), IsabelleSketcher(env),
        HammerFiller(env, HammerConfig(methods=("by simp", "by linarith"))), env.verify,
    )
    assert result.proved, result.attempts
    assert [a.outcome for a in result.attempts] == ["sketch_failed", "proved"]
    script = result.verification.script
    assert script == scripted.theories[-1] and STATEMENT in script
    assert "sorry" not in script and "sledgehammer" not in script
    assert "by (metis power2_eq_square zero_le_square)" in script


def test_verify_refuses_cheats_without_asking_the_server(isabelle):
    env, scripted, _ = isabelle
    n = len(scripted.theories)
    closure = 'by (use TrueI in \\<open>tactic \\<open>(Isabelle_System.bash "touch /tmp/pwn"; all_tac)\\<close>\\<close>)'
    for proof in (["sorry"], ["by simp", "oops"], ["using [[quick_and_dirty]] by simp"], [closure]):
        check = env.verify(THEOREM, proof)
        assert not check.ok and "rejected" in check.message
    assert len(scripted.theories) == n
    failed = env.verify(THEOREM, ["by auto"])  # the scripted prover refuses auto here
    assert not failed.ok and failed.message.startswith(f"line {proof_start_line(THEOREM)}")
    assert env.verify(THEOREM, ["proof -", "  show ?thesis", "    by linarith", "qed"]).ok


def test_open_and_run_tactic(isabelle):
    env, _, _ = isabelle
    root = env.open(THEOREM)
    assert root.goals[0].conclusion == "x^2 - 2 * x + 1 \\<ge> 0"
    assert env.run_tactic(root, "sorry").kind.value == "rejected"
    proof = "proof -\n  show ?thesis by linarith\nqed"
    assert env.run_tactic(root, proof).proof == (proof,)
    assert env.run_tactic(root, "proof -\n  show ?thesis by auto\nqed").kind.value == "error"
    # A first step that would continue a short statement (`if "False"`) instead of proving it
    assert env.run_tactic(root, 'if "False" using that by blast').kind.value == "rejected"
    # method text inside a cartouche is a method too (`use facts in <method>`): no ML from there
    closure = "by (use TrueI in \\<open>tactic \\<open>all_tac\\<close>\\<close>)"
    assert env.run_tactic(root, closure).kind.value == "rejected"


def test_the_verifier_audits_oracles_when_the_screen_misses_a_cheat(isabelle, monkeypatch):
    """Over the server a `sorry` is not an error. Were the screen to let one through, the
    verifier's own last line, an oracle check on the named theorem, still refuses the proof."""
    env, scripted, _ = isabelle
    monkeypatch.setattr("lean_env.isabelle.env.screen_proof", lambda text, **_: None)
    check = env.verify(THEOREM, ["sorry"])
    assert not check.ok and "oracle" in check.message, check.message
    assert re.search(r"Thm_Deps.all_oracles @\{thms P_\w+\.sq_shift\}", scripted.theories[-1])
    assert env.verify(THEOREM, ["proof -", "  show ?thesis", "    by linarith", "qed"]).ok
    unnamed = Theorem("anon", THEOREM.header, 'lemma "x = (x::nat)"', "isabelle")
    refused = env.verify(unnamed, ["by simp"])
    assert not refused.ok and "named" in refused.message


def test_what_is_sent_is_screened_whole_not_in_pieces(isabelle):
    """A hole glued out of its segments hid text from the screen: `(sorry*` read as `(` + `*`,
    a comment opener. The sketch's text as sent, with its holes, is what is screened now, and
    every theory the env checks is screened once more, whole, before it leaves."""
    from lean_env.isabelle.env import RefusedProof

    env, scripted, _ = isabelle
    n = len(scripted.theories)
    ml = 'apply (tactic \\<open>(Isabelle_System.bash "touch /tmp/pwn"; all_tac)\\<close>)'
    glued = f"using TrueI (sorry*\n{ml} \\<comment> \\<open>*)\\<close>"
    failure = IsabelleSketcher(env).elaborate(THEOREM, glued)
    assert isinstance(failure, SketchFailure) and failure.kind is K.FORBIDDEN, failure
    with pytest.raises(RefusedProof, match="tactic"):
        env.check(THEOREM, ml)
    with pytest.raises(RefusedProof, match="sorry"):
        env.check(THEOREM, "by simp\nsorry")  # a hole only where the caller says holes may be
    assert len(scripted.theories) == n  # nothing reached the server
    env.check(THEOREM, "sorry", holes=frozenset({"sorry"}))
    assert len(scripted.theories) == n + 1


def test_the_verifier_checks_in_a_session_of_its_own(isabelle):
    """The search's session ran every candidate; the verdict comes from a session started for
    the one proof (and stopped after), so nothing a candidate did there can reach it."""
    env, scripted, _ = isabelle
    env.open(THEOREM)  # the search's session
    calls: list[str] = []
    start, stop = env.client.session_start, env.client.session_stop

    def session_start(*args, **kwargs):
        calls.append("start")
        return start(*args, **kwargs)

    def session_stop(session_id, *args, **kwargs):
        calls.append("stop")
        return stop(session_id, *args, **kwargs)

    env.client.session_start, env.client.session_stop = session_start, session_stop
    assert env.verify(THEOREM, ["proof -", "  show ?thesis", "    by linarith", "qed"]).ok
    assert not env.verify(THEOREM, ["by auto"]).ok
    assert calls == ["start", "stop", "start", "stop"]
    env.run_tactic(env.open(THEOREM), "by simp")
    assert len(calls) == 4  # the search keeps its own session


def test_after_a_cancelled_check_each_answer_still_goes_to_its_own_check():
    """The server answers `cancel` with a bare OK and the cancelled task still ends with FAILED.
    Left unread, they put every later answer one behind: an honest step read the FAILED and a
    bogus one got the honest one's result (Proved). Owed replies and other tasks' messages are
    dropped now, and a check's answer must name the theory it checked."""
    from lean_env.base import ProtocolError
    from lean_env.isabelle.env import IsabelleConfig
    from lean_env.isabelle.protocol import TheoryResult

    scripted = ScriptedIsabelle(solves={"linarith": {"?thesis"}}, hammer={}, hang_on="slowmethod")
    with FakeIsabelleServer(handler=scripted) as fake:
        env = IsabelleEnv(IsabelleConfig(tactic_timeout=0.3, verify_timeout=5),
                          client=IsabelleClient(*fake.address, timeout=5))
        root = env.open(THEOREM)
        assert env.run_tactic(root, "by slowmethod").kind.value == "timeout"
        honest = "proof -\n  show ?thesis by linarith\nqed"
        assert env.run_tactic(root, honest).proof == (honest,)
        assert env.run_tactic(root, "by bogus").kind.value == "error"
        assert not env.verify(THEOREM, ["by bogus"]).ok
        assert env.verify(THEOREM, [honest]).ok
        other = TheoryResult.parse({"ok": True, "errors": [], "nodes": [
            {"node_name": "/x/P_other.thy", "theory_name": "Draft.P_other", "status": {"ok": True}, "messages": []}]})
        env.client.use_theories = lambda *args, **kwargs: other  # an answer about another theory
        with pytest.raises(ProtocolError, match="without the theory checked"):
            env.verify(THEOREM, [honest])
        env.close()


def test_elaboration_is_linear_in_the_sketch(isabelle):
    """A sketch is read before any time limit: 40,000 blank lines after a restated statement took
    17 s (a `\\s*` from every line start), and each hole's source line joined from the text's
    start took time and memory quadratic in the holes (a hundred holes' lines each held the whole
    text). The longest sketch is refused before it is read."""
    import time

    from lean_env.isabelle.screen import MAX_PROOF_CHARS

    env, scripted, _ = isabelle
    sketcher = IsabelleSketcher(env)
    start = time.monotonic()
    assert sketcher.elaborate(THEOREM, STATEMENT + "\n" * 40_000 + "x").kind is K.STATEMENT_CHANGED
    many = sketcher.elaborate(THEOREM, "proof -\n  " + 'have "x = x" sorry ' * 3_000 + "\n  show ?thesis sorry\nqed")
    assert isinstance(many, Elaboration) and len(many.holes) == 3_001, many
    assert time.monotonic() - start < 2.0
    assert max(len(h.pretty) for h in many.holes) <= 200 + len("sorry")
    assert many.holes[1].pretty.endswith('have "x = x" sorry')
    long = sketcher.elaborate(THEOREM, "by simp" + " " * MAX_PROOF_CHARS + "(* *)")
    assert long.kind is K.PARSE and "longer than" in long.message


def test_sledgehammer_is_not_run_on_more_holes_than_its_limit(isabelle):
    """The Sledgehammer round's time limit is 30 s per hole plus a round's: a sketch of 40 holes
    that no cheap method closes held the filler for 21 minutes in one round."""
    env, scripted, fake = isabelle
    sketch = "proof -\n" + "".join(f'  have c{k}: "x = {k}" sledgehammer\n' for k in range(40)) + "  show ?thesis sorry\nqed"
    elaboration = IsabelleSketcher(env).elaborate(THEOREM, sketch)
    assert isinstance(elaboration, Elaboration) and len(elaboration.holes) == 41
    before = len(scripted.theories)
    fills = HammerFiller(env, HammerConfig(methods=("by simp",))).fill(elaboration)
    assert all(isinstance(f, FillFailure) and "more than Sledgehammer is run on" in f.message for f in fills)
    assert len(scripted.theories) == before + 1  # the cheap round only
    assert not any("sledgehammer" in text for text in scripted.theories[before:])
