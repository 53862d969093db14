"""The `isabelle server` client against a loopback fake replaying recorded-style exchanges."""

from __future__ import annotations

import shutil
import time

import pytest

from lean_env.base import EnvCrashed, EnvTimeout, ProtocolError, SetupError
from lean_env.isabelle.client import IsabelleClient, IsabelleError
from lean_env.isabelle.protocol import Reply, TheoryResult, decode, encode, try_this
from lean_env.isabelle.screen import screen_tactic
from tests.fakes.isabelle_server import FakeIsabelleServer, ScriptedIsabelle, recorded


def test_wire_format():
    assert encode("use_theories", {"theories": ["A"]}) == b'use_theories {"theories": ["A"]}\n'
    assert encode("help") == b"help\n"
    assert decode(b'OK {"task":"t1"}\n') == Reply("OK", {"task": "t1"})
    assert decode(b"OK") == Reply("OK", None)
    assert decode(b'ERROR "Bad password"') == Reply("ERROR", "Bad password")
    with pytest.raises(ProtocolError):
        decode(b"### garbage")


@pytest.mark.parametrize(
    "text, method",
    [
        ("presburger: Try this: by presburger (0.4 ms)", "by presburger"),
        ("cvc5: Try this: by (metis add.commute mult_2) (21 ms)", "by (metis add.commute mult_2)"),
        ("Try this: using h0 by linarith (1.2 s)", "using h0 by linarith"),
        ("Try this: by simp", "by simp"),
        ("Sledgehammering...", None),
    ],
)
def test_try_this(text, method):
    assert try_this(text) == method


def test_try_this_is_linear_in_a_message_that_repeats_it():
    # A hole's line is the model's text, and Sledgehammer's message quotes it: a regular
    # expression searched again from each "Try this:" took 4.6 s for 4,000 of them (quadratic).
    start = time.perf_counter()
    assert try_this("Try this: " * 8_000 + "by simp (2 ms)").startswith("Try this: Try this:")
    assert try_this("Try this: a (" * 8_000) is not None
    assert time.perf_counter() - start < 2.0


def test_recorded_session_start_and_theory_results():
    exchanges = {
        "session_start": [recorded("session_start")],
        "use_theories": [recorded("use_theories.sledgehammer"), recorded("use_theories.fail")],
    }
    with FakeIsabelleServer(recorded=exchanges) as fake:
        client = IsabelleClient(*fake.address, timeout=5)
        assert client.server_info["isabelle_name"] == "Isabelle2024"
        session = client.session_start("HOL", timeout=5)
        assert session.session_id == "b2c4e6f8-2222-4d5e-8f90-123456789abc"
        assert session.tmp_dir == "/tmp/isabelle/server_session4242"

        result = client.use_theories(session.session_id, ["Problem"], "/tmp/x", timeout=5)
        assert result.ok and not result.error_messages()
        answers = [try_this(m.text) for m in result.messages() if m.line == 7]
        assert [a for a in answers if a] == ["by (metis add.commute mult_2)", "by linarith"]
        assert {m.kind for m in result.messages()} == {"writeln", "warning"}

        failed = client.use_theories(session.session_id, ["Problem"], "/tmp/x", timeout=5)
        assert not failed.ok
        (error,) = failed.error_messages()
        assert error.line == 8 and error.text.startswith("Failed to finish proof") and "3 * n = 15" in error.text
        client.close()
        assert fake.calls[0] == ("session_start", {"session": "HOL"})
        assert fake.calls[1][1]["theories"] == ["Problem"] and fake.calls[1][1]["master_dir"] == "/tmp/x"


def test_failed_task_and_error_reply_raise():
    exchanges = {"session_start": [recorded("session_start.failed")]}
    with FakeIsabelleServer(recorded=exchanges) as fake:
        client = IsabelleClient(*fake.address, timeout=5)
        with pytest.raises(IsabelleError, match="Bad session"):
            client.session_start("NoSuchLogic", timeout=5)
        with pytest.raises(IsabelleError, match="Unknown command"):
            client.command("frobnicate")
        client.close()


def test_wrong_password_is_a_crash():
    with FakeIsabelleServer(handler=ScriptedIsabelle({}, {})) as fake:
        with pytest.raises(EnvCrashed, match="refused"):
            IsabelleClient("127.0.0.1", fake.port, "wrong", timeout=5)


