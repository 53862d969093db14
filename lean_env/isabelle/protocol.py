"""The `isabelle server` wire format and the values its answers are read into.

Isabelle System Manual, chapter "The Isabelle server" (src/Doc/System/Server.thy): after connecting,
the client sends the password line; every message is `NAME ARGUMENT` where the argument is JSON, sent
either as one line or as a *long message*: a line holding the byte length n, then exactly n bytes
(the message and its final newline). Synchronous commands answer `OK`/`ERROR`; asynchronous ones
answer `OK {"task": id}`, then any number of `NOTE`s, then `FINISHED` or `FAILED` with that task id.
Message positions (`pos.line`, `pos.offset`) are what maps diagnostics back to holes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from lean_env.base import ProtocolError

KINDS = ("OK", "ERROR", "NOTE", "FINISHED", "FAILED")
_MESSAGE = re.compile(r"^([A-Z]+)(?: (.*))?$", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Reply:
    kind: str  # OK, ERROR, NOTE, FINISHED, FAILED
    body: Any  # the JSON argument, decoded (a plain string when it is not JSON)


def encode(name: str, argument: Any = None) -> bytes:
    """One client message. JSON never contains a raw newline, so the one-line form always works."""
    text = name if argument is None else f"{name} {json.dumps(argument)}"
    return text.encode() + b"\n"


def decode(message: bytes) -> Reply:
    """One server message (without the length line of a long message)."""
    text = message.decode("utf-8", errors="replace").rstrip("\n")
    m = _MESSAGE.match(text)
    if not m or m.group(1) not in KINDS:
        raise ProtocolError(f"unexpected message from isabelle server: {text[:200]!r}")
    arg = m.group(2)
    if arg is None:
        return Reply(m.group(1), None)
    try:
        return Reply(m.group(1), json.loads(arg))
    except json.JSONDecodeError:
        return Reply(m.group(1), arg)


@dataclass(frozen=True, slots=True)
class Message:
    """One prover message of a checked theory."""

    kind: str  # "writeln", "warning", "error", ...
    text: str
    line: int | None  # 1-based line in the theory file
    offset: int | None  # 1-based symbol offset of the start in the file
    end_offset: int | None
    file: str = ""

    @classmethod
    def parse(cls, payload: dict) -> Message:
        pos = payload.get("pos") or {}
        return cls(
            kind=str(payload.get("kind", "")),
            text=str(payload.get("message", "")),
            line=pos.get("line"),
            offset=pos.get("offset"),
            end_offset=pos.get("end_offset"),
            file=str(pos.get("file", "")),
        )


@dataclass(frozen=True, slots=True)
class Node:
    node_name: str
    theory_name: str
    ok: bool  # the node's status.ok: no failed command
    messages: tuple[Message, ...]
    # No command still unprocessed or running, and the theory consolidated (it reached its `end`):
    # `ok` alone holds for a theory the server gave up on half way (its watchdog), or one whose
    # proof text opened a block that swallowed the theory's own `end`.
    complete: bool = True


@dataclass(frozen=True, slots=True)
class TheoryResult:
    """The answer to `use_theories`: overall ok, errors, and every node's messages."""

    ok: bool
    errors: tuple[Message, ...]
    nodes: tuple[Node, ...]

    @classmethod
    def parse(cls, payload: dict) -> TheoryResult:
        nodes = tuple(
            Node(
                str(n.get("node_name", "")),
                str(n.get("theory_name", "")),
                bool((n.get("status") or {}).get("ok", False)),
                tuple(Message.parse(m) for m in n.get("messages", [])),
                all(int((n.get("status") or {}).get(key) or 0) == 0 for key in ("unprocessed", "running", "canceled"))
                and (n.get("status") or {}).get("consolidated", True) is not False,
            )
            for n in payload.get("nodes", [])
        )
        errors = tuple(Message.parse(m) for m in payload.get("errors", []))
        return cls(bool(payload.get("ok", False)), errors, nodes)

    @property
    def complete(self) -> bool:
        """Every command of every node was checked (none unprocessed, running or cancelled) and
        every node consolidated."""
        return all(n.complete for n in self.nodes)

    def messages(self) -> tuple[Message, ...]:
        return tuple(m for n in self.nodes for m in n.messages)

    def error_messages(self) -> tuple[Message, ...]:
        seen = {(m.text, m.line) for m in self.errors}
        extra = tuple(m for m in self.messages() if m.kind == "error" and (m.text, m.line) not in seen)
        return self.errors + extra


@dataclass(frozen=True, slots=True)
class Session:
    session_id: str
    tmp_dir: str  # a server-side scratch folder theories may be written to


_TRY_THIS = "Try this:"
_TIMING = re.compile(r"\(\s*[\d.]+\s*(?:ms|s)\s*\)\s*$")  # only one "(" can start a match that reaches the end


def try_this(text: str) -> str | None:
    """The proof method of a Sledgehammer/try0 "Try this: by simp (0.3 ms)" message, timing removed.

    Everything after the first "Try this:", found by `str.find`: a regular expression searched
    from every "Try this:" of a message that repeats it (a hole's line is the model's) took time
    quadratic in the message."""
    start = text.find(_TRY_THIS)
    if start < 0:
        return None
    rest = text[start + len(_TRY_THIS):]
    timing = _TIMING.search(rest)
    method = " ".join((rest[: timing.start()] if timing else rest).split())
    return method or None
