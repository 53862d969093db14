"""Against a real Lean + Mathlib + REPL (built by `prover setup lean`); skipped without `lake`."""

from __future__ import annotations

import shutil

import pytest

from lean_env.base import Advanced, FailureKind, Proved, TacticFailure, Theorem
from lean_env.lean_repl.config import REPL_BINARY, LeanConfig, default_workspace
from lean_env.lean_repl.env import LeanEnv

WORKSPACE = default_workspace()
pytestmark = [
    pytest.mark.lean,
    pytest.mark.skipif(shutil.which("lake") is None, reason="lake is not on PATH"),
    pytest.mark.skipif(not (WORKSPACE / REPL_BINARY).is_file(), reason="REPL not built: run `prover setup lean`"),
]
HEADER = "import Mathlib\n\nset_option maxHeartbeats 0\n\nopen BigOperators Real Nat Topology Rat\n\n"
THM = Theorem(
    "mathd_algebra_478",
    HEADER,
    "theorem mathd_algebra_478 (b h v : ℝ) (h₀ : 0 < b ∧ 0 < h ∧ 0 < v) (h₁ : v = 1 / 3 * (b * h))\n"
    "    (h₂ : b = 30) (h₃ : h = 13 / 2) : v = 65 := by\n",
    "lean",
)


@pytest.fixture(scope="module")
def env():
    with LeanEnv(LeanConfig(project_dir=WORKSPACE, tactic_timeout=60)) as e:
        yield e


def test_search_step_and_verify(env: LeanEnv) -> None:
    root = env.open(THM)
    assert root.goals[0].conclusion == "v = 65"
    step = env.run_tactic(root, "rw [h₂, h₃] at h₁")
    assert isinstance(step, Advanced)
    done = env.run_tactic(step.state, "rw [h₁]\nnorm_num")
    done = done if isinstance(done, Proved) else env.run_tactic(step.state, "(rw [h₁]\n norm_num)")
    assert isinstance(done, Proved), done
    verdict = env.verify(THM, done.proof)
    assert verdict.ok, verdict.message
    assert set(verdict.axioms) <= {"propext", "Classical.choice", "Quot.sound"}


def test_errors_are_values(env: LeanEnv) -> None:
    root = env.open(THM)
    bad = env.run_tactic(root, "exact my_fake_premise")
    assert isinstance(bad, TacticFailure) and bad.kind is FailureKind.ERROR
    assert env.run_tactic(root, "native_decide").kind is FailureKind.REJECTED  # type: ignore[union-attr]


def test_the_proof_is_judged_by_a_process_that_replays_it(env: LeanEnv) -> None:
    """On this Lean: the one-block tactic run, the pickle loaded by the checking process, and its
    scope probe (a failed probe refuses the proof) all work for an honest proof."""
    verdict = env.verify(THM, ["rw [h₂, h₃] at h₁", "rw [h₁]", "norm_num"])
    assert verdict.ok, verdict.message
    wrong = env.verify(THM, ["exact absurd h₀ (by norm_num)"])
    assert not wrong.ok