def test_a_task_past_its_deadline_is_cancelled(tmp_path):
    scripted = ScriptedIsabelle({}, {}, hang_on="theory")
    with FakeIsabelleServer(handler=scripted) as fake:
        client = IsabelleClient(*fake.address, timeout=5)
        session = client.session_start(timeout=5)
        (tmp_path / "A.thy").write_text("theory A imports Main begin end")
        with pytest.raises(EnvTimeout, match="cancelled"):
            client.use_theories(session.session_id, ["A"], str(tmp_path), timeout=0.3)
        client.close()
        deadline = time.monotonic() + 2
        while not any(name == "cancel" for name, _ in fake.calls) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert any(name == "cancel" and "task" in arg for name, arg in fake.calls)


def test_theory_result_parse_tolerates_missing_fields():
    result = TheoryResult.parse({"ok": False, "nodes": [{"messages": [{"kind": "error", "message": "x"}]}]})
    (error,) = result.error_messages()
    assert error.line is None and error.text == "x"


def test_missing_isabelle_is_one_clear_setup_error():
    from lean_env.isabelle.env import IsabelleConfig, IsabelleEnv
    from lean_env.registry import assistant, screen

    assert assistant("isabelle").env_class() is IsabelleEnv
    with pytest.raises(SetupError) as info:
        IsabelleEnv(IsabelleConfig(isabelle="no-such-isabelle-binary"))
    assert "install Isabelle" in str(info.value) and "\n" not in str(info.value)
    assert screen("isabelle", "by simp") is None and screen("isabelle", "sorry")


