"""The one subprocess helper: a child in its own process group, sandboxed, read with pexpect.

Every backend talks to a long-lived interactive process. What they share is here: start it in a new
session (so a kill takes its children too), inside the bubblewrap sandbox (`lean_env.sandbox`: the
file system read-only except the child's scratch directories, no network), with its address space
and file sizes capped so a runaway tactic fails inside the child instead of taking the machine; read
its output up to a pattern with a deadline so the caller never hangs, and cap how much output may
arrive without a match (a flood). Memory and process trees come from psutil.

Reading is pexpect's `fdpexpect.fdspawn` over the pipe end we hold (poll, read, end of file), for
processes we started and for those we are handed (`ChildProcess.attach`) alike. Measured choices
(CPU per answer already waiting in the pipe, `benchmarks/perf/coq_overhead.py`; a Coq tactic
reads three answers: rewind, sentence, fence; a fenced round trip takes about 280 us):
- `popen_spawn.PopenSpawn` reads in a thread and hands chunks over through a queue: about 5 us
  more per answer than fdspawn. Not used.
- pexpect's `expect` (a new `Expecter` per call, copies between `BytesIO` buffers): about 12 us
  per answer, against 4 to 8 us for the loop below (one poll, one read, one regex search over a
  bytearray) and 3 to 5 us for a bare `select` + `os.read` loop. Its 25 us per tactic would alone
  exceed the 5% (14 us) the bridge may add to a round trip, so matching is ours.
- fdspawn's `read_nonblocking` costs 1 to 2 us more per read than a kept poll object with
  `os.read`: under 2% of a round trip; kept, so that reading has one implementation, pexpect's.
Writes are ours: fdspawn writes to the one descriptor it reads, where a pipe has two, and cannot
give up after a deadline.
"""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Sequence

import psutil
from pexpect import EOF, TIMEOUT
from pexpect.fdpexpect import fdspawn

from lean_env.base import EnvCrashed, EnvTimeout, ProtocolError, SetupError
from lean_env.sandbox import Limits, limits_preexec, sandboxed

_CHUNK = 1 << 16  # bytes per read
# A new chunk is searched together with the _WINDOW bytes before it (so a flood is searched in
# linear time, not whole again for every chunk): a match may be at most that long.
_WINDOW = 1 << 16
_TREE_AGE = 1.0  # seconds a child's process tree is reused by `rss_bytes`


@dataclass(frozen=True, slots=True)
class ProcessConfig:
    argv: tuple[str, ...]
    cwd: str | None = None
    env: tuple[tuple[str, str], ...] | None = None  # extra environment variables
    memory_limit_mb: int | None = 4096  # RLIMIT_AS of the child; None: no cap
    max_output_mb: float = 64  # more output than this without a match is garbage (a flood)
    stderr_path: str | None = None  # None: stderr merged into stdout
    writable: tuple[str, ...] = ()  # directories the sandboxed child may write (besides cwd)
    readable: tuple[str, ...] = ()  # directories bound read-only again inside the sandbox
    hidden: tuple[str, ...] = ()  # directories that look empty inside the sandbox
    sandbox: bool = True  # run under bubblewrap when it is available (lean_env.sandbox)
    network: bool = False  # keep the host's network inside the sandbox (a loopback server)
    writable_cwd: bool = True  # False: the child starts in cwd but may not write there


class ProcessEnded(EnvCrashed):
    """The child's output ended (it exited or closed it) before the pattern; `partial` is what
    it printed since the last match."""

    def __init__(self, message: str, partial: bytes) -> None:
        super().__init__(message)
        self.partial = partial


