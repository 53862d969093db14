"""The process helper (`lean_env.process`): deadlines, chunking, deaths, floods, kills, memory, attach.

Children are small Python programs; most run unsandboxed (the sandbox has its own tests), so these
stay fast.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time

import psutil
import pytest

from lean_env.base import EnvCrashed, EnvTimeout, ProtocolError, SetupError
from lean_env.process import ChildProcess, ProcessConfig, ProcessEnded, run_once
from lean_env.sandbox import sandbox_enabled

pytestmark = pytest.mark.timeout(60)  # a helper that hangs (or a FIFO never opened) fails its test

END = re.compile(rb"<end (\d+)>")
ECHO = """
import sys
for i, line in enumerate(sys.stdin):
    sys.stdout.write(line.strip() + f" <end {i}>")
    sys.stdout.flush()
"""


def child(code: str, **config) -> ChildProcess:
    config.setdefault("sandbox", False)
    return ChildProcess(ProcessConfig(argv=(sys.executable, "-c", textwrap.dedent(code)), **config))


def gone(pid: int, within: float = 5.0) -> bool:
    """Whether `pid` has ended (a zombie counts: it runs nothing) within `within` seconds."""
    end = time.monotonic() + within
    while time.monotonic() < end:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.02)
    return False


def test_answers_in_order_and_a_timeout_keeps_the_process_and_what_it_printed():
    proc = child(
        """
        import sys, time
        sys.stdin.readline()
        sys.stdout.write("first half, "); sys.stdout.flush()
        time.sleep(0.6)
        sys.stdout.write("second half <end 7> and more <end 8>"); sys.stdout.flush()
        sys.stdin.readline()
        """
    )
    try:
        proc.write(b"go\n")
        start = time.monotonic()
        with pytest.raises(EnvTimeout):
            proc.read_until(END, 0.2)
        assert 0.15 < time.monotonic() - start < 0.55 and proc.alive()
        before, match = proc.read_until(END, 5)  # the half read before the timeout is kept
        assert before == b"first half, second half " and match.group(1) == b"7"
        before, match = proc.read_until(END, 5)  # the next answer came in the same chunk
        assert before == b" and more " and match.group(1) == b"8"
        assert not proc.pending()
    finally:
        proc.kill()


def test_the_deadline_holds_when_there_is_always_more_to_read():
    # /dev/zero as the output: every poll finds more to read and no answer ever comes.
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    proc = ChildProcess.attach(os.open("/dev/zero", os.O_RDONLY), os.open("/dev/null", os.O_WRONLY), sleeper.pid,
                               max_output_mb=256)
    try:
        start = time.monotonic()
        with pytest.raises(EnvTimeout):
            proc.read_until(END, 0.02)
        assert time.monotonic() - start < 1
    finally:
        proc.kill()
        sleeper.wait()


def test_a_pattern_split_across_reads_is_found():
    proc = child(
        """
        import sys, time
        sys.stdout.write("x" * 65533 + "<en"); sys.stdout.flush()  # the pipe splits at 64 KiB
        time.sleep(0.3)
        sys.stdout.write("d 1>"); sys.stdout.flush()
        sys.stdin.readline()
        """
    )
    try:
        before, match = proc.read_until(END, 5)
        assert before == b"x" * 65533 and match.group(0) == b"<end 1>"
    finally:
        proc.kill()


def test_a_long_answer_in_many_chunks_arrives_whole():
    proc = child(
        """
        import sys
        for i in range(200):
            sys.stdout.write(f"line {i:05d}\\n" * 100)
        sys.stdout.write("<end 3>"); sys.stdout.flush()
        sys.stdin.readline()
        """
    )
    try:
        before, _ = proc.read_until(END, 10)
        lines = before.decode().splitlines()
        assert len(lines) == 20000 and lines[0] == "line 00000" and lines[-1] == "line 00199"
    finally:
        proc.kill()


def test_a_child_that_dies_mid_answer_raises_with_what_it_printed():
    proc = child(
        """
        import sys
        sys.stdout.write("half an ans"); sys.stdout.flush()
        sys.exit(3)
        """
    )
    try:
        with pytest.raises(ProcessEnded) as info:
            proc.read_until(END, 5)
        assert isinstance(info.value, EnvCrashed)
        assert info.value.partial == b"half an ans" and "exit 3" in str(info.value)
        assert not proc.alive() and proc.exit_code() == 3
        with pytest.raises(EnvCrashed):
            proc.pending()
        with pytest.raises(EnvCrashed):
            proc.write(b"anyone there?\n")
    finally:
        proc.kill()


def test_a_flood_is_cut_at_the_cap():
    proc = child(
        """
        import sys
        while True:
            sys.stdout.write("flood " * 1000)
        """,
        max_output_mb=1,
    )
    try:
        start = time.monotonic()
        with pytest.raises(ProtocolError, match="MiB of output"):
            proc.read_until(END, 20)
        assert time.monotonic() - start < 10 and len(proc.unread()) == 0
    finally:
        proc.kill()


def test_write_gives_up_at_its_deadline_when_the_child_does_not_read():
    proc = child("import time; time.sleep(30)")
    try:
        with pytest.raises(EnvTimeout):
            proc.write(b"x" * (4 << 20), timeout=0.3)
    finally:
        proc.kill()


def test_kill_takes_the_whole_process_group():
    proc = child(
        """
        import subprocess, sys, time
        grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        sys.stdout.write(f"<end {grandchild.pid}>"); sys.stdout.flush()
        time.sleep(60)
        """
    )
    _, match = proc.read_until(END, 10)
    grandchild = int(match.group(1))
    assert psutil.pid_exists(grandchild) and os.getpgid(grandchild) == proc.pid
    proc.kill()
    assert not proc.alive() and gone(grandchild)
    proc.kill()  # idempotent


def test_rss_covers_the_tree_through_psutil():
    proc = child(
        """
        import subprocess, sys, time
        code = "import sys, time; b = bytearray(40 << 20); print('up', flush=True); time.sleep(60)"
        grandchild = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
        grandchild.stdout.readline()
        own = bytearray(40 << 20)
        sys.stdout.write("<end 0>"); sys.stdout.flush()
        time.sleep(60)
        """
    )
    try:
        proc.read_until(END, 10)
        root_only = psutil.Process(proc.pid).memory_info().rss
        assert proc.rss_bytes() >= (80 << 20) and proc.rss_bytes() > root_only + (30 << 20)
    finally:
        proc.kill()
    assert proc.rss_bytes() == 0


def test_rss_sees_growth_at_once_and_a_new_descendant_soon():
    proc = child(
        """
        import subprocess, sys, time
        sys.stdin.readline()
        own = bytearray(60 << 20)
        sys.stdout.write("<end 0>"); sys.stdout.flush()
        sys.stdin.readline()
        code = "import time; b = bytearray(60 << 20); print('up', flush=True); time.sleep(60)"
        grandchild = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
        grandchild.stdout.readline()
        sys.stdout.write("<end 1>"); sys.stdout.flush()
        time.sleep(60)
        """
    )
    try:
        small = proc.rss_bytes()
        proc.write(b"grow\n")
        proc.read_until(END, 10)
        grown = proc.rss_bytes()  # the same processes: their sizes are read afresh
        assert grown > small + (50 << 20)
        proc.write(b"fork\n")
        proc.read_until(END, 10)
        until = time.monotonic() + 3
        while proc.rss_bytes() < grown + (50 << 20) and time.monotonic() < until:
            time.sleep(0.05)
        assert proc.rss_bytes() > grown + (50 << 20)
    finally:
        proc.kill()


@pytest.mark.skipif(not sandbox_enabled(), reason="bubblewrap is not available here")
def test_interrupt_reaches_the_program_inside_the_sandbox_which_survives_it(tmp_path):
    proc = child(
        """
        import sys, time
        try:
            sys.stdout.write("<end 0>"); sys.stdout.flush()
            time.sleep(30)
        except KeyboardInterrupt:
            sys.stdout.write("interrupted <end 1>"); sys.stdout.flush()
        sys.stdin.readline()
        """,
        sandbox=True,
        cwd=str(tmp_path),
    )
    try:
        proc.read_until(END, 10)
        assert psutil.Process(proc.pid).name() == "bwrap"
        proc.interrupt()
        before, _ = proc.read_until(END, 10)
        assert before == b"interrupted " and proc.alive()
    finally:
        proc.kill()


def test_a_missing_program_is_a_setup_error():
    with pytest.raises(SetupError, match="cannot start 'no-such-program-here'"):
        ChildProcess(ProcessConfig(argv=("no-such-program-here",)))
    with pytest.raises(SetupError):
        run_once(["no-such-program-here"], 5)


def test_run_once_kills_the_group_on_timeout():
    code, out, _, timed_out = run_once([sys.executable, "-c", "print('hi', flush=True); import time; time.sleep(30)"], 0.5, sandbox=False)
    assert timed_out and code == -9 and out == "hi\n"


def test_run_once_kills_a_command_that_prints_past_the_cap(monkeypatch):
    """A checked proof can print far more than it costs (a shared term printed unshared): the
    caller never holds more than the cap of it, and the command is killed, not waited for."""
    monkeypatch.setattr("lean_env.process.RUN_ONCE_OUTPUT_CAP", 10_000)
    start = time.monotonic()
    loud = "import sys, time\nwhile True:\n    sys.stdout.write('x' * 4096); sys.stdout.flush()"
    code, out, err, timed_out = run_once([sys.executable, "-c", loud], 30, sandbox=False)
    assert code == -9 and not timed_out and len(out) <= 10_000 and "output beyond" in err
    assert time.monotonic() - start < 10
    code, out, _, _ = run_once([sys.executable, "-c", "print('x' * 5000)"], 30, sandbox=False)
    assert code == 0 and out == "x" * 5000 + "\n"


# -- attach: a process someone else started, e.g. a child forked inside a proof assistant's toplevel


def test_attach_to_a_forked_child_over_pipes():
    to_child, from_parent = os.pipe()
    to_parent, from_child = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: echo lines until end of input; nothing but system calls here
        try:
            os.close(from_parent)
            os.close(to_parent)
            pending = b""
            while True:
                data = os.read(to_child, 4096)
                if not data:
                    break
                pending += data
                while b"\n" in pending:
                    line, pending = pending.split(b"\n", 1)
                    os.write(from_child, b"echo " + line + b" <end 0>")
        finally:
            os._exit(0)
    os.close(to_child)
    os.close(from_child)
    proc = ChildProcess.attach(to_parent, from_parent, pid)
    try:
        assert proc.pid == pid and proc.alive() and proc.rss_bytes() > 0
        proc.write(b"one\ntwo\n")
        assert proc.read_until(END, 5)[0] == b"echo one "
        assert proc.read_until(END, 5)[0] == b"echo two "
        with pytest.raises(EnvTimeout):
            proc.read_until(END, 0.1)
        # It shares our process group: kill must reach it alone, not the group (that is us).
        assert os.getpgid(pid) == os.getpgid(0)
        proc.kill()
        assert not proc.alive()
    finally:
        proc.kill()
        _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL


TOPLEVEL = """
import os, sys
# A toplevel that forks workers on request; each worker talks over two FIFOs, as a proof
# assistant's toplevel that forks to keep a state would.
requests, answers = sys.argv[1], sys.argv[2]
for line in sys.stdin:
    if line.strip() == "fork":
        pid = os.fork()
        if pid == 0:
            inbox = open(requests, "rb", buffering=0)
            outbox = open(answers, "wb", buffering=0)
            for request in inbox:
                outbox.write(b"worker " + request.strip() + b" <end 0>")
            os._exit(0)
        sys.stdout.write(f"<end {pid}>")
    else:
        try:  # reap a worker that was killed
            os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            pass
        sys.stdout.write(f"toplevel {line.strip()} <end 1>")
    sys.stdout.flush()
"""


def test_attach_to_a_worker_forked_by_a_toplevel_over_fifos(tmp_path):
    requests, answers = tmp_path / "requests", tmp_path / "answers"
    os.mkfifo(requests)
    os.mkfifo(answers)
    toplevel = ChildProcess(ProcessConfig(argv=(sys.executable, "-c", TOPLEVEL, str(requests), str(answers)), sandbox=False))
    try:
        toplevel.write(b"fork\n")
        pid = int(toplevel.read_until(END, 10)[1].group(1))
        write_fd = os.open(requests, os.O_WRONLY)  # in the worker's order: requests first
        read_fd = os.open(answers, os.O_RDONLY)
        worker = ChildProcess.attach(read_fd, write_fd, pid)
        worker.write(b"ping\n")
        assert worker.read_until(END, 5)[0] == b"worker ping "
        assert psutil.Process(pid).ppid() == toplevel.pid and worker.rss_bytes() > 0
        worker.kill()  # the worker only: it is in the toplevel's group
        assert gone(pid) and not worker.alive()
        toplevel.write(b"still there?\n")
        assert toplevel.read_until(END, 5)[0] == b"toplevel still there? "
    finally:
        toplevel.kill()
