"""A synchronous client of `isabelle server`, and the server process it may start.

Own client of the documented protocol (lean_env/isabelle/protocol.py) rather than PyPI
isabelle-client: that one is asyncio-based, and this project keeps clients synchronous with a deadline
on every read (parallelism comes from Ray, not from an event loop). Every wait is bounded: a task past its deadline is cancelled (`cancel`)
and reported as EnvTimeout; a dropped connection is EnvCrashed; garbage is ProtocolError.
"""

from __future__ import annotations

import re
import shutil
import socket
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from lean_env.base import EnvCrashed, EnvError, EnvTimeout, ProtocolError, SetupError
from lean_env.isabelle.protocol import Reply, Session, TheoryResult, decode, encode

INSTALL_HINT = (
    "isabelle not found: install Isabelle (https://isabelle.in.tum.de, e.g. Isabelle2024) and put "
    "its bin/isabelle on PATH, or name it with `prover --isabelle PATH` (or $PROVER_ISABELLE)"
)
EXECUTABLE_VARIABLE = "PROVER_ISABELLE"  # the isabelle executable when not given in IsabelleConfig
_SERVER_LINE = re.compile(rb'server "([^"]*)" = ([\d.]+):(\d+) \(password "([^"]+)"\)')
# A message longer than this is dropped as it arrives (ProtocolError): proof text can make the
# prover print without bound (every failing step prints its goal), and all of it would be held here.
MAX_MESSAGE_BYTES = 64 * 2**20


class IsabelleError(EnvError):
    """The server answered ERROR or FAILED: the request itself was refused."""


