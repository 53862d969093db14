"""The Lean REPL's framing on the shared process helper: one response per request, ended by a
blank line, and each way a REPL can break it (fake REPLs: a few lines of Python each)."""

from __future__ import annotations

import sys
import textwrap
import time

import pytest

from lean_env.base import EnvCrashed, EnvTimeout, ProtocolError, SetupError
from lean_env.lean_repl.process import ReplProcess

REQUEST = b'{"cmd": "example : True := trivial"}\n\n'


def repl(answer: str, tmp_path, **kwargs) -> ReplProcess:
    """A REPL that reads one request (up to its blank line) and then runs `answer`."""
    code = textwrap.dedent(
        """
        import sys, time
        out = sys.stdout
        while True:
            if sys.stdin.readline() in ("", "\\n"):
                break
        """
    ) + textwrap.dedent(answer) + "\nout.flush()\ntime.sleep(30)\n"
    return ReplProcess([sys.executable, "-c", code], cwd=tmp_path, **kwargs)


def test_a_response_is_the_text_before_its_blank_line_and_stray_blank_lines_are_skipped(tmp_path):
    proc = repl('out.write("\\n\\n"); out.flush(); time.sleep(0.2); out.write(\'{"env": 0}\\n\\n\')', tmp_path)
    try:
        assert proc.request(REQUEST, 10) == '{"env": 0}'
        assert proc.alive()
    finally:
        proc.close()


@pytest.mark.parametrize(
    ("answer", "error", "message"),
    [
        ('out.write(\'{"env": 0}\\n\\n{"env": 1}\\n\\n\')', ProtocolError, "more than one response"),
        ('out.write("x" * 3000)', ProtocolError, "exceeded 2048 bytes"),
        ('out.write(\'{"env"\'); out.flush(); sys.stderr.write("panic!\\n"); sys.exit(7)', EnvCrashed,
         r"exited mid-response \(6 bytes\) \(exit code 7\); stderr: panic!"),
        ("sys.exit(0)", EnvCrashed, r"exited before answering \(exit code 0\)"),
        ("pass", EnvTimeout, "did not answer within 0.5s"),
    ],
)
def test_a_broken_answer_raises_and_kills_the_process(tmp_path, answer, error, message):
    proc = repl(answer, tmp_path, max_response_bytes=2048)
    try:
        start = time.monotonic()
        with pytest.raises(error, match=message):
            proc.request(REQUEST, 0.5)
        assert time.monotonic() - start < 3 and not proc.alive()
        with pytest.raises(EnvCrashed, match="was already dead"):
            proc.request(REQUEST, 0.5)
    finally:
        proc.close()


def test_a_repl_that_does_not_read_its_input_times_out_on_the_write(tmp_path):
    proc = ReplProcess([sys.executable, "-c", "import time; time.sleep(30)"], cwd=tmp_path)
    try:
        with pytest.raises(EnvTimeout, match="did not accept input"):
            proc.request(b"x" * (4 << 20) + b"\n\n", 0.3)
        assert not proc.alive()
    finally:
        proc.close()


def test_a_missing_repl_says_how_to_get_one(tmp_path):
    with pytest.raises(SetupError, match=r"cannot start the Lean REPL 'no-such-repl'.*prover setup lean"):
        ReplProcess(["no-such-repl"], cwd=tmp_path)
