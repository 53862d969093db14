"""The bridge against the REPL's own recorded transcripts, through a real child process.

For each `.in` the bridge validates and sends every recorded request; the replay fake checks it
equals the recorded one and answers with the recorded text, which must decode into a typed value.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from lean_env.lean_repl.process import ReplProcess
from lean_env.lean_repl.protocol import (
    CommandResponse,
    ProofStepRequest,
    ProofStepResponse,
    ReplError,
    decode,
    encode,
    request_from_json,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent.parent / "shared" / "data" / "repl-transcripts"
sys.path.insert(0, str(ROOT / "fakes"))
from framing import transcript_requests

PAIRS = sorted(p for p in DATA.glob("test/**/*.in") if p.with_suffix(".expected.out").exists())
pytestmark = pytest.mark.skipif(not PAIRS, reason=f"REPL transcripts not found under {DATA}")


def test_all_transcripts_replay_through_the_process() -> None:
    total = 0
    for path in PAIRS:
        proc = ReplProcess([sys.executable, str(ROOT / "fakes" / "replay_repl.py"), str(path),
                            str(path.with_suffix(".expected.out"))])
        try:
            for raw in transcript_requests(path.read_text(encoding="utf-8")):
                request = request_from_json(json.loads(raw))
                response = decode(proc.request(encode(request), timeout=10))
                if isinstance(request, ProofStepRequest):
                    assert isinstance(response, (ProofStepResponse, ReplError)), path
                else:
                    assert isinstance(response, (CommandResponse, ProofStepResponse, ReplError)), path
                total += 1
            assert proc.alive(), f"{path}: {proc.stderr_tail()}"
        finally:
            proc.close()
    assert total >= 150  # every recorded request of the 64 transcripts went through


def test_a_mismatched_request_is_caught_by_the_fake() -> None:
    path = next(p for p in PAIRS if p.name == "proof_step.in")
    proc = ReplProcess([sys.executable, str(ROOT / "fakes" / "replay_repl.py"), str(path),
                        str(path.with_suffix(".expected.out"))])
    try:
        from lean_env.base import EnvCrashed

        with pytest.raises(EnvCrashed, match="differs from the transcript"):
            proc.request(encode(request_from_json({"cmd": "def g : Nat := by sorry"})), timeout=10)
    finally:
        proc.close()
