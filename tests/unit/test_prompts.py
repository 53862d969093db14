"""Prompt-format registry, model-id defaults, and that no model stack is imported eagerly."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lean_env.base import Goal, Hypothesis, ProofState, Theorem
from lean_env.registry import ASSISTANTS, UnknownName
from prover.prompts import PROMPTS, format_for, get_format

LEAN = Theorem(
    "add_zero'", "import Mathlib", "theorem add_zero' (n : ℕ) : n + 0 = n", backend="lean"
)
STATE = ProofState(
    "add_zero'",
    ("intro h", "simp at h"),
    (Goal((Hypothesis(("n",), "ℕ"),), "n + 0 = n"),),
    "n : ℕ\n⊢ n + 0 = n",
)


def test_every_format_is_documented_and_puts_the_state_in_the_prompt() -> None:
    assert set(PROMPTS.names()) >= {
        "llemma",
        "reprover",
        "internlm2-stepprover",
        "internlm2.5-stepprover",
        "bfs-prover",
        "coq",
    }
    for name in PROMPTS.names():
        fmt = PROMPTS.get(name)
        assert fmt.name == name and fmt.source and fmt.backend in ASSISTANTS
        assert STATE.pretty in fmt.render(LEAN, STATE)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("reprover", "[GOAL]\nn : ℕ\n⊢ n + 0 = n\n[PROOFSTEP]\n"),
        ("bfs-prover", "n : ℕ\n⊢ n + 0 = n:::"),
        (
            "internlm2-stepprover",
            "<|im_start|>user\nDECL add_zero'\nGOAL n : ℕ\n⊢ n + 0 = n\n<|im_end|>\n<|im_start|>assistant\nPROOFSTEP ",
        ),
        (
            "internlm2.5-stepprover",
            (
                "<|im_start|>user\n---\nNAME: add_zero'\n\n---\nPROOF_BEFORE: intro h\nsimp at h\n\n"
                "---\nSTATE_BEFORE: n : ℕ\n⊢ n + 0 = n\n\n---\nTACTIC: <|im_end|>\n<|im_start|>assistant\n"
            ),
        ),
    ],
)
def test_fine_tuned_formats_match_their_published_layout(name: str, expected: str) -> None:
    assert PROMPTS.get(name).render(LEAN, STATE) == expected


def test_llemma_prompt_is_three_shot_with_dash_separators() -> None:
    prompt = PROMPTS.get("llemma").render(LEAN, STATE)
    assert prompt.startswith(
        "Given the Lean 4 tactic state, suggest a next tactic.\nHere are some examples:\n"
    )
    assert prompt.count("Tactic state:\n---\n") == 4  # three examples and the query
    assert prompt.endswith("Tactic state:\n---\nn : ℕ\n⊢ n + 0 = n\n---\nNext tactic:\n---\n")
    assert PROMPTS.get("llemma").extract(" simp\n---\nTactic state:") == "simp"
    coq = PROMPTS.get("coq").render(
        Theorem("t", "", "Theorem t : True.", "coq"), ProofState("t", (), (), "True")
    )
    assert coq.startswith("Given the Coq proof state") and coq.endswith(
        "---\nTrue\n---\nNext tactic:\n---\n"
    )


@pytest.mark.parametrize(
    ("model", "backend", "expected"),
    [
        ("EleutherAI/llemma_7b", "lean", "llemma"),
        ("EleutherAI/llemma_7b", "coq", "coq"),
        ("codellama/CodeLlama-7b-hf", "coq", "coq"),
        ("kaiyuy/leandojo-lean4-tacgen-byt5-small", "lean", "reprover"),
        ("internlm/internlm2-step-prover", "lean", "internlm2-stepprover"),
        ("/models/internlm2_5-step-prover", "lean", "internlm2.5-stepprover"),
        ("ByteDance-Seed/BFS-Prover-V2-7B", "lean", "bfs-prover"),
    ],
)
def test_model_id_picks_the_default_format(model: str, backend: str, expected: str) -> None:
    assert format_for(model, backend) == expected
    assert get_format(None, model, backend).name == expected
    assert get_format("auto", model, backend).name == expected


def test_override_and_unknown_names() -> None:
    assert get_format("reprover", "EleutherAI/llemma_7b", "lean").name == "reprover"
    with pytest.raises(UnknownName, match="did you mean reprover"):
        get_format("reprovr", "m", "lean")


def test_importing_the_generator_modules_loads_no_model_stack() -> None:
    code = (
        "import sys\n"
        "import prover.prompts, prover.batching, prover.model_server, prover.combined, prover.model_registry\n"
        "import prover.model_spec, prover.factory\n"
        "import prover.engines.generator, prover.engines.hf, prover.engines.vllm\n"
        "import prover.engines.openai_api, prover.engines.tiny\n"
        "heavy = [m for m in ('torch', 'transformers', 'vllm', 'ray', 'httpx') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
