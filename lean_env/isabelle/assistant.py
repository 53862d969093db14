"""Isabelle/HOL through its server, as the rest of the system sees it (see lean_env/assistant.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lean_env.assistant import Assistant, EnvOptions

if TYPE_CHECKING:
    from lean_env.base import ProofEnv, Theorem
    from lean_env.sketch import HoleFiller, SketchBackend


class Isabelle(Assistant):
    name = "isabelle"
    title = "Isabelle/HOL through the Isabelle server (sledgehammer for holes)"
    suffixes = (".thy",)
    sketches = True
    default_dataset = "minif2f-isabelle"
    install_hint = "install Isabelle and put `isabelle` on PATH (or give --isabelle PATH)"

    def env_class(self) -> type:
        from lean_env.isabelle.env import IsabelleEnv

        return IsabelleEnv

    def make_env(self, options: EnvOptions) -> ProofEnv:
        from lean_env.isabelle.env import IsabelleConfig, IsabelleEnv

        return IsabelleEnv(IsabelleConfig(**options.limits()))

    def screen(self, tactic: str) -> str | None:
        from lean_env.isabelle.screen import screen_tactic

        return screen_tactic(tactic)

    def theorem_from_text(self, text: str, name: str | None = None) -> Theorem:
        from lean_env.isabelle.files import theorem_from_text

        return theorem_from_text(text, name)

    def sketcher(self, env: ProofEnv) -> SketchBackend | None:
        from lean_env.isabelle.sketch import IsabelleSketcher

        return IsabelleSketcher(env)  # type: ignore[arg-type]

    def hole_filler(self, env: ProofEnv) -> HoleFiller | None:
        from lean_env.isabelle.sketch import HammerFiller

        return HammerFiller(env)  # type: ignore[arg-type]


ASSISTANT = Isabelle()