class IsabelleClient:
    """One TCP connection to a running server."""

    def __init__(
        self, host: str, port: int, password: str, timeout: float = 30.0, max_message_bytes: int = MAX_MESSAGE_BYTES
    ) -> None:
        self.max_message_bytes = max_message_bytes
        try:
            self._sock = socket.create_connection((host, port), timeout=timeout)
        except OSError as exc:
            raise EnvCrashed(f"cannot connect to isabelle server at {host}:{port}: {exc}") from None
        self._buffer = bytearray()
        # Replies still owed to earlier commands: `cancel`'s bare OK, never waited for, and the
        # reply of a command that timed out. Each is read and dropped before the next command's
        # own reply, or every later answer would be read one behind (a check given another's result).
        self._owed = 0
        self._sock.sendall(password.encode() + b"\n")
        reply = self._read(time.monotonic() + timeout)
        if reply.kind != "OK":
            self.close()
            raise EnvCrashed(f"isabelle server refused the connection: {reply.body}")
        self.server_info = reply.body  # {"isabelle_id": ..., "isabelle_name": ...}

    # -- framing ------------------------------------------------------------------------------

    def _fill(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise EnvTimeout("isabelle server did not answer in time")
        self._sock.settimeout(remaining)
        try:
            chunk = self._sock.recv(65536)
        except TimeoutError:
            raise EnvTimeout("isabelle server did not answer in time") from None
        except OSError as exc:
            raise EnvCrashed(f"isabelle server connection failed: {exc}") from None
        if not chunk:
            raise EnvCrashed("isabelle server closed the connection")
        self._buffer += chunk  # a bytearray: appending is not a copy of all read so far

    def _read(self, deadline: float) -> Reply:
        """The next message. Reading is linear in its length (each byte looked at once), and a
        message longer than `max_message_bytes` is dropped as it arrives (ProtocolError)."""
        buffer, searched = self._buffer, 0
        while (newline := buffer.find(b"\n", searched)) < 0:
            if len(buffer) > self.max_message_bytes:
                self.close()  # no length line: where the next message starts is unknown
                raise ProtocolError(f"a line of more than {self.max_message_bytes} bytes from isabelle server")
            searched = len(buffer)
            self._fill(deadline)
        line = bytes(buffer[:newline])
        if not line.strip().isdigit():
            del buffer[: newline + 1]
            return decode(line)
        n = int(line)  # a long message: its byte length, then the bytes
        if n > self.max_message_bytes:
            del buffer[: newline + 1]
            self._drop(n, deadline)
            raise ProtocolError(f"a message of {n} bytes from isabelle server (more than {self.max_message_bytes}): dropped")
        end = newline + 1 + n
        while len(buffer) < end:
            self._fill(deadline)
        message = bytes(buffer[newline + 1 : end])
        del buffer[:end]
        return decode(message)

    def _drop(self, n: int, deadline: float) -> None:
        """Read the next `n` bytes without keeping them. A message cut off by the deadline leaves
        the framing unknown (and the reply it may have been neither read nor owed): the
        connection is closed."""
        try:
            while n:
                if not self._buffer:
                    self._fill(deadline)
                k = min(n, len(self._buffer))
                del self._buffer[:k]
                n -= k
        except EnvTimeout:
            self.close()
            raise ProtocolError("isabelle server: a message too long to keep did not end in time") from None

    def _send(self, name: str, argument: Any = None) -> None:
        try:
            self._sock.sendall(encode(name, argument))
        except OSError as exc:
            raise EnvCrashed(f"isabelle server connection failed: {exc}") from None

    # -- commands -----------------------------------------------------------------------------

    def _reply(self, deadline: float) -> Reply:
        """The next OK or ERROR that answers the command sent last. Replies owed to earlier
        commands are dropped, and so are the messages of tasks (NOTE, FINISHED, FAILED: a task
        cancelled before it finished still ends with one), which the server interleaves."""
        while True:
            try:
                reply = self._read(deadline)
            except EnvTimeout:
                self._owed += 1  # the reply comes later: it is not the next command's
                raise
            if reply.kind not in ("OK", "ERROR"):
                continue
            if self._owed:
                self._owed -= 1
                continue
            return reply

    def command(self, name: str, argument: Any = None, timeout: float = 30.0) -> Any:
        """A synchronous command: the OK body, or IsabelleError on ERROR."""
        self._send(name, argument)
        reply = self._reply(time.monotonic() + timeout)
        if reply.kind == "ERROR":
            raise IsabelleError(f"{name}: {_text(reply.body)}")
        return reply.body

    def task(
        self, name: str, argument: Any, timeout: float, on_note: Callable[[Any], None] | None = None
    ) -> Any:
        """An asynchronous command: the FINISHED body. FAILED raises IsabelleError; past `timeout`
        the task is cancelled and EnvTimeout raised."""
        started = self.command(name, argument, timeout=min(timeout, 30.0))
        task_id = started.get("task") if isinstance(started, dict) else None
        if not task_id:
            raise ProtocolError(f"{name}: no task id in {started!r}")
        deadline = time.monotonic() + timeout
        while True:
            try:
                reply = self._read(deadline)
            except EnvTimeout:
                self._cancel(task_id)
                raise EnvTimeout(f"{name} did not finish within {timeout:.0f} s (cancelled)") from None
            body = reply.body if isinstance(reply.body, dict) else {}
            if reply.kind in ("OK", "ERROR"):
                if not self._owed:
                    raise ProtocolError(f"{name}: a reply {reply.kind} that no command is owed")
                self._owed -= 1  # an earlier command's late reply
            elif body.get("task") != task_id:
                continue  # another task's message (the server tags every task's messages)
            elif reply.kind == "NOTE":
                if on_note is not None:
                    on_note(reply.body)
            elif reply.kind == "FINISHED":
                return reply.body
            elif reply.kind == "FAILED":
                raise IsabelleError(f"{name} failed: {_text(reply.body)}")

    def _cancel(self, task_id: str) -> None:
        try:
            self._send("cancel", {"task": task_id})
        except EnvError:
            return
        self._owed += 1  # its bare OK, read (and dropped) before the next command's reply

    def session_start(self, session: str = "HOL", dirs: Sequence[str] = (), timeout: float = 600.0) -> Session:
        argument: dict[str, Any] = {"session": session}
        if dirs:
            argument["dirs"] = list(dirs)
        body = self.task("session_start", argument, timeout)
        if not isinstance(body, dict) or "session_id" not in body:
            raise ProtocolError(f"session_start: no session id in {str(body)[:200]!r}")
        return Session(str(body["session_id"]), str(body.get("tmp_dir", "")))

    def use_theories(
        self, session_id: str, theories: Sequence[str], master_dir: str, timeout: float = 300.0
    ) -> TheoryResult:
        argument = {
            "session_id": session_id,
            "theories": list(theories),
            "master_dir": master_dir,
            # The server gives up on a theory that stops progressing and answers with what it has:
            # later than the client's own deadline, so that a slow check is a timeout here.
            "watchdog_timeout": timeout + 30,
        }
        return TheoryResult.parse(self.task("use_theories", argument, timeout))

    def purge_theories(self, session_id: str, theories: Sequence[str], master_dir: str) -> Any:
        return self.command(
            "purge_theories", {"session_id": session_id, "theories": list(theories), "master_dir": master_dir}
        )

    def session_stop(self, session_id: str, timeout: float = 60.0) -> Any:
        return self.task("session_stop", {"session_id": session_id}, timeout)

    def shutdown(self) -> None:
        try:
            self.command("shutdown", timeout=10.0)
        except EnvError:
            pass

    def close(self) -> None:
        try:
            self._sock.close()
        except OSError:
            pass


def _text(body: Any) -> str:
    if isinstance(body, dict):
        return str(body.get("message", body))
    return str(body)


class IsabelleServer:
    """An `isabelle server` process started by us (and only ever stopped by us)."""

    def __init__(self, isabelle: str = "isabelle", start_timeout: float = 120.0) -> None:
        if shutil.which(isabelle) is None:
            raise SetupError(INSTALL_HINT)
        from lean_env.process import ChildProcess, ProcessConfig

        self.name = f"prover-{uuid.uuid4().hex[:8]}"
        # Sandboxed with the network kept (its client connects over loopback); it may write only
        # its own user directory (~/.isabelle: heaps, the server database).
        user_dir = Path.home() / ".isabelle"
        user_dir.mkdir(exist_ok=True)
        self._child = ChildProcess(
            ProcessConfig(
                argv=(isabelle, "server", "-n", self.name),
                memory_limit_mb=None,
                writable=(str(user_dir),),
                network=True,
            )
        )
        try:
            _, m = self._child.read_until(_SERVER_LINE, start_timeout)
        except EnvError:
            self._child.kill()
            raise
        self.host, self.port, self.password = m.group(2).decode(), int(m.group(3)), m.group(4).decode()

    def connect(self, timeout: float = 30.0) -> IsabelleClient:
        return IsabelleClient(self.host, self.port, self.password, timeout)

    def close(self) -> None:
        self._child.kill()
