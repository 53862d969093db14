"""Few-shot prompt formats for drafting informal proofs and sketching formal ones, per backend.

Sources. The layout is Draft-Sketch-Prove's (Jiang et al. 2022, arXiv 2210.12283; repository
albertqjiang/draft_sketch_prove, `autoformalization/utils.py`), as reused by Llemma's
`minif2f_isabelle_informal2formal` task (wellecks/lm-evaluation-harness, branch minif2f-isabelle,
`lm_eval/tasks/minif2f_isabelle.py`): an informal problem and solution inside a comment, then
"Formal:" and the statement, which the model continues with a proof whose steps carry the informal
sentences as comments and end in holes. Isabelle holes are DSP's `sledgehammer`; Lean holes are
`have h : P := by sorry` as in DSP+ (microsoft/DSP-Plus) and DeepSeek-Prover-V2; Coq holes are
`assert (h : P) by admit.`, the same idiom in Coq's tactic language (our own). The draft prompt is
Minerva-style "Problem:/Solution:" as in DSP's Minerva drafts (DSP: arXiv 2210.12283). The
exemplars are our own, written for this project on problems
that are not in miniF2F, so no benchmark proof leaks into a prompt.
"""

from __future__ import annotations

from dataclasses import dataclass

from lean_env.base import Theorem


@dataclass(frozen=True, slots=True)
class InformalProblem:
    """One problem: informal text plus the formal theorem in one backend."""

    name: str
    informal_statement: str
    informal_proof: str | None  # None: a model drafts it
    theorem: Theorem


@dataclass(frozen=True, slots=True)
class Exemplar:
    informal_statement: str
    informal_proof: str
    formal_statement: str  # as the backend states it
    formal_sketch: str  # the proof with holes, from the first line after the statement
    header: str = ""  # the imports the exemplar is written against (tests elaborate it there)


@dataclass(frozen=True, slots=True)
class SketchFormat:
    backend: str
    exemplars: tuple[Exemplar, ...]
    stop: tuple[str, ...]  # completions end before any of these
    source: str  # where the layout comes from

    def render(self, problem: InformalProblem, draft: str) -> str:
        """The prompt: exemplars, then this problem up to its formal statement."""
        blocks = [
            _block(e.informal_statement, e.informal_proof, e.formal_statement) + e.formal_sketch.rstrip() + "\n"
            for e in self.exemplars
        ]
        blocks.append(_block(problem.informal_statement, draft, problem.theorem.statement.strip()))
        return "\n\n".join(blocks)


def _block(statement: str, proof: str, formal: str) -> str:
    return (
        f"Informal:\n(*### Problem\n\n{statement.strip()}\n\n### Solution\n\n{proof.strip()}*)\n\n"
        f"Formal:\n{formal.strip()}\n"
    )


_SQ = (
    "Show that for every real number $x$, $x^2 - 2x + 1 \\geq 0$.",
    "We have $x^2 - 2x + 1 = (x - 1)^2$. A square is nonnegative, hence the result.",
)
_LIN = (
    "Let $n$ be a natural number such that $3n + 2 = 17$. Show that $n = 5$.",
    "Subtracting 2 from both sides gives $3n = 15$. Dividing by 3 gives $n = 5$.",
)

COQ = SketchFormat(
    "coq",
    (
        Exemplar(
            *_SQ,
            "Theorem sq_shift_nonneg : forall x : R, x ^ 2 - 2 * x + 1 >= 0.",
            "Proof.\n  intros x.\n  (* We have x^2 - 2x + 1 = (x - 1)^2. *)\n"
            "  assert (h0 : x ^ 2 - 2 * x + 1 = (x - 1) ^ 2) by admit.\n"
            "  (* A square is nonnegative. *)\n  assert (h1 : (x - 1) ^ 2 >= 0) by admit.\n"
            "  (* Hence the result. *)\n  lra.\nQed.",
            "Require Import Reals Lra.\nOpen Scope R_scope.\n",
        ),
        Exemplar(
            *_LIN,
            "Theorem linear_nat : forall n : nat, 3 * n + 2 = 17 -> n = 5.",
            "Proof.\n  intros n h0.\n  (* Subtracting 2 from both sides gives 3n = 15. *)\n"
            "  assert (h1 : 3 * n = 15) by admit.\n  (* Dividing by 3 gives n = 5. *)\n  lia.\nQed.",
            "Require Import Arith Lia.\n",
        ),
    ),
    ("\n\n\n", "Informal:"),
    "DSP layout (draft_sketch_prove autoformalization/utils.py); Coq hole idiom `assert (...) by admit.`",
)

