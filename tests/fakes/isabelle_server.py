"""A fake `isabelle server` on 127.0.0.1 for tests: replays recorded-style exchanges.

Two ways to answer a command. `recorded[name]`: a list of raw server transcripts (bytes exactly as
the server writes them, length lines included, in the format of isabelle-client's recorded
responses), each sent verbatim for one call, in order. `handler(name, argument)`: returns messages
`(KIND, body)` that the fake frames itself, long messages as "<bytes>\\n<message>\\n" (the documented
format); `ScriptedIsabelle` below is such a handler, a tiny rule-based stand-in for a prover that
reads the theory files `use_theories` names. Bounded: daemon threads, socket timeouts, close().
"""

from __future__ import annotations

import json
import re
import socket
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

EXCHANGES = Path(__file__).with_name("isabelle_exchanges")

Handler = Callable[[str, Any], list[tuple[str, Any]]]


def frame(kind: str, body: Any, long_from: int = 80) -> bytes:
    text = kind if body is None else f"{kind} {json.dumps(body)}"
    data = text.encode() + b"\n"
    return f"{len(data)}\n".encode() + data if len(data) > long_from else data


class FakeIsabelleServer:
    def __init__(
        self,
        handler: Handler | None = None,
        recorded: dict[str, list[bytes]] | None = None,
        password: str = "test-password",
    ) -> None:
        self.handler = handler
        self.recorded = {k: list(v) for k, v in (recorded or {}).items()}
        self.password = password
        self.calls: list[tuple[str, Any]] = []  # every command received, in order
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(4)
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def address(self) -> tuple[str, int, str]:
        return ("127.0.0.1", self.port, self.password)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._connection, args=(conn,), daemon=True).start()

    def _connection(self, conn: socket.socket) -> None:
        conn.settimeout(10.0)
        reader = conn.makefile("rb")
        try:
            if reader.readline().decode().strip() != self.password:
                conn.sendall(frame("ERROR", "Bad password"))
                return
            conn.sendall(frame("OK", {"isabelle_id": "fake", "isabelle_name": "Isabelle2024"}))
            while not self._stop.is_set():
                line = reader.readline()
                if not line:
                    return
                if line.strip().isdigit():
                    line = reader.read(int(line))
                m = re.match(r"(\w+)(?: (.*))?$", line.decode().strip(), re.DOTALL)
                if not m:
                    conn.sendall(frame("ERROR", "Bad command"))
                    continue
                name, arg = m.group(1), json.loads(m.group(2)) if m.group(2) else None
                self.calls.append((name, arg))
                if name == "cancel":
                    # As the real server (Server.scala): every command is answered, `cancel` with a
                    # bare OK at once; the cancelled task then ends on its own, with FAILED.
                    conn.sendall(frame("OK", None))
                    cancelled = getattr(self.handler, "cancelled", None)
                    for kind, body in (cancelled(arg["task"]) if cancelled else []):
                        conn.sendall(frame(kind, body))
                    continue
                if self.recorded.get(name):
                    conn.sendall(self.recorded[name].pop(0))
                elif self.handler is not None:
                    for kind, body in self.handler(name, arg):
                        conn.sendall(frame(kind, body))
                else:
                    conn.sendall(frame("ERROR", f"Unknown command {name!r}"))
                if name == "shutdown":
                    return
        except (OSError, ValueError):
            return
        finally:
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._sock.close()
        self._thread.join(timeout=2)

    def __enter__(self) -> FakeIsabelleServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def recorded(name: str) -> bytes:
    """A transcript file of tests/fakes/isabelle_exchanges."""
    return (EXCHANGES / name).read_bytes()


