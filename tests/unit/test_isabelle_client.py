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
    ],
)
def test_screen(text, bad):
    reason = screen_tactic(text)
    assert (reason is None) if bad is None else (bad in reason)


@pytest.mark.isabelle
def test_real_isabelle_checks_a_theorem():
    from lean_env.base import Theorem
    from lean_env.isabelle.env import IsabelleEnv

    assert shutil.which("isabelle")
    theorem = Theorem("two", "Main", 'theorem two: "(1::nat) + 1 = 2"', "isabelle")
    with IsabelleEnv() as env:
        assert env.verify(theorem, ["by simp"]).ok
        assert not env.verify(theorem, ["by (rule refl) (* wrong *)"]).ok
