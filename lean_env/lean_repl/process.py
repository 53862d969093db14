"""One REPL child process: blank-line framing with a deadline on every read and write.

The REPL has no timeout of its own (repl #94) and nothing bounds its output, so the bridge
enforces both: a wall-clock deadline kills the whole process group (the sandbox and the REPL),
and a response larger than the cap is treated as garbage. stderr goes to a file because an
unread pipe deadlocks the child once 64 KiB of panics pile up.
"""

from __future__ import annotations

import logging
import os
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import weakref
from collections.abc import Sequence
from pathlib import Path

from lean_env.base import EnvCrashed, EnvTimeout, ProtocolError, SetupError
from lean_env.sandbox import Limits, limits_preexec, sandboxed

log = logging.getLogger(__name__)

_CHUNK = 1 << 16


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # pgid == pid: start_new_session=True
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL does not fail like that
        log.warning("REPL process %d did not die after SIGKILL", proc.pid)


class ReplProcess:
    """A started REPL. Not thread-safe by design: one request in flight at a time."""

    def __init__(
        self,
        command: Sequence[str],
        cwd: Path | None = None,
        memory_limit: int | None = None,
        max_response_bytes: int = 64 << 20,
        log_dir: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.max_response_bytes = max_response_bytes
        self._busy = threading.Lock()
        fd, name = tempfile.mkstemp(prefix="lean-repl-", suffix=".stderr", dir=log_dir)
        self.stderr_path = Path(name)
        self._keep_stderr = log_dir is not None
        # The only place the sandboxed REPL may write (its TMPDIR); removed on close.
        self._scratch = tempfile.mkdtemp(prefix="lean-repl-scratch-")
        try:
            argv = sandboxed(command, writable=[self._scratch])
            self._proc = subprocess.Popen(
                # Sandboxed (lean_env.sandbox): it may read the project, write nothing, no network.
                # bubblewrap keeps the working directory, so the project is where it starts.
                argv,
                cwd=cwd,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=fd,
                start_new_session=True,
                # RLIMIT_AS and a file-size cap, as for every proof-assistant process.
                preexec_fn=limits_preexec(Limits(memory_mb=memory_limit >> 20 if memory_limit else None)),
                env=env,
                bufsize=0,
            )
        except (FileNotFoundError, PermissionError, NotADirectoryError) as e:
            self.stderr_path.unlink(missing_ok=True)
            shutil.rmtree(self._scratch, ignore_errors=True)
            raise SetupError(
                f"cannot start the Lean REPL {command[0]!r}: {e.strerror}; run `prover setup lean`"
            ) from None
        finally:
            os.close(fd)
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._in = self._proc.stdin.fileno()
        self._out = self._proc.stdout.fileno()
        os.set_blocking(self._in, False)
        os.set_blocking(self._out, False)
        self._buffer = bytearray()
        self._finalizer = weakref.finalize(self, _kill_group, self._proc)

    @property
    def pid(self) -> int:
        return self._proc.pid

    def alive(self) -> bool:
        return self._proc.poll() is None

    def request(self, line: bytes, timeout: float) -> str:
        """Send one framed request and return the response text (without its blank line).

        Raises:
            EnvTimeout: no complete answer within `timeout` seconds; the group was killed.
            EnvCrashed: the process exited (or was dead) before answering in full.
            ProtocolError: the answer broke the framing (too large, stray bytes); killed.
        """
        if not self._busy.acquire(blocking=False):
            raise RuntimeError("one request at a time per REPL process")
        try:
            if not self.alive():
                raise EnvCrashed(self._death("was already dead"))
            deadline = time.monotonic() + timeout
            if self._buffer:
                self.kill()
                raise ProtocolError(f"REPL printed unrequested output: {bytes(self._buffer[:80])!r}")
            self._write(line, deadline, timeout)
            return self._read_response(deadline, timeout)
        finally:
            self._busy.release()

    def _write(self, data: bytes, deadline: float, timeout: float) -> None:
        view = memoryview(data)
        while view:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise EnvTimeout(f"REPL did not accept input within {timeout:.3g}s")
            _, writable, _ = select.select([], [self._in], [], remaining)
            if not writable:
                continue
            try:
                sent = os.write(self._in, view)
            except BlockingIOError:
                continue
            except (BrokenPipeError, OSError):
                self.kill()
                raise EnvCrashed(self._death("closed its input")) from None
            view = view[sent:]

    def _read_response(self, deadline: float, timeout: float) -> str:
        buf = self._buffer
        scan_from = 0
        while True:
            end = buf.find(b"\n\n", scan_from)
            if end >= 0:
                text = bytes(buf[:end])
                rest = bytes(buf[end + 2 :])
                buf.clear()
                if rest.strip():
                    self.kill()
                    raise ProtocolError(f"REPL printed more than one response: {rest[:80]!r}")
                if not text.strip():  # a stray blank line is not an answer
                    scan_from = 0
                    continue
                return text.decode("utf-8", errors="replace")
            scan_from = max(0, len(buf) - 1)
            if len(buf) > self.max_response_bytes:
                self.kill()
                buf.clear()
                raise ProtocolError(f"REPL response exceeded {self.max_response_bytes} bytes")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                buf.clear()
                raise EnvTimeout(f"REPL did not answer within {timeout:.3g}s; process group killed")
            readable, _, _ = select.select([self._out], [], [], remaining)
            if not readable:
                continue
            try:
                chunk = os.read(self._out, _CHUNK)
            except BlockingIOError:
                continue
            if not chunk:
                partial = len(buf)
                buf.clear()
                try:  # let it finish dying so that the exit code is its own, not our SIGKILL
                    self._proc.wait(timeout=0.5)
                except subprocess.TimeoutExpired:
                    pass
                self.kill()
                what = f"mid-response ({partial} bytes)" if partial else "before answering"
                raise EnvCrashed(self._death(f"exited {what}"))
            buf += chunk

    def _death(self, what: str) -> str:
        code = self._proc.poll()
        tail = self.stderr_tail().strip().replace("\n", " | ")
        return f"REPL {what} (exit code {code}){'; stderr: ' + tail if tail else ''}"

    def stderr_tail(self, limit: int = 1000) -> str:
        try:
            with open(self.stderr_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - limit))
                return f.read().decode("utf-8", errors="replace")
        except OSError:
            return ""

    def terminate(self) -> None:
        """Kill the process group but keep our pipe ends open, so that a thread still reading
        them sees EOF, never a descriptor number reused by another process."""
        self._finalizer()

    def kill(self) -> None:
        """Kill the process group (idempotent); the REPL keeps nothing worth a clean exit."""
        self._finalizer()
        for stream in (self._proc.stdin, self._proc.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass

    def close(self) -> None:
        self.kill()
        shutil.rmtree(self._scratch, ignore_errors=True)
        if not self._keep_stderr:
            self.stderr_path.unlink(missing_ok=True)
