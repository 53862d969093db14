"""Lean 4 through LeanDojo's traced repositories (optional: needs the lean-dojo package)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lean_env.assistant import Assistant, EnvOptions

if TYPE_CHECKING:
    from lean_env.base import ProofEnv


class LeanDojo(Assistant):
    name = "leandojo"
    title = "Lean 4 through LeanDojo (theorems of a traced repository)"
    default_dataset = "leandojo-traced"
    install_hint = "pip install lean-dojo (and a traced repository; see LeanDojo's documentation)"

    def env_class(self) -> type:
        from lean_env.leandojo.env import LeanDojoEnv

        return LeanDojoEnv

    def make_env(self, options: EnvOptions) -> ProofEnv:
        from lean_env.leandojo.env import DojoConfig, LeanDojoEnv

        return LeanDojoEnv(DojoConfig(tactic_timeout=options.tactic_timeout))

    def screen(self, tactic: str) -> str | None:
        from lean_env.lean_repl.screen import screen_tactic

        return screen_tactic(tactic)


ASSISTANT = LeanDojo()
