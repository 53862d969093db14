"""Lean 4 through the community REPL, as the rest of the system sees it (see lean_env/assistant.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lean_env.assistant import Assistant, EnvOptions

if TYPE_CHECKING:
    from lean_env.base import ProofEnv, Theorem
    from lean_env.sketch import SketchBackend


class Lean(Assistant):
    name = "lean"
    title = "Lean 4 + Mathlib through the community REPL"
    suffixes = (".lean",)
    sketches = True
    default_dataset = "minif2f-lean4"
    install_hint = "prover setup lean (elan, the pinned toolchain, Mathlib's cache and the REPL)"
    whole_proof = True

    def env_class(self) -> type:
        from lean_env.lean_repl.env import LeanEnv

        return LeanEnv

    def make_env(self, options: EnvOptions) -> ProofEnv:
        from lean_env.lean_repl.env import LeanConfig, LeanEnv

        return LeanEnv(LeanConfig(**options.limits()))

    def screen(self, tactic: str) -> str | None:
        from lean_env.lean_repl.screen import screen_tactic

        return screen_tactic(tactic)

    def theorem_from_text(self, text: str, name: str | None = None) -> Theorem:
        from lean_env.lean_repl.files import theorem_from_text

        return theorem_from_text(text, name)

    def theorem_from_statement(self, statement: str, header: str | None = None) -> Theorem:
        from lean_env.lean_repl.files import theorem_from_statement

        return theorem_from_statement(statement, header)

    def sketcher(self, env: ProofEnv) -> SketchBackend | None:
        from lean_env.lean_repl.sketch import LeanSketcher

        return LeanSketcher(env)


ASSISTANT = Lean()
