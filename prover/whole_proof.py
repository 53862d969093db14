"""Whole-proof prompt formats and output extraction, for provers that write a complete proof at once.

DeepSeek-Prover, Goedel-Prover and Kimina-Prover are not asked for one tactic on a proof state:
they get the theorem statement and write the whole proof, and are scored by pass@k over sampled
proofs. Each `WholeProofFormat` records which published description its layout follows (`source`);
the instruction sentences are our own wording of those descriptions, so a user who needs the
exact published text passes it with `--prompt-format` pointing at their own registered format.

Extraction is deliberately narrow: the proof is taken from the LAST fenced code block of the
backend's language (or, for completion-style formats, from the continuation of the statement),
and only the text after the theorem's own statement counts. Whatever comes back is untrusted:
the caller screens and checks it like any tactic text.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from lean_env.base import Theorem
from lean_env.coq.declarations import KEYWORD
from lean_env.registry import Registry
from prover.model_spec import DEFAULT_TEMPERATURE, WHOLE_PROOFS


class ExtractionError(ValueError):
    """The model output holds no proof of the theorem (no code block, another theorem, ...)."""


@dataclass(frozen=True, slots=True)
class WholeProofFormat:
    """How to ask for a whole proof, and where the proof sits in the answer."""

    name: str
    source: str  # the model card / repository README whose description the layout follows
    backend: str  # "lean" or "coq"
    build: Callable[[Theorem, str], str]  # (theorem, informal statement or "") -> prompt
    completion: bool  # True: the prompt ends inside the code block and the model continues it
    stop: tuple[str, ...] = ()
    description: str = ""

    def render(self, theorem: Theorem, informal: str = "") -> str:
        return self.build(theorem, informal)

    def extract(self, output: str, theorem: Theorem) -> str:
        """The proof body in `output` (tactics after the statement). Raises ExtractionError."""
        return EXTRACTORS[self.backend](output, theorem, self.completion)


# --- extraction --------------------------------------------------------------------------------

# One way only to read the blanks after the backticks: with two `[ \t]*` around an optional
# language name, a run of blanks was split every possible way (quadratic in the run).
_FENCE = re.compile(r"```[ \t]*(?:([A-Za-z0-9_+-]+)[ \t]*)?\n(.*?)(?:```|\Z)", re.S)


def last_block(output: str, languages: Sequence[str]) -> str | None:
    """The body of the last fenced block tagged with one of `languages` (an unclosed last block
    counts: generation often stops at the token limit inside it)."""
    found = None
    for match in _FENCE.finditer(output):
        if (match.group(1) or "").lower() in languages:
            found = match.group(2)
    return found


def _lean_statement_end(text: str, name: str) -> int | None:
    """Offset just after `:= by` of the declaration of `name` in `text`, or None."""
    # `[ \t]*`, not `\s*`, after `^`, and an attribute list on its line: a pattern that spans
    # lines is tried again from every line start, quadratic on an answer of blank lines (a
    # minute for 120,000 characters) or of lines opening `@[` (red-team round 26).
    decl = re.search(rf"(?m)^[ \t]*(?:@\[[^\]\n]*\]\s*)?(?:theorem|lemma)\s+{re.escape(name)}(?![\w'.])", text)
    if decl is None:
        return None
    by = re.compile(r":=\s*by\b").search(text, decl.end())
    return by.end() if by else None


def extract_lean(output: str, theorem: Theorem, completion: bool) -> str:
    """The tactic block proving `theorem` in a Lean 4 answer.

    Completion formats: the answer continues the statement, up to the closing fence. Chat formats:
    the last ```lean4 (or ```lean) block, cut after `theorem NAME ... := by`."""
    if completion:
        body = output.split("```", 1)[0]
        # A model may restate the theorem inside its continuation: keep what follows it.
        end = _lean_statement_end(body, theorem.name)
        body = body[end:] if end is not None else body
    else:
        block = last_block(output, ("lean4", "lean"))
        if block is None:
            raise ExtractionError("no ```lean4 block in the output")
        end = _lean_statement_end(block, theorem.name)
        if end is None:
            raise ExtractionError(f"the last ```lean4 block does not prove {theorem.name}")
        body = block[end:]
    proof = textwrap.dedent(body.strip("\n")).strip()
    if not proof:
        raise ExtractionError("empty proof")
    return proof


def extract_coq(output: str, theorem: Theorem, completion: bool) -> str:
    """The script proving `theorem` in a Coq answer: after `Proof.` (or after the statement when
    the block restates it without `Proof.`), up to the final `Qed.`/`Defined.`.

    Anything else that ends the proof (`Admitted.`, `Abort.`) is kept in the script, where the
    sentence screen refuses it: a proof that gives up must never look complete."""
    if completion and last_block(output, ("coq", "rocq")) is None:
        body = output.split("```", 1)[0]  # the continuation of the prompt's open block
    else:
        block = last_block(output, ("coq", "rocq"))
        if block is None:
            raise ExtractionError("no ```coq block in the output")
        body = block
        decl = re.search(
            rf"{KEYWORD}\s+{re.escape(theorem.name)}(?![\w'])", body
        )
        if decl is None and not completion:
            raise ExtractionError(f"the last ```coq block does not prove {theorem.name}")
        if decl is not None:
            body = body[decl.start():]
            # the statement is one sentence: skip to its end (a period followed by a blank)
            stop = re.search(r"\.(\s|$)", body)
            body = body[stop.end():] if stop else ""
    body = re.sub(r"^\s*Proof\s*\.", "", body, count=1)
    ends = list(re.finditer(r"(?<![\w.])(?:Qed|Defined)\s*\.", body))
    if ends:
        body = body[: ends[-1].start()]
    proof = body.strip()
    if not proof:
        raise ExtractionError("empty proof")
    return proof


# Where the proof sits in a model's answer, by the assistant a format is written for.
EXTRACTORS: dict[str, Callable[[str, Theorem, bool], str]] = {"coq": extract_coq, "lean": extract_lean}


# --- prompt layouts ----------------------------------------------------------------------------


def _lean_code(theorem: Theorem, informal: str = "") -> str:
    """Header, an optional doc comment with the informal statement, and the statement up to `:= by`."""
    statement = theorem.statement.rstrip()
    if not re.search(r":=\s*by$", statement):
        statement = statement.rstrip(":= ") + " := by"
    comment = f"/-- {informal.strip()} -/\n" if informal.strip() else ""
    return f"{theorem.header.rstrip()}\n\n{comment}{statement}"


def _deepseek_chat(user: str) -> str:
    # DeepSeek's chat template: begin-of-sentence, user turn, assistant turn.
    return f"<｜begin▁of▁sentence｜><｜User｜>{user}<｜Assistant｜>"


def _chatml(user: str, system: str = "") -> str:
    sys_turn = f"<|im_start|>system\n{system}<|im_end|>\n" if system else ""
    return f"{sys_turn}<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"


_PLAN = (
    "First write a proof plan in plain words: the main steps, the key lemmas and how the formal "
    "proof will be organised. Then write the complete Lean 4 proof."
)


def _v15(theorem: Theorem, informal: str) -> str:
    return f"Complete the Lean 4 code below.\n\n```lean4\n{_lean_code(theorem, informal)}\n"


def _v15_cot(theorem: Theorem, informal: str) -> str:
    return (
        "Complete the Lean 4 code below, with a comment explaining each step before its code.\n\n"
        f"```lean4\n{_lean_code(theorem, informal)}\n"
    )


def _v2(theorem: Theorem, informal: str) -> str:
    return _deepseek_chat(f"Complete the Lean 4 code below.\n\n```lean4\n{_lean_code(theorem)} sorry\n```")


def _v2_cot(theorem: Theorem, informal: str) -> str:
    return _deepseek_chat(f"Complete the Lean 4 code below.\n\n```lean4\n{_lean_code(theorem)} sorry\n```\n\n{_PLAN}")


def _goedel_v2(theorem: Theorem, informal: str) -> str:
    return _chatml(f"Complete the Lean 4 code below.\n\n```lean4\n{_lean_code(theorem)} sorry\n```\n\n{_PLAN}")


def _kimina(theorem: Theorem, informal: str) -> str:
    problem = informal.strip() or f"Prove the theorem {theorem.name}."
    user = (
        "Reason step by step, then solve this problem in Lean 4.\n"
        f"# Problem: {problem}\n# Formal statement:\n```lean4\n{_lean_code(theorem)}\n```\n"
    )
    return _chatml(user, system="You are a mathematician fluent in Lean 4.")


def _coq(theorem: Theorem, informal: str) -> str:
    comment = f"(* {informal.strip()} *)\n" if informal.strip() else ""
    return (
        "Complete the Coq proof below: write the tactics after Proof. and end with Qed.\n\n"
        f"```coq\n{theorem.header.rstrip()}\n\n{comment}{theorem.statement.strip()}\nProof.\n"
    )


WHOLE_PROOF_FORMATS: Registry[WholeProofFormat] = Registry("whole-proof prompt format")

for _fmt in (
    WholeProofFormat(
        "deepseek-prover-v1.5", "DeepSeek-Prover-V1.5 (arXiv 2408.08152), deepseek-ai/DeepSeek-Prover-V1.5 README "
        "and the DeepSeek-Prover-V1.5-SFT/RL model cards: non-CoT 'complete the Lean 4 code' completion",
        "lean", _v15, True, stop=("```",), description="base-model completion of the statement inside a lean4 block"),
    WholeProofFormat(
        "deepseek-prover-v1.5-cot", "DeepSeek-Prover-V1.5 (arXiv 2408.08152), deepseek-ai/DeepSeek-Prover-V1.5 README: "
        "CoT variant, explanatory comments before each line", "lean", _v15_cot, True, stop=("```",),
        description="completion with a comment before each step"),
    WholeProofFormat(
        "deepseek-prover-v2", "DeepSeek-Prover-V2 (arXiv 2504.21801), deepseek-ai/DeepSeek-Prover-V2-7B model card: "
        "chat prompt with the statement in a lean4 block, non-CoT", "lean", _v2, False,
        description="DeepSeek chat template; answer ends with a lean4 block"),
    WholeProofFormat(
        "deepseek-prover-v2-cot", "DeepSeek-Prover-V2 (arXiv 2504.21801), deepseek-ai/DeepSeek-Prover-V2-7B model card: "
        "chat prompt asking for a proof plan before the code (CoT)", "lean", _v2_cot, False,
        description="DeepSeek chat template; plan, then a lean4 block"),
    WholeProofFormat(
        "goedel-prover", "Goedel-Prover (arXiv 2502.07640), Goedel-LM/Goedel-Prover-SFT model card and "
        "Goedel-LM/Goedel-Prover README: DeepSeek-Prover-V1.5 completion layout with step comments",
        "lean", _v15_cot, True, stop=("```",), description="as deepseek-prover-v1.5-cot"),
    WholeProofFormat(
        "goedel-prover-v2", "Goedel-Prover-V2 (arXiv 2508.03613), Goedel-LM/Goedel-Prover-V2-8B/32B model cards: "
        "Qwen3 chat template, plan then a lean4 block", "lean", _goedel_v2, False,
        description="ChatML; plan, then a lean4 block"),
    WholeProofFormat(
        "kimina-prover", "Kimina-Prover Preview (arXiv 2504.11354), AI-MO/Kimina-Prover-Preview-Distill model cards: "
        "Qwen2.5 chat with a system turn, problem and formal statement; think, then a lean4 block",
        "lean", _kimina, False, description="ChatML with system turn; informal problem + statement"),
    WholeProofFormat(
        "coq-whole", "our Coq counterpart of the 'complete the code' completion layout", "coq", _coq, True,
        stop=("```",), description="completion after Proof. inside a coq block, ended by Qed."),
):
    WHOLE_PROOF_FORMATS.register(_fmt.name, _fmt)

# Lower-cased substrings of a model id -> its format (first match wins; CoT is the published default
# for the V2 and Goedel-V2 cards).
MODEL_WHOLE_FORMATS: tuple[tuple[str, str], ...] = (
    ("deepseek-prover-v2", "deepseek-prover-v2-cot"),
    ("deepseek-prover-v1.5", "deepseek-prover-v1.5"),
    ("goedel-prover-v2", "goedel-prover-v2"),
    ("goedel-prover", "goedel-prover"),
    ("kimina-prover", "kimina-prover"),
)


# Assistants with a single whole-proof format (the others choose by model id, below).
SOLE_WHOLE_FORMAT = {"coq": "coq-whole"}


def whole_format_for(model: str | None, backend: str) -> str:
    """The default whole-proof format for a model id and a backend (Coq has one)."""
    if backend in SOLE_WHOLE_FORMAT:
        return SOLE_WHOLE_FORMAT[backend]
    lowered = (model or "").lower()
    for needle, name in MODEL_WHOLE_FORMATS:
        if needle in lowered:
            return name
    return "deepseek-prover-v1.5"


def get_whole_format(name: str | None, model: str | None, backend: str) -> WholeProofFormat:
    """The named format, or the model's default; refuses a format written for another backend."""
    fmt = WHOLE_PROOF_FORMATS.get(name if name not in (None, "", "auto") else whole_format_for(model, backend))
    if fmt.backend != backend:
        raise ValueError(f"prompt format {fmt.name!r} is for {fmt.backend}, not {backend}")
    return fmt