LEAN = SketchFormat(
    "lean",
    (
        Exemplar(
            *_SQ,
            "theorem sq_shift_nonneg (x : ℝ) : x ^ 2 - 2 * x + 1 ≥ 0 := by",
            "  -- We have x^2 - 2x + 1 = (x - 1)^2.\n  have h0 : x ^ 2 - 2 * x + 1 = (x - 1) ^ 2 := by sorry\n"
            "  -- A square is nonnegative.\n  have h1 : (x - 1) ^ 2 ≥ 0 := by sorry\n"
            "  -- Hence the result.\n  linarith",
        ),
        Exemplar(
            *_LIN,
            "theorem linear_nat (n : ℕ) (h₀ : 3 * n + 2 = 17) : n = 5 := by",
            "  -- Subtracting 2 from both sides gives 3n = 15.\n  have h₁ : 3 * n = 15 := by sorry\n"
            "  -- Dividing by 3 gives n = 5.\n  omega",
        ),
    ),
    ("\n\n\n", "Informal:"),
    "DSP layout; Lean `have ... := by sorry` holes as in DSP+ (microsoft/DSP-Plus) and DeepSeek-Prover-V2",
)

ISABELLE = SketchFormat(
    "isabelle",
    (
        Exemplar(
            *_SQ,
            'theorem sq_shift_nonneg:\n  fixes x :: real\n  shows "x^2 - 2 * x + 1 \\<ge> 0"',
            "proof -\n  (* We have x^2 - 2x + 1 = (x - 1)^2. *)\n"
            '  have c0: "x^2 - 2 * x + 1 = (x - 1)^2"\n    sledgehammer\n'
            '  (* A square is nonnegative. *)\n  have c1: "(x - 1)^2 \\<ge> 0"\n    sledgehammer\n'
            "  (* Hence the result. *)\n  then show ?thesis\n    sledgehammer\nqed",
        ),
        Exemplar(
            *_LIN,
            'theorem linear_nat:\n  fixes n :: nat\n  assumes h0: "3 * n + 2 = 17"\n  shows "n = 5"',
            "proof -\n  (* Subtracting 2 from both sides gives 3n = 15. *)\n"
            '  have c0: "3 * n = 15"\n    using h0 sledgehammer\n'
            "  (* Dividing by 3 gives n = 5. *)\n  then show ?thesis\n    sledgehammer\nqed",
        ),
    ),
    ("\n\n\n", "Informal:"),
    "DSP (draft_sketch_prove) and Llemma's minif2f_isabelle_informal2formal task: `sledgehammer` holes",
)

SKETCH_FORMATS: dict[str, SketchFormat] = {"coq": COQ, "lean": LEAN, "isabelle": ISABELLE}

DRAFT_EXEMPLARS: tuple[tuple[str, str], ...] = (_SQ, _LIN)
DRAFT_STOP: tuple[str, ...] = ("\n\nProblem:",)


def draft_prompt(problem: InformalProblem) -> str:
    """Minerva-style few-shot prompt for an informal proof (DSP's "draft" step)."""
    shots = [f"Problem:\n{s}\n\nSolution:\n{p}" for s, p in DRAFT_EXEMPLARS]
    shots.append(f"Problem:\n{problem.informal_statement.strip()}\n\nSolution:\n")
    return "\n\n".join(shots)


def sketch_format(backend: str) -> SketchFormat:
    if backend not in SKETCH_FORMATS:
        raise ValueError(f"no sketch prompt format for backend {backend!r} (known: {', '.join(SKETCH_FORMATS)})")
    return SKETCH_FORMATS[backend]