def popen(config: ProcessConfig, stdin: Any, stdout: Any, stderr: Any) -> subprocess.Popen[bytes]:
    """Start `config.argv` as every proof-assistant process is started: its own session (pgid ==
    pid), rlimits set before exec, inside the sandbox. SetupError when it cannot start."""
    env = None
    if config.env is not None:
        env = {**os.environ, **dict(config.env)}
    argv = list(config.argv)
    try:
        if config.sandbox:  # a missing program raises FileNotFoundError here, as Popen would
            argv = sandboxed(
                config.argv,
                writable=config.writable,
                cwd=config.cwd if config.writable_cwd else None,  # bwrap keeps the working directory
                network=config.network,
                readable=config.readable,
                hidden=config.hidden,
            )
        return subprocess.Popen(
            argv,
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            cwd=config.cwd,
            env=env,
            bufsize=0,
            start_new_session=True,
            preexec_fn=limits_preexec(Limits(memory_mb=config.memory_limit_mb)),
        )
    except (FileNotFoundError, PermissionError, NotADirectoryError) as exc:
        raise SetupError(f"cannot start {config.argv[0]!r}: {exc.strerror}") from exc


def _reap(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL to the process group, then wait for its leader (the finalizer of a spawned child)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # pgid == pid: start_new_session=True
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL does not fail like that
        pass


class ChildProcess:
    """A running child process read as a byte stream up to a pattern, with deadlines.

    Started by us (`ChildProcess(config)`), or a process someone else started whose pipes we were
    handed (`ChildProcess.attach`); both read and write the same way.
    """

    def __init__(self, config: ProcessConfig) -> None:
        self.config = config
        self._stderr_file: IO[bytes] | None = None
        stderr: Any = subprocess.STDOUT
        if config.stderr_path:
            self._stderr_file = open(config.stderr_path, "ab")
            stderr = self._stderr_file
        try:
            self.popen: subprocess.Popen[bytes] | None = popen(config, subprocess.PIPE, subprocess.PIPE, stderr)
        except SetupError:
            self._close_stderr()
            raise
        assert self.popen.stdin is not None and self.popen.stdout is not None
        self._pid = self.popen.pid
        self._setup(self.popen.stdout, self.popen.stdin)
        self._finalizer = weakref.finalize(self, _reap, self.popen)

    @classmethod
    def attach(cls, read_fd: int, write_fd: int, pid: int, max_output_mb: float = 64) -> ChildProcess:
        """A process we did not start (a child forked by a toplevel, talking over pipes or FIFOs):
        read `read_fd`, write `write_fd`; signals and memory go to `pid` and its descendants.

        The descriptors become ours (closed by `kill`). Not reaped by us: it is not our child.
        """
        self = cls.__new__(cls)
        self.config = ProcessConfig(argv=(f"<pid {pid}>",), max_output_mb=max_output_mb, sandbox=False)
        self._stderr_file = None
        self.popen = None
        self._pid = pid
        self._setup(os.fdopen(read_fd, "rb", buffering=0), os.fdopen(write_fd, "wb", buffering=0))
        return self

    def _setup(self, out: IO[bytes], into: IO[bytes]) -> None:
        self._out, self._in = out, into
        self._write_fd = into.fileno()
        os.set_blocking(self._write_fd, False)  # writes honour a deadline (`write(timeout=)`)
        self._stream = fdspawn(out.fileno(), maxread=_CHUNK, use_poll=True)  # poll: no FD_SETSIZE cap
        self._ready = select.poll()
        self._ready.register(out.fileno(), select.POLLIN | select.POLLHUP)
        self._writable = select.poll()
        self._writable.register(self._write_fd, select.POLLOUT)
        self._buf = bytearray()  # output read and not yet consumed by a match
        self._limit = int(self.config.max_output_mb * 2**20)
        self._tree: list[psutil.Process] = []
        self._tree_at = float("-inf")

    @property
    def pid(self) -> int:
        return self._pid

    def alive(self) -> bool:
        if self.popen is not None:
            return self.popen.poll() is None
        try:
            return bool(psutil.Process(self._pid).status() != psutil.STATUS_ZOMBIE)
        except psutil.Error:
            return False

    def exit_code(self) -> int | None:
        """The exit status once it has ended (None while running, or for an attached process)."""
        return self.popen.poll() if self.popen is not None else None

    def write(self, data: bytes, timeout: float | None = None) -> None:
        """Write all of `data`. EnvCrashed when the child closed its input; EnvTimeout when it has
        not taken it all within `timeout` seconds (None: wait as long as it takes)."""
        view = memoryview(data)
        deadline = None if timeout is None else time.monotonic() + timeout
        while view:
            try:
                view = view[os.write(self._write_fd, view) :]
                continue
            except BlockingIOError:
                pass
            except OSError as exc:  # BrokenPipeError, or our end already closed
                raise EnvCrashed(f"process {self.pid} closed its input: {exc}") from exc
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise EnvTimeout(f"process {self.pid} did not take its input within {timeout:.3g} s")
            self._writable.poll(None if remaining is None else remaining * 1000)

    def read_until(self, pattern: re.Pattern[bytes], timeout: float) -> tuple[bytes, re.Match[bytes]]:
        """Read until `pattern` matches the unread output; return (text before, match).

        Raises EnvTimeout when the deadline passes (the process is left running and what it
        printed stays unread: the caller decides between interrupting and killing), ProcessEnded
        (an EnvCrashed) on end of output, and ProtocolError when more than `max_output_mb` arrives
        without a match (that output is dropped).
        """
        buf = self._buf
        match = pattern.search(buf)
        if match is None:
            deadline = time.monotonic() + timeout
            while match is None:
                if len(buf) > self._limit:
                    self._buf = bytearray()
                    raise ProtocolError(f"more than {self.config.max_output_mb:g} MiB of output without an answer")
                remaining = deadline - time.monotonic()
                chunk = self._read_chunk(remaining) if remaining > 0 else None
                if chunk is None:
                    raise EnvTimeout(f"no answer within {timeout:.1f} s")
                searched = len(buf)
                if not chunk:
                    self._buf = bytearray()
                    raise self._ended(bytes(buf))
                buf += chunk
                match = pattern.search(buf, max(0, searched - _WINDOW))
        # The match keeps referring to `buf`: the rest goes to a new buffer, `buf` stays as it is.
        self._buf = buf[match.end() :]
        return bytes(buf[: match.start()]), match

    def _read_chunk(self, timeout: float) -> bytes | None:
        """One read: None when nothing came within `timeout`, b"" at end of output."""
        try:
            chunk: bytes = self._stream.read_nonblocking(_CHUNK, max(0.0, timeout))
            return chunk
        except TIMEOUT:
            return None
        except EOF:
            return b""

    def _ended(self, partial: bytes) -> ProcessEnded:
        if self.popen is not None:
            try:  # let it finish dying, so that the exit code is its own
                self.popen.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                pass
        return ProcessEnded(
            f"process {self.pid} ended (exit {self.exit_code()}); "
            f"last output: {partial[-300:].decode(errors='replace')!r}",
            partial,
        )

    def unread(self) -> bytes:
        """Output received and not yet consumed by a match."""
        return bytes(self._buf)

    def drop_unread(self) -> None:
        self._buf = bytearray()

    def pending(self) -> bool:
        """Whether output is waiting to be read (unread buffer, or bytes in the pipe).

        Raises ProcessEnded when the pipe is at end of file: the process is gone.
        """
        if self._buf:
            return True
        if not self._ready.poll(0):  # asked before every command: the idle answer costs one poll
            return False
        chunk = self._read_chunk(0)
        if chunk is None:
            return False
        if not chunk:
            raise self._ended(b"")
        self._buf += chunk
        return True

    def interrupt(self) -> None:
        """SIGINT to the program itself (the processes under the sandbox's wrapper): bubblewrap
        would die of it and take the program with it, where the program may survive it."""
        try:
            inner = [p for p in process_tree(self.pid)[1:] if p.name() != "bwrap"]
        except psutil.Error:  # one ended while we looked
            inner = []
        if not inner:
            self.signal_group(signal.SIGINT)
        for proc in inner:
            try:
                proc.send_signal(signal.SIGINT)
            except psutil.Error:
                pass

    def kill_descendants(self) -> None:
        """SIGKILL whatever the program started and left running (a prover it calls, a fork of
        itself), keeping the program and the sandbox's wrappers. A process that survives an
        interrupt of its own (Coq's `Timeout`) does not stop the external solver it was waiting
        for: each such call would leave one burning CPU."""
        program = process_tree(self._pid)[:1]
        try:
            while program and program[0].name() == "bwrap":  # the wrapper, then its init
                program = program[0].children()
            if len(program) != 1:
                return
            descendants = program[0].children(recursive=True)
        except psutil.Error:  # it ended while we looked
            return
        for proc in descendants:
            try:
                proc.kill()
            except psutil.Error:
                pass

    def signal_group(self, signum: int) -> None:
        """`signum` to the process group; for an attached process that does not lead its own
        group (it shares its parent's), to it and its descendants instead."""
        try:
            if self.popen is not None or os.getpgid(self._pid) == self._pid:
                os.killpg(self._pid, signum)
                return
        except (ProcessLookupError, PermissionError):
            return
        for proc in process_tree(self._pid):
            try:
                proc.send_signal(signum)
            except psutil.Error:
                pass

    def rss_bytes(self) -> int:
        """Resident size of the child and everything it started (the sandbox's inner process
        included); 0 when it is gone. Its descendants are looked up at most every `_TREE_AGE`
        seconds: psutil finds children by reading every process's status on the machine (a few
        milliseconds), where the sizes of known processes cost microseconds."""
        now = time.monotonic()
        if now - self._tree_at >= _TREE_AGE:
            self._tree, self._tree_at = process_tree(self._pid), now
        return resident_bytes(self._tree)

    def terminate(self) -> None:
        """Kill the process group and reap it, keeping our pipe ends open: a thread still reading
        them sees end of file, never a descriptor number reused since. Idempotent."""
        if self.popen is not None:
            self._finalizer()  # _reap, once
        elif self.alive():  # not ours to reap: wait until it is gone or a zombie
            self.signal_group(signal.SIGKILL)
            until = time.monotonic() + 5
            while self.alive() and time.monotonic() < until:
                time.sleep(0.005)

    def kill(self) -> None:
        """Kill the whole process group, reap it and close our ends of its pipes. Idempotent."""
        self.terminate()
        for stream in (self._in, self._out):
            try:
                stream.close()
            except OSError:
                pass
        self._close_stderr()

    def _close_stderr(self) -> None:
        if self._stderr_file:
            self._stderr_file.close()
            self._stderr_file = None


def process_tree(pid: int) -> list[psutil.Process]:
    """A process and all its descendants ([] when it is gone)."""
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def resident_bytes(procs: Sequence[psutil.Process]) -> int:
    """Resident size of these processes together (those gone count 0)."""
    total = 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.Error:
            pass
    return total


# What run_once keeps of each of a command's two output streams.
RUN_ONCE_OUTPUT_CAP = 64 << 20


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

    Started like `ChildProcess` (writable: `cwd` and `writable` only; `readable` directories
    are visible read-only). On timeout the whole group is killed, so nothing it started survives.
    """
    config = ProcessConfig(
        argv=tuple(argv),
        cwd=str(cwd) if cwd else None,
        memory_limit_mb=memory_limit_mb,
        writable=tuple(str(w) for w in writable),
        readable=tuple(str(r) for r in readable),
        sandbox=sandbox,
    )
    proc = popen(config, subprocess.DEVNULL, subprocess.PIPE, subprocess.PIPE)
    chunks: dict[str, list[bytes]] = {"out": [], "err": []}
    overflow = threading.Event()

    def drain(stream, key: str) -> None:
        """Read one pipe to its end, keeping at most RUN_ONCE_OUTPUT_CAP bytes; past that, kill
        the group (a proof can print far more than it costs: a shared term printed unshared)."""
        kept = 0
        while block := stream.read(1 << 16):
            if kept + len(block) > RUN_ONCE_OUTPUT_CAP:
                overflow.set()
                _kill_group(proc.pid)
                continue
            chunks[key].append(block)
            kept += len(block)

    readers = [threading.Thread(target=drain, args=(proc.stdout, "out"), daemon=True),
               threading.Thread(target=drain, args=(proc.stderr, "err"), daemon=True)]
    for reader in readers:
        reader.start()
    timed_out = False
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc.pid)
        proc.wait()
    for reader in readers:
        reader.join()
    out, err = (b"".join(chunks[k]).decode(errors="replace") for k in ("out", "err"))
    if overflow.is_set():
        return -9, out, err + f"\noutput beyond {RUN_ONCE_OUTPUT_CAP} bytes: the process was killed", timed_out
    return (-9 if timed_out else proc.returncode), out, err, timed_out


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
