"""Published prompt formats for step-level provers, as a registry picked by model id.

A model fine-tuned on one format does badly on any other, so each format reproduces the layout its
source used (the few-shot examples are our own). `PROMPTS.get(name)` returns a `PromptFormat`;
`format_for(model, backend)` gives the default for a model id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lean_env.base import ProofState, Theorem
from lean_env.registry import Registry


@dataclass(frozen=True, slots=True)
class PromptFormat:
    """How to turn a proof state into a prompt, and where the model's answer ends."""

    name: str
    source: str  # the paper or code the layout comes from
    backend: str  # the proof assistant it was written for ("lean", "coq")
    build: Callable[[Theorem, ProofState], str]
    stop: tuple[str, ...] = ()  # default stop texts (the EOS token always stops too)
    description: str = ""

    def render(self, theorem: Theorem, state: ProofState) -> str:
        return self.build(theorem, state)

    def extract(self, completion: str) -> str:
        """The tactic in a completion: the text before any stop text, stripped."""
        for stop in self.stop:
            completion = completion.split(stop, 1)[0]
        return completion.strip()


# --- Llemma formal-to-formal (3-shot, `---` separators) ---------------------------------------

_LEAN_SHOTS = (
    ("n : ℕ\n⊢ n + 0 = n", "simp"),
    ("a b : ℕ\nh : a = b\n⊢ b = a", "exact h.symm"),
    ("x : ℝ\nhx : 0 < x\n⊢ 0 < x ^ 2 + x", "positivity"),
)

_COQ_SHOTS = (
    ("n : nat\n============================\nn + 0 = n", "lia."),
    (
        "A, B : Prop\nH : A /\\ B\n============================\nB /\\ A",
        "destruct H as [HA HB]; split; assumption.",
    ),
    ("l : list nat\n============================\nrev (rev l) = l", "apply rev_involutive."),
)


_HOL_LIGHT_SHOTS = (
    ("`!n. n + 0 = n`", "ARITH_TAC"),
    ("  0 [`&0 < x`]\n\n`&0 < x + &1 /\\ &0 <= x`", "CONJ_TAC THEN ASM_REAL_ARITH_TAC"),
    ("`!x y. x <= y \\/ y <= x`", "REPEAT GEN_TAC THEN REAL_ARITH_TAC"),
)


def _few_shot(header: str, shots: tuple[tuple[str, str], ...], state: str) -> str:
    parts = [header, "Here are some examples:\n"]
    for goal, tactic in shots:
        parts.append(f"Tactic state:\n---\n{goal}\n---\nNext tactic:\n---\n{tactic}\n---\n")
    parts.append(f"Tactic state:\n---\n{state}\n---\nNext tactic:\n---\n")
    return "\n".join(parts)


def _llemma(theorem: Theorem, state: ProofState) -> str:
    return _few_shot(
        "Given the Lean 4 tactic state, suggest a next tactic.", _LEAN_SHOTS, state.pretty
    )


def _coq(theorem: Theorem, state: ProofState) -> str:
    return _few_shot("Given the Coq proof state, suggest a next tactic.", _COQ_SHOTS, state.pretty)


def _hol_light(theorem: Theorem, state: ProofState) -> str:
    return _few_shot(
        "Given the HOL Light goal (numbered assumptions, then the goal), suggest the next tactic.",
        _HOL_LIGHT_SHOTS,
        state.pretty,
    )


# --- Fine-tuned step provers ------------------------------------------------------------------


def _reprover(theorem: Theorem, state: ProofState) -> str:
    return f"[GOAL]\n{state.pretty}\n[PROOFSTEP]\n"


def _chatml(user: str, answer_prefix: str) -> str:
    return f"<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n{answer_prefix}"


def _internlm2(theorem: Theorem, state: ProofState) -> str:
    return _chatml(f"DECL {theorem.name}\nGOAL {state.pretty}\n", "PROOFSTEP ")


def _internlm25(theorem: Theorem, state: ProofState) -> str:
    before = "\n".join(state.path)
    user = (
        f"---\nNAME: {theorem.name}\n\n---\nPROOF_BEFORE: {before}\n\n"
        f"---\nSTATE_BEFORE: {state.pretty}\n\n---\nTACTIC: "
    )
    return _chatml(user, "")


