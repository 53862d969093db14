"""One REPL child process: blank-line framing with a deadline on every read and write.

The REPL has no timeout of its own (repl #94) and nothing bounds its output, so the bridge
enforces both: a wall-clock deadline kills the whole process group (the sandbox and the REPL),
and a response larger than the cap is treated as garbage. stderr goes to a file because an
unread pipe deadlocks the child once 64 KiB of panics pile up. Starting, sandboxing, reading and
killing are the shared process helper's (`lean_env.process.ChildProcess`); this module adds the
framing (one JSON response per request, ended by a blank line) and its failure modes.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from lean_env.base import EnvCrashed, EnvTimeout, ProtocolError, SetupError
from lean_env.process import ChildProcess, ProcessConfig, ProcessEnded

_END = re.compile(rb"\n\n")  # a response ends with a blank line


def scratch_parent() -> Path:
    """The directory that holds every REPL's scratch directory (made on first use, ours only).

    Its name is predictable, so one found there must be a real directory of ours that nobody
    else may write (another user could otherwise swap scratch directories under us)."""
    parent = Path(tempfile.gettempdir()) / f"prover-lean-scratch-{os.getuid()}"
    parent.mkdir(mode=0o700, exist_ok=True)
    found = os.lstat(parent)
    if not stat.S_ISDIR(found.st_mode) or found.st_uid != os.getuid() or found.st_mode & 0o077:
        raise SetupError(f"{parent} is not a private directory of this user: remove it and run again")
    return parent


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
        os.close(fd)
        self.stderr_path = Path(name)
        self._keep_stderr = log_dir is not None
        # The only place the sandboxed REPL may write (its TMPDIR); removed on close. Every REPL's
        # lies in one parent that each sees empty but for its own: no REPL reads what another
        # wrote (a proof that ran code in one could leave files there for the next).
        self._scratch = tempfile.mkdtemp(prefix="lean-repl-scratch-", dir=scratch_parent())
        try:
            self._child = ChildProcess(
                ProcessConfig(
                    argv=tuple(command),
                    cwd=str(cwd) if cwd is not None else None,
                    env=tuple(env.items()) if env is not None else None,
                    memory_limit_mb=memory_limit >> 20 if memory_limit else None,
                    max_output_mb=max_response_bytes / 2**20,
                    stderr_path=name,
                    # It may read the project (where it starts), write only its scratch directory.
                    writable=(self._scratch,),
                    hidden=(str(scratch_parent()),),
                    writable_cwd=False,
                )
            )
        except SetupError as e:
            self.stderr_path.unlink(missing_ok=True)
            shutil.rmtree(self._scratch, ignore_errors=True)
            reason = getattr(e.__cause__, "strerror", None) or str(e)
            raise SetupError(f"cannot start the Lean REPL {command[0]!r}: {reason}; run `prover setup lean`") from None

    @property
    def pid(self) -> int:
        return self._child.pid

    @property
    def scratch(self) -> Path:
        """The one directory this process may write (other processes may read it)."""
        return Path(self._scratch)

    def alive(self) -> bool:
        return self._child.alive()

    def rss_bytes(self) -> int:
        """Resident size of the REPL and everything it started (0 when it is gone)."""
        return self._child.rss_bytes()

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
            stray = self._child.unread()
            if stray:
                self.kill()
                raise ProtocolError(f"REPL printed unrequested output: {stray[:80]!r}")
            try:
                self._child.write(line, timeout)
            except EnvTimeout:
                self.kill()
                raise EnvTimeout(f"REPL did not accept input within {timeout:.3g}s") from None
            except EnvCrashed:
                self.kill()
                raise EnvCrashed(self._death("closed its input")) from None
            return self._read_response(deadline, timeout)
        finally:
            self._busy.release()

    def _read_response(self, deadline: float, timeout: float) -> str:
        while True:
            try:
                text, _ = self._child.read_until(_END, deadline - time.monotonic())
            except EnvTimeout:
                self.kill()
                raise EnvTimeout(f"REPL did not answer within {timeout:.3g}s; process group killed") from None
            except ProcessEnded as e:
                self.kill()
                what = f"mid-response ({len(e.partial)} bytes)" if e.partial else "before answering"
                raise EnvCrashed(self._death(f"exited {what}")) from None
            except ProtocolError:
                self.kill()
                raise ProtocolError(f"REPL response exceeded {self.max_response_bytes} bytes") from None
            rest = self._child.unread()
            if rest.strip():
                self.kill()
                raise ProtocolError(f"REPL printed more than one response: {rest[:80]!r}")
            self._child.drop_unread()
            if text.strip():  # a stray blank line is not an answer
                return text.decode("utf-8", errors="replace")

    def _death(self, what: str) -> str:
        code = self._child.exit_code()
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
        self._child.terminate()

    def kill(self) -> None:
        """Kill the process group (idempotent); the REPL keeps nothing worth a clean exit."""
        self._child.kill()

    def close(self) -> None:
        self.kill()
        shutil.rmtree(self._scratch, ignore_errors=True)
        if not self._keep_stderr:
            self.stderr_path.unlink(missing_ok=True)
