"""The toy assistant's descriptor: what `lean_env/prop/assistant.py` would hold for a real one."""

from __future__ import annotations

from lean_env.assistant import Assistant, EnvOptions
from lean_env.base import BadTheorem, ProofEnv, Theorem


class Prop(Assistant):
    name = "prop"
    title = "a toy propositional assistant (the worked example of the extension guide)"
    suffixes = (".prop",)

    def env_class(self) -> type:
        from tests.example_prop.env import PropEnv

        return PropEnv

    def make_env(self, options: EnvOptions) -> ProofEnv:
        from tests.example_prop.env import PropConfig, PropEnv

        return PropEnv(PropConfig(tactic_timeout=options.tactic_timeout))

    def screen(self, tactic: str) -> str | None:
        from tests.example_prop.screen import screen_tactic

        return screen_tactic(tactic)

    def theorem_from_statement(self, statement: str, header: str | None = None) -> Theorem:
        if not statement.strip():
            raise BadTheorem("empty statement")
        return Theorem("goal", header or "", statement.strip(), "prop")


ASSISTANT = Prop()