def _bfs_prover(theorem: Theorem, state: ProofState) -> str:
    return f"{state.pretty}:::"


PROMPTS: Registry[PromptFormat] = Registry("prompt format")

for _fmt in (
    PromptFormat(
        "llemma",
        "Llemma (arXiv 2310.10631), wellecks/llemma_formal2formal proofsearch.py",
        "lean",
        _llemma,
        stop=("---",),
        description="3-shot Lean 4 prompt for base models",
    ),
    PromptFormat(
        "reprover",
        "ReProver (LeanDojo, arXiv 2306.15626), lean-dojo/ReProver",
        "lean",
        _reprover,
        description="[GOAL] state [PROOFSTEP]; the tactic ends at EOS",
    ),
    PromptFormat(
        "internlm2-stepprover",
        "InternLM2-StepProver, InternLM/InternLM-Math lean-github",
        "lean",
        _internlm2,
        stop=("<|im_end|>",),
        description="ChatML DECL/GOAL/PROOFSTEP",
    ),
    PromptFormat(
        "internlm2.5-stepprover",
        "InternLM2.5-StepProver (arXiv 2410.15700), InternLM/InternLM-Math minif2f/"
        "proofsearch_internLM2.5-StepProver.py",
        "lean",
        _internlm25,
        stop=("<|im_end|>",),
        description="ChatML NAME/PROOF_BEFORE/STATE_BEFORE/TACTIC",
    ),
    PromptFormat(
        "bfs-prover",
        "BFS-Prover (arXiv 2502.03438), ByteDance-Seed/BFS-Prover-V2",
        "lean",
        _bfs_prover,
        description="state followed by ':::'; the tactic ends at EOS",
    ),
    PromptFormat(
        "coq",
        "our Coq counterpart of the Llemma layout",
        "coq",
        _coq,
        stop=("---",),
        description="3-shot Coq prompt for base models",
    ),
    PromptFormat(
        "hol-light",
        "our HOL Light counterpart of the Llemma layout",
        "hol-light",
        _hol_light,
        stop=("---",),
        description="3-shot HOL Light prompt for base models",
    ),
):
    PROMPTS.register(_fmt.name, _fmt)

# Lower-cased substrings of a model id -> the format it was trained on (first match wins).
MODEL_FORMATS: tuple[tuple[str, str], ...] = (
    ("internlm2_5-step-prover", "internlm2.5-stepprover"),
    ("internlm2.5-step-prover", "internlm2.5-stepprover"),
    ("internlm2-step-prover", "internlm2-stepprover"),
    ("bfs-prover", "bfs-prover"),
    ("reprover", "reprover"),
    ("leandojo", "reprover"),
)


# The few-shot prompt a model without a known format gets, by assistant ("llemma" for the others).
FEW_SHOT_FORMATS = {"coq": "coq", "hol-light": "hol-light"}


def format_for(model: str, backend: str = "lean") -> str:
    """The default prompt format name for a model id or path and a target backend.

    A `prover train` checkpoint gets the format it was trained on; fine-tuned Lean provers get
    their training format; any other model gets the few-shot prompt of the backend ("coq" for
    Coq, "hol-light" for HOL Light, "llemma" otherwise).
    """
    trained = _trained_format(model)
    if trained is not None:
        return trained
    lowered = model.lower()
    for needle, name in MODEL_FORMATS:
        if needle in lowered:
            return name
    return FEW_SHOT_FORMATS.get(backend, "llemma")


TRAINED_FORMAT_FILE = "prover_train.json"  # written by `prover train` next to the checkpoint


def _trained_format(model: str) -> str | None:
    """The format a `prover train` checkpoint was trained on, read from its folder."""
    import json
    from pathlib import Path

    marker = Path(model) / TRAINED_FORMAT_FILE
    try:
        return json.loads(marker.read_text()).get("prompt_format") if marker.is_file() else None
    except (OSError, ValueError):
        return None


def get_format(name: str | None, model: str, backend: str) -> PromptFormat:
    """The named format, or the model's default when `name` is None or "auto"."""
    if name in (None, "", "auto"):
        name = format_for(model, backend)
    return PROMPTS.get(name)