# --- samplers ----------------------------------------------------------------------------------


@runtime_checkable
class ProofSampler(Protocol):
    """Writes whole-proof model outputs for a theorem (raw text: extraction is the caller's)."""

    def sample(self, theorem: Theorem, start: int, n: int) -> list[str]:
        """Outputs for sample indices start .. start+n-1 (fewer when a fixed source runs out)."""
        ...


class CompleterSampler:
    """Samples from any text completer (`prover.sketcher.Completer`: engines of every kind)."""

    def __init__(self, completer, fmt: WholeProofFormat, max_tokens: int = 2048,
                 temperature: float = DEFAULT_TEMPERATURE[WHOLE_PROOFS],
                 informal: Callable[[Theorem], str] | None = None) -> None:
        self.completer = completer
        self.format = fmt
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.informal = informal

    def sample(self, theorem: Theorem, start: int, n: int) -> list[str]:
        prompt = self.format.render(theorem, self.informal(theorem) if self.informal else "")
        return list(self.completer.complete(prompt, n, self.max_tokens, self.format.stop, self.temperature))[:n]


class RecordedSampler:
    """Returns recorded outputs by sample index: re-checking a real model's outputs, and the test
    stand-in for a model. `outputs(theorem)` gives the list for a theorem."""

    def __init__(self, outputs: Callable[[Theorem], Sequence[str]]) -> None:
        self.outputs = outputs

    def sample(self, theorem: Theorem, start: int, n: int) -> list[str]:
        return list(self.outputs(theorem))[start : start + n]