@pytest.mark.parametrize(
    "text, bad",
    [
        ("by auto", None),
        ("using h0 by (simp add: field_simps)", None),
        ("(* sorry, this is a comment *) by simp", None),
        ('have "sorry = x" by simp', None),
        ("sorry", "sorry"),
        ("apply auto oops", "oops"),
        ("by auto\naxiomatization where cheat: False", "axiomatization"),
        ("ML \\<open>Thm.cheat\\<close>", "ML"),
        ("by auto\nlemma other: False by simp", "lemma"),
        ("sledgehammer", "sledgehammer"),
        ("using [[quick_and_dirty]] by simp", "quick_and_dirty"),
        ("by simp (* unclosed", "unclosed"),
        # Isabelle's words start with a letter: `help _` is a whole command and `sorry` the next
        ("help _sorry", "sorry"),
        ("by simp help _ML_val \\<open>OS.Process.system \"id\"\\<close>", "help"),
        ("\\<proof>", "\\<proof>"),  # the same command as sorry
        ("by (tactic \\<open>all_tac\\<close>)", "tactic"),  # the method runs ML
        ("by (raw_tactic \u2039all_tac\u203a)", "raw_tactic"),
        ("\\<comment> \\<open>@{ML \\<open>()); val _ = OS.Process.system \"id\"; (()\\<close>}\\<close> by simp", "@{"),
        ('txt {* " *} sorry txt {* " *}', "{*"),  # verbatim text, which the screen does not mask
        ("using [[smt_oracle]] by smt", "smt_oracle"),
        ("by eval", "eval"),  # trusts generated code through an oracle
        ("by simp SML_export \\<open>x\\<close>", "SML_export"),
        ("by simp parse_translation \\<open>[]\\<close>", "parse_translation"),
        ("by simp compile_generated_files _ where \\<open>fn _ => ()\\<close>", "compile_generated_files"),
        ("txt \\<open>comment\\<close> by simp", "txt"),
        ("apply (simp add: x\\<^sub>1_def)", None),  # subscripts are no control symbols to refuse
        # a block after the proof swallows the verifier's last lines: its oracle check would name a local fact
        ("by simp\nnotepad begin\n  note t = TrueI", "begin"),
        ("by simp\nlemmas t2 = TrueI", "lemmas"),
        ("by simp \u2326", "outside a string"),  # Isabelle reads it as the control symbol \<^cancel>
        ("by(simp)", None),
        ('by (simp add: "\ud800")', "surrogate"),  # no UTF-8 can carry it to the server
        # a method or attribute name may be a string, which masking would hide (or spell by \ddd)
        ('by ("tactic" \\<open>all_tac\\<close>)', "method or attribute name"),
        ('by "eval"', "method or attribute name"),
        ('using [[ "quick_and_dirty" = true ]] by simp', "method or attribute name"),
        ('by (rule "\\116rueI")', "decimal escape"),
        # Isabelle's parser drops comments before it reads a name: a comment does not separate them
        ('by ((* c *) "tactic" \\<open>all_tac\\<close>)', "method or attribute name"),
        ('by ((**)"tactic" \\<open>all_tac\\<close>)', "method or attribute name"),
        ('by (\\<comment> \\<open>c\\<close> "tactic" \\<open>all_tac\\<close>)', "method or attribute name"),
        ('by (\\<comment> (* x *) \\<open>c\\<close> "raw_tactic" \\<open>all_tac\\<close>)', "method or attribute name"),
        ('apply (simp, (* x *) "raw_tactic" \\<open>fn st => Seq.single st\\<close>)', "method or attribute name"),
        ('by (simp; (* *) "tactic" \u2039all_tac\u203a)', "method or attribute name"),
        ('using [[(* *) "quick_and_dirty" = true]] by simp', "method or attribute name"),
        ('by (simp add: "tactic")', "written as a string"),  # a bare refused word as a string, anywhere
        ('by (simp add: \\<open>a " b\\<close> "eval")', "written as a string"),
        ('by (simp add: foo) (* "tactic" *)', None),  # a string inside a comment is still a comment
        ('by (simp add: "(* x *)")', None),  # and a comment inside a string still a string
        ("by simp arities real :: finite", "arities"),  # axiomatic, after the proof
        ('by simp display_drafts "/etc/passwd"', "display_drafts"),  # reads a file, after the proof
        ("by simp lift_definition f :: nat is id .", "lift_definition"),
        ("using `x > 0` by simp", None),  # a literal fact is no name
        ('by (rule_tac x="1" in exI) simp', None),
        ("\u2015 \u2039a remark\u203a by simp", None),
        ("by (simp add: power2_eq_square)", None),
        # a string or cartouche may be method text, parsed as a method in turn (`use facts in <method>`)
        ('by (use TrueI in \\<open>tactic \\<open>Isabelle_System.bash "id"; all_tac\\<close>\\<close>)', "tactic"),
        ('by (use TrueI in "tactic \\<open>all_tac\\<close>")', "tactic"),
        ("apply (use TrueI in \u2039use TrueI in \u2039raw_tactic \u2039fn st => Seq.single st\u203a\u203a\u203a)", "raw_tactic"),
        ("by (use TrueI in \\<open>eval\\<close>)", "eval"),  # an oracle, which the search would count as proved
        ("by (use assms in \\<open>simp add: field_simps\\<close>)", None),
        ("by (use assms in auto) (* then tactic *)", None),
        # theory-level commands after the proof that the lists missed (round 25)
        ("by simp bnf_axiomatization 'a F", "bnf_axiomatization"),  # axioms
        ('by simp bibtex_file "/etc/passwd"', "bibtex_file"),  # reads a file by name
        ("by simp test_code x = x in OCaml", "test_code"),  # compiles and runs code with outside tools
        ("by simp realizers TrueI: x", "realizers"),
        ("by simp theorems t2 = TrueI", "theorems"),
        # configuration that names a file to read and append to, or options for an outside tool
        ('using [[smt_certificates = "/home/u/.isabelle/etc/settings"]] by smt', "smt_certificates"),
        ('using [[z3_options = "-v:10"]] by smt', "z3_options"),
        # \x1c is blank to Python, not to Isabelle: no formal comment there, so the cartouche is screened
        ("apply (use TrueI in \\<comment>\x1c\\<open>tactic \\<open>all_tac\\<close>\\<close>)", "tactic"),
    ],
)
def test_screen(text, bad):
    reason = screen_tactic(text)
    assert (reason is None) if bad is None else (reason is not None and bad in reason), reason


@pytest.mark.parametrize("text", ['if "False" using that by blast', "for x :: nat by simp", 'and "False" by simp',
                                  '"False" by simp', '\\<comment> \\<open>x\\<close> "True" by simp',
                                  # nested leading comments, which Isabelle reads whole
                                  '(* (* *) *) "(x::nat) = x" by simp',
                                  '\\<comment> \\<open>a \\<open>b\\<close> c\\<close> "(x::nat) = x" by simp',
                                  '(* (* *) *) \\<open>(x::nat) = x\\<close> by simp'])
