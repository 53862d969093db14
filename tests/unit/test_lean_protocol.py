"""Wire models of the Lean REPL: validation before sending, decoding, proof-status classification."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from lean_env.base import ProtocolError
from lean_env.lean_repl.protocol import (
    CommandRequest,
    CommandResponse,
    InvalidRequest,
    Outcome,
    ProofStepRequest,
    ProofStepResponse,
    ReplError,
    classify,
    decode,
    encode,
    request_from_json,
)

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "repl-transcripts"
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fakes"))


def test_encode_is_one_compact_line_and_a_blank_line() -> None:
    line = encode(ProofStepRequest(proof_state=3, tactic="intro x\n  simp [h₀]"))
    assert line.endswith(b"\n\n") and line.count(b"\n") == 2  # the newline travels escaped
    assert json.loads(line) == {"proofState": 3, "tactic": "intro x\n  simp [h₀]"}
    assert "h₀".encode() in line  # UTF-8, not \\u escapes, as the REPL's tests send it
    assert json.loads(encode(CommandRequest(cmd="import Mathlib"))) == {"cmd": "import Mathlib"}


@pytest.mark.parametrize(
    "make",
    [
        lambda: ProofStepRequest(proof_state=-1, tactic="simp"),
        lambda: ProofStepRequest(proof_state=0, tactic=""),
        lambda: CommandRequest(cmd="x", env=0, infotree="everything"),
        lambda: encode(ProofStepRequest(proof_state=0, tactic="simp \ud800")),
    ],
)
def test_requests_the_repl_cannot_parse_are_refused(make) -> None:
    with pytest.raises(ValueError):  # pydantic's ValidationError and InvalidRequest are both
        make()


def test_request_shapes_are_tried_in_the_repl_order() -> None:
    assert isinstance(request_from_json({"proofState": 1, "tactic": "rfl"}), ProofStepRequest)
    assert isinstance(request_from_json({"cmd": "def x := 1", "env": 2}), CommandRequest)
    with pytest.raises(InvalidRequest):
        request_from_json({"tactic": "rfl"})  # no proofState: the REPL would exit


def test_decode_shapes_and_garbage() -> None:
    assert isinstance(decode('{"env": 0}'), CommandResponse)
    assert isinstance(decode('{"message": "Unknown proof state."}'), ReplError)
    step = decode('{"proofState": 2, "goals": ["⊢ Nat"], "proofStatus": "Incomplete: open goals remain"}')
    assert isinstance(step, ProofStepResponse) and step.goals == ["⊢ Nat"]
    for bad in ("PANIC at Lean.Expr", "[1, 2]", '{"proofState": "x", "goals": []}', '{"foo": 1}'):
        with pytest.raises(ProtocolError):
            decode(bad)


def _step(**fields) -> ProofStepResponse:
    base = {"proofState": 5, "goals": []}
    return ProofStepResponse.model_validate({**base, **fields})


def test_proved_needs_every_condition() -> None:
    assert classify(_step(proofStatus="Completed")).outcome is Outcome.PROVED
    assert classify(_step()).outcome is Outcome.PROVED  # REPL before proofStatus existed
    error = {"severity": "error", "pos": {"line": 0, "column": 0}, "endPos": None, "data": "boom"}
    assert classify(_step(proofStatus="Completed", messages=[error])).outcome is Outcome.ERROR
    sorry = {"goal": "⊢ False", "proofState": 6}
    assert classify(_step(proofStatus="Completed", sorries=[sorry])).outcome is Outcome.GAVE_UP
    assert classify(_step(proofStatus="Incomplete: contains sorry")).outcome is Outcome.GAVE_UP
    for status in ("Incomplete: contains metavariable(s)", "Error: Goal not assigned",
                   "Error: kernel type check failed: x", "Not verified: more than one initial goal"):
        assert classify(_step(proofStatus=status)).outcome is Outcome.ERROR
    opened = classify(_step(goals=["⊢ 1 = 1"], proofStatus="Incomplete: open goals remain"))
    assert opened.outcome is Outcome.OPEN and opened.proof_state == 5 and opened.goals == ("⊢ 1 = 1",)
    assert classify(ReplError(message="Lean error:\nunknown tactic")).outcome is Outcome.ERROR


# What each transcript's ProofStep answers mean (read by hand from the .expected.out files).
EXPECTED = {
    "test/proof_step.in": ["open", "open", "proved"],
    "test/invalid_tactic.in": ["error"],  # goals [] + error message + "contains sorry"
    "test/unknown_tactic.in": ["error"],  # {"message": "Lean error: ... unknown tactic"}
    "test/have_by_sorry.in": ["gave_up"],
    "test/by_cases.in": ["open", "open", "gave_up"],
    "test/tactic_mode_sorry.in": ["gave_up"],
    "test/app_type_mismatch.in": ["open", "open", "error"],  # metavariables
    "test/self_proof_exact_check.in": ["error"],  # kernel: free variables
    "test/self_proof_rw.in": ["error"],
    "test/self_proof_check.in": ["error"] * 4,
    "test/proof_branching.in": ["open", "open", "open", "proved"],
    "test/name_generator.in": ["gave_up"] + ["error"] * 7,
    "test/Mathlib/test/induction.in": ["open", "open", "gave_up"],
    "test/Mathlib/test/placeholder_synthesis.in": ["open", "error"],
}


@pytest.mark.skipif(not DATA.is_dir(), reason=f"REPL transcripts not found at {DATA}")
def test_every_recorded_response_decodes_and_classifies() -> None:
    from framing import transcript_requests, transcript_responses

    seen: dict[str, list[str]] = {}
    statuses: set[str] = set()
    for path in sorted(DATA.glob("test/**/*.in")):
        out = path.with_suffix(".expected.out")
        if not out.exists():
            continue
        requests = transcript_requests(path.read_text(encoding="utf-8"))
        responses = transcript_responses(out.read_text(encoding="utf-8"))
        assert len(requests) == len(responses), path
        outcomes = []
        for raw, text in zip(requests, responses):
            request = request_from_json(json.loads(raw))
            response = decode(text)
            if isinstance(request, ProofStepRequest):
                assert isinstance(response, (ProofStepResponse, ReplError))
                result = classify(response)
                if isinstance(response, ProofStepResponse) and response.proof_status:
                    statuses.add(response.proof_status.split(":")[0])
                    proved = (response.proof_status == "Completed" and not response.goals
                              and not response.errors() and not response.sorries)
                    assert (result.outcome is Outcome.PROVED) == proved, (path, text)
                outcomes.append(result.outcome.value)
        seen[str(path.relative_to(DATA))] = outcomes
    for name, outcomes in EXPECTED.items():
        assert seen[name] == outcomes, name
    assert statuses == {"Completed", "Incomplete", "Error"}


def test_suggestions_are_read_in_linear_time_and_the_first_offer_is_kept() -> None:
    """Any tactic prints any message (`iterate 1000 trace "Try this: …"`): a split whose `\\s*`
    spanned lines was quadratic in a message of blank lines, about a second per 19,000 of them,
    in the search's own process after the REPL had answered (red-team round 26)."""
    import time

    from lean_env.lean_repl.protocol import Message, suggestions

    def info(data: str) -> Message:
        return Message.model_validate({"severity": "info", "pos": {"line": 1, "column": 0}, "data": data})

    flood = [info("Try this: exact h" + "\n" * 19_000 + "x")] * 20
    start = time.monotonic()
    assert suggestions(flood)[0].startswith("exact h")
    assert time.monotonic() - start < 1.0
    assert suggestions([info("Try this:\n  [apply] exact foo\n  [apply] exact bar")]) == ("exact foo",)
    assert suggestions([info("Try this:\n\n  • exact foo\n\n  • exact bar")]) == ("• exact foo",)
    # the blanks before the next offer are any but a line break, as `\s*` read them before
    assert suggestions([info("Try this: exact foo\n\u00a0\u3000• exact bar\n • simp")]) == ("exact foo",)
    assert suggestions([info("Try this: exact foo\n\n\u2028[apply] exact bar")]) == ("exact foo",)
    flood = [info("Try this: exact h" + "\n\u00a0" * 19_000 + "x")] * 20
    start = time.monotonic()
    assert suggestions(flood)[0].startswith("exact h")
    assert time.monotonic() - start < 1.0
