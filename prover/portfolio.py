"""Automation portfolios: a fixed list of tactics per backend, each with a prior score.

The baseline every model is compared with, and the first thing tried when combined with a model.
Priors are rough success rates on competition problems; scores are their logarithms. On
miniF2F-rocq valid the Coq list's own search proves about 35% (README: 64 expansions, 20 s), with
the default extra imports that load `lia`, `lra` and `nia`.
"""

from __future__ import annotations

import math
from typing import Sequence

from lean_env.base import ProofState, Theorem
from prover.base import Candidate, dedupe

# Extra imports that make the portfolio's CoqHammer and Interval tactics available (Debian
# packages libcoq-hammer, eprover, z3, libcoq-interval).
HAMMER_IMPORTS = (
    "From Coq Require Import Lia Lra Psatz. From Hammer Require Import Hammer. From Interval Require Import Tactic."
)

# A nat numeral of 5,000 or more is elaborated as `Nat.of_num_uint <digits>` (to spare a stack
# of `S`), an application `lia` cannot read: `123 * n + 17 = 39500` is beyond it. This names each
# such numeral of up to five digits and states its value in Z, computed (cheap at that size).
NAT_NUMERALS = (
    "repeat (let d := match goal with |- context [Init.Nat.of_num_uint (Number.UIntDecimal ?d)] => d "
    "| _ : context [Init.Nat.of_num_uint (Number.UIntDecimal ?d)] |- _ => d end in "
    "lazymatch eval vm_compute in (Nat.leb (Decimal.nb_digits d) 5) with true => idtac end; "
    "let z := eval vm_compute in (BinInt.Z.of_uint d) in let c := fresh in "
    "set (c := Init.Nat.of_num_uint (Number.UIntDecimal d)) in *; "
    "assert (BinInt.Z.of_nat c = z) by (unfold c; vm_compute; reflexivity); clearbody c)"
)
# `lia` in Coq 8.16 treats `n mod 8` and `n / 8` on nat as opaque atoms. This turns the goal into
# Z, pushes the casts inside `mod` and `/`, and replaces each by its defining equation
# (a = b * q + r, 0 <= r < b), which is linear when b is a numeral: Lean's `omega` does the same.
# Names are qualified so that it needs only the Lia import.
MOD_DIV_LIA = (
    f"{NAT_NUMERALS}; Zify.zify; rewrite ?Znat.Nat2Z.inj_mod, ?Znat.Nat2Z.inj_div in *; "
    "simpl BinInt.Z.of_nat in *; PreOmega.Z.div_mod_to_equations; lia"
)

