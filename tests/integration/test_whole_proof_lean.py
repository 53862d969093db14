"""Whole-proof sampling on the Lean path over the toy REPL: each sampled proof runs as one tactic
block on the warm process (never as a command), then the verifier; sorry, axioms and errors never
count."""

from __future__ import annotations

import json
import sys
from pathlib import Path


from lean_env.base import FailureKind, Theorem
from lean_env.lean_repl.config import LeanConfig
from lean_env.lean_repl.env import LeanEnv
from prover.whole_proof import RecordedSampler, get_whole_format
from search.whole_proof import FAILED, GAVE_UP, NO_PROOF, REJECTED, UNVERIFIED, VERIFIED, SamplingConfig, sample_and_check

TOY = Path(__file__).resolve().parents[1] / "fakes" / "toy_repl.py"
HEADER = "import Mathlib\n"
THM = Theorem("toy_thm", HEADER, "theorem toy_thm (a b : ℕ) (h₀ : a = b) : b = a := by\n", "lean")


def block(body: str, name: str = "toy_thm") -> str:
    return f"Plan: easy.\n```lean4\n{HEADER}\ntheorem {name} (a b : ℕ) (h₀ : a = b) : b = a := by\n  {body}\n```\n"


OUTPUTS = [
    (block("exact h₀.symm"), VERIFIED),
    (block("sorry"), REJECTED),  # the screen refuses sorry before anything is sent
    (block("err"), FAILED),  # an elaboration error in the block
    (block("leave_sorry"), GAVE_UP),  # a sorry the screen could not see, reported by Lean
    (block("EXTRA_AXIOM"), UNVERIFIED),  # closes the goal, but its axioms fail the audit
    (block("simp\n#eval 1"), REJECTED),  # a command after the proof
    (block("exact h₀.symm", name="other"), NO_PROOF),
    ("no code at all", NO_PROOF),
]


def test_lean_whole_proof_runs_each_sample_as_one_tactic_block(tmp_path, monkeypatch):
    log = tmp_path / "requests.jsonl"
    monkeypatch.setenv("FAKE_REPL_LOG", str(log))
    monkeypatch.setenv("PROVER_SANDBOX_WRITABLE", str(log.parent))
    # No warm spare: the log holds the search process and the verifier's.
    env = LeanEnv(LeanConfig(repl_command=(sys.executable, str(TOY)), tactic_timeout=5.0, warm_spare=False))
    try:
        result = sample_and_check(env, RecordedSampler(lambda th: [o for o, _ in OUTPUTS]),
                                  get_whole_format("deepseek-prover-v2-cot", None, "lean"), THM,
                                  SamplingConfig(num_samples=len(OUTPUTS), batch=3, all_samples=True))
    finally:
        env.close()
    assert [r.status for r in result.records] == [s for _, s in OUTPUTS]
    assert result.proved and result.proof == "exact h₀.symm"
    sent = [json.loads(line) for line in log.read_text().splitlines()]
    pool = sent[0]["pid"]  # the warm search process
    proofs = [r for r in sent if r.get("cmd", "").startswith("set_option maxHeartbeats") and "sorry" not in r["cmd"]]
    compilers = {r["pid"] for r in proofs} - {pool}  # the verifier's, one per proof
    # the judge of the one proof whose compiling process found nothing wrong, never sent its text
    checkers = {r["pid"] for r in sent if "unpickleEnvFrom" in r}
    assert len(compilers) == 2 and len(checkers) == 1 and pool not in compilers | checkers
    # first stage: one tactic block on the warm process for each of the 4 samples past the
    # screen, and no command of theirs; the verifier compiles the 2 that closed the goal again,
    # on its own processes, and audits their axioms
    first = [r for r in sent if r["pid"] == pool and "proofState" in r]
    assert len(first) == 4 and all(r["tactic"].startswith("focus\n  skip\n") for r in first)
    assert not [r for r in sent if r["pid"] == pool and "h₀.symm" in r.get("cmd", "")]
    assert len([r for r in proofs if r["pid"] in compilers]) == 2
    assert len([r for r in sent if r.get("cmd", "").startswith("#print axioms _prover_check")]) == 1
    steps = [r for r in sent if "proofState" in r and r["pid"] != pool]
    assert len(steps) == 2 and all(r["pid"] in compilers and r["tactic"].startswith("focus\n") for r in steps)


def test_a_sample_that_would_end_the_block_and_run_commands_never_runs(tmp_path, monkeypatch):
    """Past the screen (switched off here), text that would end the proof and go on with a
    command is a parse error of the one tactic block: no command holding it is ever sent."""
    log = tmp_path / "requests.jsonl"
    monkeypatch.setenv("FAKE_REPL_LOG", str(log))
    monkeypatch.setenv("PROVER_SANDBOX_WRITABLE", str(log.parent))
    monkeypatch.setattr(LeanEnv, "screen", lambda self, tactic: None)
    env = LeanEnv(LeanConfig(repl_command=(sys.executable, str(TOY)), tactic_timeout=5.0, warm_spare=False))
    try:
        result = env.check_proof(THM, "simp\ndef pwn := 1")
    finally:
        env.close()
    assert result.kind is FailureKind.ERROR and "unexpected token 'def'" in result.message
    sent = [json.loads(line) for line in log.read_text().splitlines()]
    assert not [r for r in sent if "pwn" in r.get("cmd", "")]


def test_a_sample_that_uses_exact_search_is_verified_and_recorded_with_its_answer(tmp_path, monkeypatch):
    """The block on the warm process replaces `exact?` by Lean's answer, as a search's path does;
    the sample was then verified as written and refused as a search left in a final proof (red-team
    round 26). Its record holds the verified text, which `prover verify` can check again."""
    monkeypatch.setenv("PROVER_SANDBOX_WRITABLE", str(tmp_path))
    env = LeanEnv(LeanConfig(repl_command=(sys.executable, str(TOY)), tactic_timeout=5.0, warm_spare=False))
    try:
        result = sample_and_check(env, RecordedSampler(lambda th: [block("exact?")]),
                                  get_whole_format("deepseek-prover-v2-cot", None, "lean"), THM,
                                  SamplingConfig(num_samples=1, batch=1))
    finally:
        env.close()
    assert [r.status for r in result.records] == [VERIFIED]
    assert result.proof == "exact toy_lemma"
