"""`prover train` on a tiny random model: the loss falls and the checkpoint proposes tactics."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from lean_env.base import Goal, ProofState, Theorem
from prover.engines.tiny import tiny_llama
from prover.factory import GeneratorOptions, make_generator
from prover.model_spec import ModelSpec
from prover.train import TrainConfig, examples_from_records, train

pytestmark = pytest.mark.hf


def _record(pretty: str, conclusion: str, tactic: str) -> dict:
    goal = {"hypotheses": [], "conclusion": conclusion}
    return {"theorem": "t", "tactic": tactic, "state_before": {"pretty": pretty, "goals": [goal], "count": 1}}


RECORDS = [
    _record("1 goal\n  ============================\n  1 + 1 = 2", "1 + 1 = 2", "lia."),
    _record("1 goal\n  ============================\n  2 + 2 = 4", "2 + 2 = 4", "lia."),
    _record("1 goal\n  ============================\n  True", "True", "lia."),
]


def test_training_lowers_the_loss_and_the_checkpoint_proposes_the_learned_tactic(tmp_path: Path) -> None:
    base = tmp_path / "base"
    model, tokenizer = tiny_llama(seed=3)
    model.save_pretrained(base)
    tokenizer.save_pretrained(base)
    examples = examples_from_records(RECORDS + [{"tactic": "x.", "state_before": {"goals": []}}], "reprover")
    assert len(examples) == 3 and examples[0] == ("[GOAL]\n" + RECORDS[0]["state_before"]["pretty"] + "\n[PROOFSTEP]\n", "lia.")
    out = tmp_path / "ckpt"
    report = train(str(base), examples, out, TrainConfig(steps=40, batch_size=3, learning_rate=1e-2, log_every=5))
    assert report.losses[-1] < 0.5 * report.losses[0]
    # The normal generation path: --model OUT with the hf engine; the format comes from the checkpoint.
    spec = ModelSpec(str(out), engine="hf", device="cpu", max_new_tokens=8, batching=False)
    generator = make_generator(GeneratorOptions(backend="coq", portfolio=False, model=spec))
    theorem = Theorem("t", "", "Theorem t : 3 + 3 = 6.")
    state = ProofState("t", (), (Goal((), "3 + 3 = 6"),), "1 goal\n  ============================\n  3 + 3 = 6")
    candidates = generator.generate(theorem, state, 1)
    assert [c.tactic for c in candidates] == ["lia."]