def test_a_proof_must_start_with_a_proof_command(text):
    """After a short statement, these would add to the statement (a premise `False`) instead of
    proving it; later steps of a proof may start with any proof command."""
    from lean_env.isabelle.screen import screen_proof

    reason = screen_proof(text, start=True)
    assert reason is not None and ("must begin with a proof command" in reason or "name stands" in reason), reason
    assert screen_proof("proof -\n  show ?thesis by simp\nqed", start=True) is None
    assert screen_proof("proof-\n  show ?thesis by simp\nqed", start=True) is None
    assert screen_proof("\\<comment> \\<open>first\\<close> apply(auto)", start=True) is None


@pytest.mark.isabelle
def test_real_isabelle_checks_a_theorem():
    from lean_env.base import Theorem
    from lean_env.isabelle.env import IsabelleEnv

    assert shutil.which("isabelle")
    theorem = Theorem("two", "Main", 'theorem two: "(1::nat) + 1 = 2"', "isabelle")
    with IsabelleEnv() as env:
        assert env.verify(theorem, ["by simp"]).ok
        assert not env.verify(theorem, ["by (rule refl) (* wrong *)"]).ok


def test_a_theory_the_server_gave_up_on_is_not_complete():
    """The watchdog answers with what was checked so far: `ok` (nothing failed) is not enough."""
    node = {"node_name": "/m/P.thy", "theory_name": "Draft.P", "messages": [],
            "status": {"ok": True, "total": 9, "unprocessed": 3, "running": 1, "failed": 0, "finished": 5}}
    partial = TheoryResult.parse({"ok": True, "errors": [], "nodes": [node]})
    assert partial.ok and not partial.complete
    done = dict(node, status={"ok": True, "total": 9, "unprocessed": 0, "running": 0, "failed": 0, "finished": 9})
    assert TheoryResult.parse({"ok": True, "errors": [], "nodes": [done]}).complete
    # every command ran, but the theory never reached its `end` (a block swallowed it)
    open_block = dict(node, status=dict(done["status"], consolidated=False))
    assert not TheoryResult.parse({"ok": True, "errors": [], "nodes": [open_block]}).complete


def test_the_screen_is_linear_in_the_text():
    """The screen runs before any time limit: 20,000 cartouches took 10 s when what lay between
    a cartouche and the text's start was joined after each one (quadratic); the text is at most
    MAX_PROOF_CHARS long."""
    from lean_env.isabelle.screen import MAX_PROOF_CHARS, screen_proof

    text = "by simp " + "\u2039\u203a" * 20_000
    start = time.monotonic()
    assert screen_proof(text, start=True) is None
    assert time.monotonic() - start < 1.0
    assert "longer than" in screen_proof("by simp " + " " * MAX_PROOF_CHARS)


class _RawServer:
    """A server that sends exactly the bytes a test gives, with pauses: a reply cut in two."""

    def __init__(self, replies):  # replies[i]: (bytes, pause, bytes) answering the i-th command
        import socket
        import threading

        self.replies = replies
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        conn, _ = self._sock.accept()
        reader = conn.makefile("rb")
        reader.readline()
        conn.sendall(b'OK {"isabelle_id": "raw"}\n')
        for first, pause, rest in self.replies:
            reader.readline()
            conn.sendall(first)
            time.sleep(pause)
            conn.sendall(rest)
        reader.readline()
        conn.close()


def _long(body: str) -> bytes:
    data = f"OK {body}\n".encode()
    return f"{len(data)}\n".encode() + data


def test_a_reply_longer_than_the_limit_is_dropped_as_it_arrives():
    """Proof text can make the prover print without bound (each failing step prints its goal):
    such a reply was kept whole, read in chunks each appended by copying all read before. Now it
    is dropped as it arrives, and the next reply is still read as its own."""
    huge = _long('{"pad": "' + "a" * 50_000 + '"}')
    server = _RawServer([(huge[:20_000], 0.1, huge[20_000:]), (_long('{"x": 2}'), 0, b"")])
    client = IsabelleClient("127.0.0.1", server.port, "pw", timeout=5, max_message_bytes=10_000)
    with pytest.raises(ProtocolError, match="dropped"):
        client.command("first", timeout=5)
    assert client.command("second", timeout=5) == {"x": 2}
    client.close()