# (tactic, prior): decisive closers first, then goal-shaping steps that let them apply.
PORTFOLIOS: dict[str, tuple[tuple[str, float], ...]] = {
    "coq": (
        ("lia.", 0.30),
        ("auto.", 0.25),
        ("reflexivity.", 0.20),
        ("easy.", 0.20),
        ("lra.", 0.15),
        ("nia.", 0.15),
        ("field.", 0.12),
        ("ring.", 0.12),
        ("intuition.", 0.10),
        ("nra.", 0.10),
        ("psatz R 2.", 0.05),
        # `n mod 8` and `n / 8` replaced by their defining equations, large numerals named (MOD_DIV_LIA).
        (f"intros; {MOD_DIV_LIA}.", 0.06),
        # Absolute values: split on the sign of every `Rabs x` in goal and hypotheses, then `lra`.
        (
            "intros; unfold Rabs in *; repeat match goal with |- context [Rcase_abs ?x] => "
            "destruct (Rcase_abs x) | H : context [Rcase_abs ?x] |- _ => destruct (Rcase_abs x) end; lra.",
            0.04,
        ),
        ("intros.", 0.40),
        ("split.", 0.08),
        # An equation with divisions among the hypotheses, multiplied out (its side conditions,
        # denominators <> 0, usually follow from the hypotheses by lra).
        ("intros; match goal with H : context [Rdiv _ _] |- _ => field_simplify_eq in H end; try lra; try nra.", 0.05),
        ("simpl.", 0.06),
        ("subst.", 0.05),
        ("f_equal.", 0.04),
        ("compute.", 0.03),
        ("vm_compute; reflexivity.", 0.03),
        ("intros n; induction n; simpl; auto.", 0.03),
        ("constructor.", 0.03),
        # Need their libraries in the extra imports (HAMMER_IMPORTS); without them they fail at once.
        ("interval.", 0.03),  # Interval: bounds on sqrt, ln, exp, ... by interval arithmetic
        ("sauto.", 0.03),  # CoqHammer's proof search, no external prover
        ("hammer.", 0.02),  # E/Z3 pick lemmas; the bridge records the printed reconstruction instead
    ),
    "lean": (
        ("norm_num", 0.30),
        ("linarith", 0.25),
        ("nlinarith", 0.15),
        ("omega", 0.25),
        ("simp", 0.20),
        ("decide", 0.10),
        ("ring", 0.15),
        ("field_simp", 0.10),
        ("positivity", 0.10),
        ("intro h", 0.20),
        ("constructor", 0.08),
        ("aesop", 0.10),
        ("norm_num [*] at *", 0.05),
        ("simp_all", 0.08),
        ("exact?", 0.02),
    ),
    "isabelle": (
        ("by simp", 0.3),
        ("by auto", 0.3),
        ("by arith", 0.2),
        ("by linarith", 0.2),
        ("by (simp add: field_simps)", 0.1),
        ("by nlinarith", 0.1),
        ("by blast", 0.1),
        ("by fastforce", 0.05),
        ("by presburger", 0.05),
        ("by code_simp", 0.05),  # evaluation checked by the kernel (`eval` trusts an oracle: refused)
        ("by sos", 0.03),
    ),
    # HOL Light: decision procedures first, numeral evaluation, then intro steps that expose
    # hypotheses to them. MESON and the field procedure can run long: they come last among closers.
    "hol-light": (
        ("ARITH_TAC", 0.25),
        ("REAL_ARITH_TAC", 0.25),
        ("INT_ARITH_TAC", 0.15),
        ("CONV_TAC REAL_RAT_REDUCE_CONV", 0.12),
        ("CONV_TAC NUM_REDUCE_CONV", 0.12),
        ("CONV_TAC REAL_FIELD", 0.10),
        ("ASM_ARITH_TAC", 0.15),
        ("ASM_REAL_ARITH_TAC", 0.12),
        ("REWRITE_TAC[]", 0.08),
        ("ASM_REWRITE_TAC[]", 0.06),
        ("SIMP_TAC[]", 0.05),
        ("MESON_TAC[]", 0.05),
        ("ASM_MESON_TAC[]", 0.04),
        ("REPEAT STRIP_TAC", 0.40),
        ("GEN_TAC", 0.10),
        ("STRIP_TAC", 0.10),
        ("CONJ_TAC", 0.06),
        ("EQ_TAC", 0.03),
        ("REAL_ARITH_TAC ORELSE CONV_TAC REAL_RAT_REDUCE_CONV", 0.03),
        ("CONV_TAC(ONCE_DEPTH_CONV NUM_REDUCE_CONV) THEN ARITH_TAC", 0.03),
    ),
}
PORTFOLIOS["leandojo"] = PORTFOLIOS["lean"]  # Lean 4 through LeanDojo: the same tactics


class PortfolioGenerator:
    """Proposes the backend's fixed automation list, best prior first, whatever the state."""

    name = "portfolio"

    def __init__(self, backend: str, tactics: Sequence[tuple[str, float]] | None = None) -> None:
        if tactics is None:
            if backend not in PORTFOLIOS:
                raise ValueError(f"no automation portfolio for backend {backend!r}")
            tactics = PORTFOLIOS[backend]
        self.backend = backend
        self._candidates = dedupe([Candidate(t, math.log(p), self.name) for t, p in tactics], len(tactics))

    def generate(self, theorem: Theorem, state: ProofState, k: int) -> list[Candidate]:
        return self._candidates[:k]
