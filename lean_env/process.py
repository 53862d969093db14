"""The one subprocess helper: a child in its own process group, sandboxed, with deadline reads.

Every backend talks to a long-lived interactive process. What they share is here: start it in a new
session (so a kill takes its children too), inside the bubblewrap sandbox (`lean_env.sandbox`: the
file system read-only except the child's scratch directories, no network), with its address space
and file sizes capped so a runaway tactic fails inside the child instead of taking the machine; read
its output with a deadline so the caller never hangs, and cap how much output one answer may produce.
"""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import psutil

from lean_env.base import EnvCrashed, EnvTimeout, ProtocolError, SetupError
from lean_env.sandbox import Limits, limits_preexec, sandboxed


@dataclass(frozen=True, slots=True)
class ProcessConfig:
    argv: tuple[str, ...]
    cwd: str | None = None
    env: tuple[tuple[str, str], ...] | None = None  # extra environment variables
    memory_limit_mb: int | None = 4096  # RLIMIT_AS of the child; None: no cap
    max_output_mb: int = 64  # one answer longer than this is garbage (a flood)
    stderr_path: str | None = None  # None: stderr merged into stdout
    writable: tuple[str, ...] = ()  # directories the sandboxed child may write (besides cwd)
    sandbox: bool = True  # run under bubblewrap when it is available (lean_env.sandbox)
    network: bool = False  # keep the host's network inside the sandbox (a loopback server)


def _start_argv(config: ProcessConfig) -> list[str]:
    if not config.sandbox:
        return list(config.argv)
    return sandboxed(config.argv, writable=config.writable, cwd=config.cwd, network=config.network)


class ChildProcess:
    """A running child process read as a byte stream up to a delimiter, with deadlines."""

    def __init__(self, config: ProcessConfig) -> None:
        self.config = config
        env = dict(os.environ)
        env.update(dict(config.env or ()))
        stderr = subprocess.STDOUT
        self._stderr_file = None
        if config.stderr_path:
            self._stderr_file = open(config.stderr_path, "ab")
            stderr = self._stderr_file
        try:
            argv = _start_argv(config)
            self.popen = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                cwd=config.cwd,
                env=env,
                bufsize=0,
                start_new_session=True,
                preexec_fn=limits_preexec(Limits(memory_mb=config.memory_limit_mb)),
            )
        except FileNotFoundError as exc:
            raise SetupError(f"cannot start {config.argv[0]!r}: not found on PATH") from exc
        self._buffer = b""
        self._fd = self.popen.stdout.fileno()

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def write(self, data: bytes) -> None:
        try:
            self.popen.stdin.write(data)
            self.popen.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise EnvCrashed(f"process {self.pid} closed its input: {exc}") from exc

    def read_until(self, pattern: re.Pattern[bytes], timeout: float) -> tuple[bytes, re.Match[bytes]]:
        """Read until `pattern` matches the buffered output; return (text before, match).

        Raises EnvTimeout when the deadline passes (the process is left running: the caller
        decides between interrupting and killing), EnvCrashed on end of output, and ProtocolError
        when more than `max_output_mb` arrives without a match.
        """
        deadline = time.monotonic() + timeout
        limit = self.config.max_output_mb * 2**20
        while True:
            match = pattern.search(self._buffer)
            if match:
                before = self._buffer[: match.start()]
                self._buffer = self._buffer[match.end() :]
                return before, match
            if len(self._buffer) > limit:
                self._buffer = b""
                raise ProtocolError(f"more than {self.config.max_output_mb} MiB of output without an answer")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise EnvTimeout(f"no answer within {timeout:.1f} s")
            ready, _, _ = select.select([self._fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(self._fd, 1 << 16)
            if not chunk:
                self.popen.poll()
                raise EnvCrashed(
                    f"process {self.pid} ended (exit {self.popen.returncode}); "
                    f"last output: {self._buffer[-300:].decode(errors='replace')!r}"
                )
            self._buffer += chunk

    def pending(self) -> bool:
        """Whether output is waiting to be read (unread buffer, or bytes in the pipe).

        Raises EnvCrashed when the pipe is at end of file: the process is gone.
        """
        if self._buffer:
            return True
        ready, _, _ = select.select([self._fd], [], [], 0)
        if not ready:
            return False
        chunk = os.read(self._fd, 1 << 16)
        if not chunk:
            self.popen.poll()
            raise EnvCrashed(f"process {self.pid} ended (exit {self.popen.returncode})")
        self._buffer += chunk
        return True

    def interrupt(self) -> None:
        """SIGINT to the program itself (the processes under the sandbox's wrapper): bubblewrap
        would die of it and take the program with it, where the program may survive it."""
        try:
            inner = [p for p in psutil.Process(self.pid).children(recursive=True) if p.name() != "bwrap"]
        except psutil.Error:
            inner = []
        if not inner:
            self.signal_group(signal.SIGINT)
        for proc in inner:
            try:
                proc.send_signal(signal.SIGINT)
            except psutil.Error:
                pass

    def signal_group(self, signum: int) -> None:
        try:
            os.killpg(self.popen.pid, signum)
        except (ProcessLookupError, PermissionError):
            pass

    def rss_bytes(self) -> int:
        """Resident size of the child and everything it started (the sandbox's inner process
        included); 0 when it is gone."""
        return tree_rss_bytes(self.pid)

    def kill(self) -> None:
        """Kill the whole process group and reap it. Idempotent."""
        self.signal_group(signal.SIGKILL)
        try:
            self.popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for stream in (self.popen.stdin, self.popen.stdout):
            try:
                stream.close()
            except OSError:
                pass
        if self._stderr_file:
            self._stderr_file.close()
            self._stderr_file = None


def tree_rss_bytes(pid: int) -> int:
    """Resident size of a process and all its descendants (0 when it is gone)."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.Error:
            pass
    return total


def run_once(
    argv: Sequence[str],
    timeout: float,
    cwd: str | Path | None = None,
    memory_limit_mb: int | None = None,
    writable: Sequence[str] = (),
    sandbox: bool = True,
    readable: Sequence[str] = (),
) -> tuple[int, str, str, bool]:
    """Run a command to completion in its own process group: (exit code, stdout, stderr, timed out).

    Sandboxed like `ChildProcess` (writable: `cwd` and `writable` only; `readable` directories
    are visible read-only). On timeout the whole group is killed, so nothing it started survives.
    """
    try:
        command = list(argv)
        if sandbox:  # a missing program raises FileNotFoundError here, as Popen would
            command = sandboxed(
                argv,
                writable=[str(w) for w in writable],
                cwd=str(cwd) if cwd else None,
                readable=[str(r) for r in readable],
            )
        proc = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            cwd=cwd,
            start_new_session=True,
            preexec_fn=limits_preexec(Limits(memory_mb=memory_limit_mb)),
        )
    except FileNotFoundError as exc:
        raise SetupError(f"cannot start {argv[0]!r}: not found on PATH") from exc
    try:
        out, err = proc.communicate(timeout=timeout)
        return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace"), False
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = proc.communicate()
        return -9, out.decode(errors="replace"), err.decode(errors="replace"), True
