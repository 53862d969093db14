"""The bubblewrap sandbox around proof-assistant processes, tested below every screen.

Called through the process layer directly (what model text could do if it got past the screen and
the fence): writing outside the scratch directory and opening a socket fail, and the next theorem
of the same environment is unaffected.
"""

from __future__ import annotations

import socket
import sys
import tempfile
from pathlib import Path

import pytest

from lean_env.base import Proved
from lean_env.coq.files import theorem_from_text
from lean_env.coq.process import CoqTop
from lean_env.process import run_once
from lean_env.sandbox import sandbox_enabled, sandbox_status

pytestmark = pytest.mark.skipif(not sandbox_enabled(), reason=f"sandbox {sandbox_status()}")

HOME_TARGET = Path.home() / ".prover-sandbox-probe"


def python(code: str, cwd: Path, sandbox: bool = True) -> int:
    return run_once([sys.executable, "-c", code], 30, cwd=cwd, sandbox=sandbox)[0]


def test_writes_outside_the_scratch_directory_fail(tmp_path):
    inside, outside = tmp_path / "scratch", tmp_path / "outside"
    inside.mkdir()
    outside.mkdir()
    assert python(f"open({str(inside / 'ok')!r}, 'w').write('x')", inside) == 0
    assert (inside / "ok").exists()
    assert python(f"open({str(outside / 'pwned')!r}, 'w').write('x')", inside) != 0
    assert python(f"open({str(HOME_TARGET)!r}, 'w').write('x')", inside) != 0
    assert not (outside / "pwned").exists() and not HOME_TARGET.exists()


def test_no_network_inside(tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    connect = f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=5)"
    try:
        assert python(connect, tmp_path, sandbox=False) == 0  # the control: reachable from outside
        assert python(connect, tmp_path) != 0
    finally:
        server.close()


@pytest.mark.coq
def test_coq_commands_past_every_screen_cannot_write_and_the_next_theorem_is_fine(coq_env, tmp_path):
    target = tmp_path / "pwned"
    top = CoqTop("coqtop", tempfile.mkdtemp(), 2048)
    try:
        for command in (f'Redirect "{target}" Print nat.', f'Redirect "{HOME_TARGET}" Print nat.'):
            top.send(command, 10)
    finally:
        top.kill()
    assert not Path(f"{target}.out").exists() and not Path(f"{HOME_TARGET}.out").exists()
    true = theorem_from_text("Theorem t : 1 + 1 = 2.\n")
    proved = coq_env.run_tactic(coq_env.open(true), "reflexivity.")
    assert isinstance(proved, Proved) and coq_env.verify(true, proved.proof).ok


def test_the_lean_repl_process_runs_in_the_sandbox(tmp_path):
    import psutil

    from lean_env.lean_repl.process import ReplProcess

    proc = ReplProcess([sys.executable, "-c", "import time; time.sleep(30)"], cwd=tmp_path)
    try:
        wrapper = psutil.Process(proc.pid)
        assert wrapper.name() == "bwrap" and "--unshare-all" in wrapper.cmdline()
    finally:
        proc.close()


def test_the_lean_project_stays_at_the_repository_root():
    # The Lean project that pins Lean, Mathlib and the REPL: at the top level (where users look
    # for it) and inside the package (so an installed prover can build it from anywhere).
    root = Path(__file__).resolve().parents[2]
    for name in ("lakefile.lean", "lean-toolchain", "lake-manifest.json"):
        top, packaged = root / name, root / "lean_env" / "lean_repl" / "project" / name
        assert top.read_text() == packaged.read_text()


def test_a_sandboxed_process_has_no_capabilities(tmp_path):
    """Run as root, a process that kept CAP_SYS_ADMIN could unmount what hides a directory."""
    code = ("import sys; caps = [l for l in open('/proc/self/status') if l.startswith('CapEff')]; "
            "sys.exit(0 if caps and int(caps[0].split()[1], 16) == 0 else 1)")
    assert python(code, tmp_path) == 0


def test_a_sandboxed_process_inherits_no_secret(tmp_path, monkeypatch):
    """API keys and tokens stay out of the processes that run model text; the rest is inherited."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("HF_TOKEN", "hf-test")
    monkeypatch.setenv("PROVER_PLAIN_SETTING", "kept")
    code = ("import os, sys; sys.exit(0 if 'OPENAI_API_KEY' not in os.environ and 'HF_TOKEN' not in os.environ "
            "and os.environ.get('PROVER_PLAIN_SETTING') == 'kept' else 1)")
    assert python(code, tmp_path) == 0
    assert python(code, tmp_path, sandbox=False) == 1  # the same check fails outside the sandbox


@pytest.mark.parametrize("extra_writable", [False, True])
def test_a_lean_repl_sees_no_other_repls_scratch_directory(tmp_path, monkeypatch, extra_writable):
    """What one REPL wrote (a proof that ran code there, say) is invisible to every other, also
    when a directory that holds them all is made writable for every sandboxed process."""
    from lean_env.lean_repl.process import ReplProcess, scratch_parent

    if extra_writable:
        monkeypatch.setenv("PROVER_SANDBOX_WRITABLE", str(scratch_parent().parent))

    first = ReplProcess([sys.executable, "-c", "import time; time.sleep(30)"], cwd=tmp_path)
    secret = first.scratch / "left-behind.olean"
    secret.write_text("x")
    look = (f"import os, sys; sys.stdin.readline(); sys.stdin.readline(); "
            f"print(os.path.exists({str(secret)!r}), sorted(os.listdir({str(scratch_parent())!r}))); "
            f"print(); sys.stdout.flush(); import time; time.sleep(30)")
    second = ReplProcess([sys.executable, "-c", look], cwd=tmp_path)
    try:
        seen = second.request(b"{}\n\n", 20)
        assert seen.strip() == f"False {[second.scratch.name]!r}"
        assert secret.exists()  # still there for its own process
    finally:
        first.close()
        second.close()


def test_a_scratch_parent_someone_else_could_write_is_refused(tmp_path, monkeypatch):
    """Its name is predictable: one made in advance by another user (or left open) is not used."""
    import os

    from lean_env.base import SetupError
    from lean_env.lean_repl.process import scratch_parent

    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))
    planted = tmp_path / f"prover-lean-scratch-{os.getuid()}"
    planted.mkdir()
    planted.chmod(0o777)
    with pytest.raises(SetupError, match="not a private directory"):
        scratch_parent()
    planted.chmod(0o700)
    assert scratch_parent() == planted
