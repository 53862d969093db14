"""Whole-proof sampling through the real Coq path: a stand-in generator returns fixed whole proofs
(correct, wrong, admit/Admitted/Axiom/sorry, malformed, injections); only verified ones count.
Then `prover eval --mode whole-proof` end to end, and a kill -9 in the middle of a theorem."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lean_env.base import Theorem
from prover.whole_proof import RecordedSampler, get_whole_format
from search.whole_proof import (
    FAILED,
    INCOMPLETE,
    NO_PROOF,
    REJECTED,
    TIMEOUT,
    UNVERIFIED,
    VERIFIED,
    SamplingConfig,
    sample_and_check,
)

pytestmark = pytest.mark.coq

THEOREM = Theorem("t2", "Require Import Arith.", "Theorem t2 : forall n : nat, n = n + 0.")

# (model output in the coq-whole completion shape, expected status)
STAND_IN = [
    ("intros n. reflexivity.\nQed.\n```", FAILED),  # wrong
    ("intros n.\n  admit.\nQed.", REJECTED),  # admit
    ("intros n.\nAdmitted.", REJECTED),  # Admitted
    ("Axiom cheat : forall P, P.\nexact (cheat _).\nQed.", REJECTED),  # Axiom
    ("intros n. sorry.\nQed.", FAILED),  # Lean's sorry means nothing to Coq
    ("idtac. Axiom cheat : False.\nQed.", REJECTED),  # injection after a period
    ("idtac.\nQed.\nAxiom cheat : forall P, P.\nTheorem t2 : forall n : nat, n = n + 0.\nProof. apply cheat.\nQed.", REJECTED),
    ("intros n.(**)Abort.\nQed.", REJECTED),  # a vernacular hidden by a comment
    ("intros n. (* unclosed\nQed.", REJECTED),  # malformed
    ("I am not sure how to prove this.", INCOMPLETE),  # prose: not a tactic... or no progress
    ("```python\nprint(1)\n```", NO_PROOF),  # a block of another language
    ("intros n.\nQed.", INCOMPLETE),  # goals left
    # runs on the warm process; its term holds the library's fixpoint for +, which the verifier refuses
    ("intros n.\npose (f := ltac:(let t := eval cbv delta [Nat.add] in Nat.add in exact t)).\n"
     "induction n; simpl; auto.\nQed.", UNVERIFIED),
    ("do 100000000 idtac.\nQed.", TIMEOUT),
    ("induction n as [|n IH].\n- reflexivity.\n- simpl. rewrite <- IH. reflexivity.\nQed.", VERIFIED),  # correct
    ("intros n. induction n; simpl; auto.\nQed.", VERIFIED),  # correct
    ("fix IH 1. intros n. apply IH.\nQed.", REJECTED),  # its own fixpoint: Coq 8.16's guard checker has holes
]


def test_stand_in_generator_only_verified_samples_count(coq_env):
    outputs = [o for o, _ in STAND_IN]
    seen = []
    config = SamplingConfig(num_samples=len(outputs), batch=5, all_samples=True, proof_timeout=1.0, wall_time=120)
    result = sample_and_check(coq_env, RecordedSampler(lambda th: outputs), get_whole_format(None, None, "coq"),
                              THEOREM, config, on_sample=seen.append)
    got = [r.status for r in result.records]
    # prose is refused by the screen or fails in Coq: either way never a proof
    expected = [s for _, s in STAND_IN]
    assert got[9] in (REJECTED, FAILED)
    got[9] = expected[9] = "x"
    assert got == expected
    assert [r.index for r in seen] == list(range(len(outputs)))  # every sample reported as decided
    assert result.proved and result.proof.startswith("induction n as")
    assert [r.index for r in result.records if r.verified] == [14, 15]
    unverified = result.records[12]
    assert unverified.check_seconds > 0 and unverified.verify_seconds > 0 and "fixpoint" in unverified.error
    # the warm process was rewound between samples: the correct proofs ran on a fresh root
    assert coq_env.stats().restarts <= 1  # at most the restart after the timeout kill


def test_early_stop_at_the_first_verified_sample(coq_env):
    outputs = ["intros n. reflexivity.\nQed.", "induction n; simpl; auto.\nQed.", "intros n.\nQed.", "auto.\nQed."]
    calls = []

    class Counting(RecordedSampler):
        def sample(self, theorem, start, n):
            calls.append((start, n))
            return super().sample(theorem, start, n)

    config = SamplingConfig(num_samples=4, batch=2, proof_timeout=5.0)
    result = sample_and_check(coq_env, Counting(lambda th: outputs), get_whole_format(None, None, "coq"), THEOREM, config)
    assert result.stop_reason == "proved" and [r.status for r in result.records] == [FAILED, VERIFIED]
    assert calls == [(0, 2)]  # the second round was never drawn


def test_resume_skips_decided_samples(coq_env):
    from search.whole_proof import SampleRecord

    done = [SampleRecord("t2", 0, "x", "x.", FAILED, "earlier")]
    outputs = ["never drawn again", "induction n; simpl; auto.\nQed."]
    asked = []

    class Recording(RecordedSampler):
        def sample(self, theorem, start, n):
            asked.append((start, n))
            return super().sample(theorem, start, n)

    result = sample_and_check(coq_env, Recording(lambda th: outputs), get_whole_format(None, None, "coq"), THEOREM,
                              SamplingConfig(num_samples=2, batch=2), done=done)
    assert asked == [(1, 1)] and [r.status for r in result.records] == [FAILED, VERIFIED]
    assert result.records[0].error == "earlier"
    # a verified sample from an earlier session ends the theorem without drawing anything
    again = sample_and_check(coq_env, Recording(lambda th: outputs), get_whole_format(None, None, "coq"), THEOREM,
                             SamplingConfig(num_samples=2, batch=2), done=result.records)
    assert again.proved and asked == [(1, 1)]


# -- the CLI, end to end -----------------------------------------------------------------------

NAMES = ("mathd_numbertheory_239", "mathd_algebra_296", "mathd_algebra_109", "amc12a_2021_p18")
PROOFS = {
    "mathd_numbertheory_239": ["idtac. Axiom cheat : False.\nQed.", "lia.\nQed.", "auto.\nQed."],
    "mathd_algebra_296": ["intros. admit.\nAdmitted.", "auto.\nQed.", "auto.\nQed."],
    "mathd_algebra_109": ["intros. lia.\nQed.", "Admitted."],
    "amc12a_2021_p18": ["auto.\nQed."],  # its statement does not elaborate on Coq 8.16
}


def _write_proofs(folder: Path, proofs: dict[str, list[str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, outputs in proofs.items():
        (folder / f"{name}.jsonl").write_text("".join(json.dumps(o) + "\n" for o in outputs))
    return folder


def _eval(shared_data: Path, *args: str, names=NAMES) -> list[str]:
    return [sys.executable, "-m", "prover_cli.main", "eval", "--data", str(shared_data / "minif2f/coq"), "--split", "all",
            "--name", ",".join(names), "--mode", "whole-proof", "--workers", "0", "--no-progress", *args]


@pytest.mark.slow
def test_eval_whole_proof_records_every_sample_and_reports_pass_at_k(shared_data, tmp_path):
    proofs = _write_proofs(tmp_path / "proofs", PROOFS)
    run = tmp_path / "run"
    proc = subprocess.run(_eval(shared_data, "--proofs", str(proofs), "--num-samples", "3", "--batch", "2",
                                "--all-samples", "--out", str(run)), capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = {json.loads(line)["name"]: json.loads(line) for line in (run / "results.jsonl").read_text().splitlines()}
    assert {n for n, r in lines.items() if r["proved"]} == {"mathd_numbertheory_239", "mathd_algebra_296"}
    s239 = lines["mathd_numbertheory_239"]["samples"]
    assert [x["status"] for x in s239] == ["rejected", "failed", "verified"]
    assert all({"output", "proof", "status", "error", "seconds"} <= set(x) for x in s239)
    assert [x["status"] for x in lines["mathd_algebra_296"]["samples"]] == ["rejected", "verified", "verified"]
    assert [x["status"] for x in lines["mathd_algebra_109"]["samples"]] == ["failed", "rejected"]
    assert lines["mathd_algebra_109"]["stop_reason"] == "exhausted"
    assert lines["amc12a_2021_p18"]["error"].startswith("statement does not elaborate")
    summary = json.loads((run / "summary.json").read_text())
    p = summary["pass_at_k"]
    # 239: 1 of 3 verified; 296: 2 of 3; 109 and amc: 0 (both in the denominator)
    assert p["overall"]["1"] == pytest.approx((1 / 3 + 2 / 3) / 4)
    assert p["overall"]["3"] == pytest.approx(2 / 4)
    assert (run / "pass_at_k.png").exists()
    shown = subprocess.run([sys.executable, "-m", "prover_cli.main", "report", str(run)], capture_output=True,
                           text=True, timeout=60)
    assert shown.returncode == 0 and "## pass@k" in shown.stdout and "| **all** | 25.0% |" in shown.stdout


@pytest.mark.slow
def test_kill_9_mid_theorem_then_resume_loses_and_redoes_no_sample(shared_data, tmp_path):
    """The driver is killed while a theorem is half sampled; --resume continues from the log."""
    slow = "do 100000000 idtac.\nQed."  # each takes the whole 1 s proof timeout
    proofs = {"mathd_algebra_296": ["auto.\nQed.", slow, slow, slow, slow, slow, "auto.\nQed.", "lia.\nQed."]}
    folder = _write_proofs(tmp_path / "proofs", proofs)
    run = tmp_path / "run"
    # No extra tactic libraries: the last sample (`lia`) must fail on this header as recorded below.
    args = ["--proofs", str(folder), "--num-samples", "8", "--batch", "3", "--all-samples", "--proof-timeout", "1",
            "--extra-imports", "none"]
    log = run / "samples" / "mathd_algebra_296.jsonl"
    proc = subprocess.Popen(_eval(shared_data, *args, "--out", str(run), names=("mathd_algebra_296",)),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if log.exists() and len(log.read_text().splitlines()) >= 3:
                break
            assert proc.poll() is None, "the run ended before it could be killed"
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    before = log.read_text().splitlines()
    assert 3 <= len(before) < 8 and not (run / "results.jsonl").read_text().strip()  # mid-theorem
    first = [json.loads(line) for line in before]
    assert first[0]["status"] == "verified"
    resumed = subprocess.run(_eval(shared_data, *args, "--resume", str(run), names=("mathd_algebra_296",)),
                             capture_output=True, text=True, timeout=240)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    after = [json.loads(line) for line in log.read_text().splitlines()]
    indices = [x["index"] for x in after]
    assert sorted(indices) == list(range(8)) and len(indices) == 8  # none lost, none redone
    assert after[: len(first)] == first  # the records written before the kill are untouched
    line = json.loads((run / "results.jsonl").read_text())
    assert line["proved"] and [x["status"] for x in line["samples"]] == (
        ["verified"] + ["timeout"] * 5 + ["verified", "failed"])


def test_repeated_short_proofs_all_verify(coq_env):
    """coqtop prints a goal display only when it changed: a second one-sentence proof after a
    rewind must still be seen to close the goal (the sampler re-enters the theorem)."""
    theorem = Theorem("t3", "Require Import Arith.", "Theorem t3 : 2 + 2 = 4.")
    outputs = ["auto.\nQed.", "auto.\nQed.", "simpl. idtac.\nQed.", "reflexivity.\nQed."]
    result = sample_and_check(coq_env, RecordedSampler(lambda th: outputs), get_whole_format(None, None, "coq"), theorem,
                              SamplingConfig(num_samples=4, batch=4, all_samples=True))
    assert [r.status for r in result.records] == [VERIFIED, VERIFIED, INCOMPLETE, VERIFIED]


@pytest.mark.slow
def test_eval_whole_proof_samples_from_a_model(shared_data, tmp_path):
    """The model path: a tiny random model writes the samples (garbage), each is recorded and none counts."""
    pytest.importorskip("torch")
    run = tmp_path / "run"
    proc = subprocess.run(_eval(shared_data, "--model", "tiny", "--engine", "tiny", "--temperature", "1", "--num-samples",
                                "3", "--batch", "2", "--max-proof-tokens", "12", "--out", str(run),
                                names=("mathd_algebra_296",)), capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-2000:]
    line = json.loads((run / "results.jsonl").read_text())
    assert not line["proved"] and line["stop_reason"] == "samples" and line["attempts"] == 3
    assert [s["index"] for s in line["samples"]] == [0, 1, 2]
    assert all(s["status"] in (REJECTED, FAILED, NO_PROOF, INCOMPLETE) and s["output"] for s in line["samples"])
    assert json.loads((run / "config.json").read_text())["whole_proof"]["max_tokens"] == 12