class ScriptedIsabelle:
    """A stand-in prover answering like Isabelle: sessions, and `use_theories` judged by rules.

    `solves[method]` is the set of claims (the quoted text of the `have`/`show` the method's line
    belongs to) that `by <method>` proves; `hammer[claim]` is the "Try this" answer Sledgehammer
    gives. `sorry` is accepted everywhere (Isabelle's server accepts it, quick_and_dirty aside),
    but, as in Isabelle, it leaves an oracle in the theorem: the verifier's oracle check
    (`Thm_Deps.all_oracles`) then fails on its line. A line holding `bogus` is a failing step.
    Anything else in the theory is accepted.
    """

    def __init__(self, solves: dict[str, set[str]], hammer: dict[str, str], hang_on: str | None = None) -> None:
        self.solves, self.hammer, self.hang_on = solves, hammer, hang_on
        self.theories: list[str] = []  # texts checked, in order
        self.hanging: set[str] = set()  # tasks that finish only when cancelled

    def cancelled(self, task: str) -> list[tuple[str, Any]]:
        """The messages a cancelled task ends with (an interrupted `use_theories` fails)."""
        if task not in self.hanging:
            return []
        self.hanging.discard(task)
        return [("FAILED", {"task": task, "kind": "error", "message": "Interrupt"})]

    def __call__(self, name: str, arg: Any) -> list[tuple[str, Any]]:
        task = str(uuid.uuid4())
        if name == "session_start":
            return [("OK", {"task": task}), ("NOTE", {"task": task, "kind": "writeln", "message": "Starting session HOL ..."}),
                    ("FINISHED", {"task": task, "session_id": "sess-1", "tmp_dir": "/tmp/fake"})]
        if name == "session_stop":
            return [("OK", {"task": task}), ("FINISHED", {"task": task, "ok": True, "return_code": 0})]
        if name == "purge_theories":
            return [("OK", {"purged": [{"node_name": t} for t in arg["theories"]], "retained": []})]
        if name == "shutdown":
            return [("OK", None)]
        if name != "use_theories":
            return [("ERROR", f"Bad command {name!r}")]
        (theory,) = arg["theories"]
        path = Path(arg["master_dir"], f"{theory}.thy")
        text = path.read_text()
        self.theories.append(text)
        if self.hang_on and self.hang_on in text:
            self.hanging.add(task)
            return [("OK", {"task": task})]  # never finishes: the client must cancel
        messages, claim = [], ""
        for number, line in enumerate(text.split("\n"), start=1):
            quoted = re.findall(r'"([^"]*)"', line)
            if re.match(r"\s*(have|show|shows)\b", line.strip()) and quoted:
                claim = quoted[-1]
            elif "?thesis" in line:
                claim = "?thesis"
            pos = {"line": number, "offset": 1, "end_offset": 2, "file": path.name}
            if "Thm_Deps.all_oracles" in line and re.search(r"(?<![A-Za-z0-9'])sorry(?![A-Za-z0-9_'])",
                                                              text.split("ML_val")[0]):
                message = re.search(r'error "([^"]*)"', line)
                messages.append({"kind": "error", "message": message.group(1) if message else "oracle", "pos": pos})
            if "bogus" in line:
                messages.append({"kind": "error", "message": "Undefined fact: \"bogus\"", "pos": pos})
            m = re.search(r"\bby (.*)$", line.strip())
            if m and not line.strip().startswith("(*"):
                method = m.group(1).strip("()")
                if claim not in self.solves.get(method, set()):
                    messages.append({"kind": "error", "message": f"Failed to finish proof\\<^here>:\ngoal (1 subgoal):\n 1. {claim}", "pos": pos})
            if "sledgehammer" in line:
                messages.append({"kind": "writeln", "message": "Sledgehammering...", "pos": pos})
                if claim in self.hammer:
                    messages.append({"kind": "writeln", "message": f"e: Try this: {self.hammer[claim]} (12 ms)", "pos": pos})
                messages.append({"kind": "writeln", "message": "Done", "pos": pos})
        errors = [m for m in messages if m["kind"] == "error"]
        node = {"node_name": str(path), "theory_name": f"Draft.{theory}", "messages": messages, "exports": [],
                "status": {"ok": not errors, "total": 1, "finished": 1, "failed": int(bool(errors))}}
        return [("OK", {"task": task}), ("NOTE", {"task": task, "kind": "writeln", "message": f"theory Draft.{theory} 100%"}),
                ("FINISHED", {"task": task, "ok": not errors, "errors": errors, "nodes": [node]})]
