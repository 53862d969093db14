"""Isabelle/HOL over `isabelle server`, against the loopback fake (tests/fakes/isabelle_server.py).

The fake's scripted prover judges `by <method>` lines; on top of it, `Stepwise` reports a proof
that is not finished (an open `proof` block, or no terminal step yet) as an error at the theory's
`end`, naming the facts established so far, so that each step of a structured proof advances the
state the way IsabelleEnv reads it (an error only after the tactic's lines).
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from lean_env.base import FailureKind, ProofEnv, Theorem
from tests.conformance.subjects import Subject
from tests.fakes.isabelle_server import FakeIsabelleServer, ScriptedIsabelle

CLAIM = "n + 0 = n"
LOOP_MARKER = "loop_forever"  # a theory holding it never finishes checking


class Stepwise(ScriptedIsabelle):
    def __call__(self, name: str, arg: Any) -> list[tuple[str, Any]]:
        answer = super().__call__(name, arg)
        if name != "use_theories" or len(answer) < 3:
            return answer
        text = self.theories[-1]
        lines = text.split("\n")
        body = lines[lines.index("begin") + 1 : lines.index("end")]
        if _finished(body):
            return answer
        facts = [_claim(line) for line in body if re.match(r"\s*(have|show|then show)\b", line)]
        end = lines.index("end") + 1
        kind, finished = answer[-1]
        node = finished["nodes"][0]
        error = {"kind": "error", "message": f"unfinished proof; established: {', '.join(facts) or 'nothing'}",
                 "pos": {"line": end, "offset": 1, "end_offset": 2, "file": Path(node["node_name"]).name}}
        node["messages"].append(error)
        node["status"] = {**node["status"], "ok": False, "failed": 1}
        return answer[:-1] + [(kind, {**finished, "ok": False, "errors": [*finished["errors"], error]})]


def _claim(line: str) -> str:
    quoted = re.findall(r'"([^"]*)"', line)
    return quoted[-1] if quoted else "?thesis"


def _finished(body: list[str]) -> bool:
    """A terminal step (`by`, `sorry`, `done`) outside any block, or a `qed` closing the last one."""
    depth, done = 0, False
    for line in (raw.strip() for raw in body):
        if line.startswith("proof"):
            depth, done = depth + 1, False
        elif line == "qed":
            depth -= 1
            done = depth == 0
        elif depth == 0 and (re.search(r"\bby\b", line) or line in ("sorry", "done")):
            done = True
    return depth == 0 and done


@contextmanager
def start(monkeypatch: pytest.MonkeyPatch, tmp: Path) -> Iterator[ProofEnv]:
    from lean_env.isabelle.client import IsabelleClient
    from lean_env.isabelle.env import IsabelleConfig, IsabelleEnv

    prover = Stepwise(solves={"simp": {CLAIM}, "assumption": {"?thesis"}}, hammer={}, hang_on=LOOP_MARKER)
    with FakeIsabelleServer(handler=prover) as fake:
        config = IsabelleConfig(tactic_timeout=5.0, verify_timeout=10.0)
        with IsabelleEnv(config, client=IsabelleClient(*fake.address, timeout=5)) as env:
            yield env


def crash(env: ProofEnv) -> None:
    """The server goes away: its connection is cut."""
    env.client._sock.shutdown(socket.SHUT_RDWR)  # type: ignore[attr-defined]


SUBJECT = Subject(
    name="isabelle",
    start=start,
    theorem=Theorem("add_zero", "Main", f'theorem add_zero:\n  fixes n :: nat\n  shows "{CLAIM}"', "isabelle"),
    proof=("proof -", f'have h: "{CLAIM}" by simp', "then show ?thesis by assumption", "qed"),
    failures=(("by (rule bogus)", FailureKind.ERROR), ("by auto", FailureKind.ERROR)),
    loop=f"apply (induct n rule: {LOOP_MARKER})",
    loop_timeout=0.5,
    timeout_bound=3.0,
    forbidden=("sorry", "oops", "axiomatization where cheat: False", "sledgehammer"),
    false_theorem=Theorem("one_two", "Main", 'theorem one_two:\n  shows "(1::nat) = 2"', "isabelle"),
    cheat=("by simp",),
    crash=crash,
    unsupported={
        "crash_replay": "IsabelleEnv holds one server connection and neither reconnects nor replays: "
        "a lost server is an EnvCrashed raised to the caller",
    },
)
