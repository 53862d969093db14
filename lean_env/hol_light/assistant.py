"""HOL Light as the rest of the system sees it (see lean_env/assistant.py)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from lean_env.assistant import Assistant, EnvOptions

if TYPE_CHECKING:
    from lean_env.base import ProofEnv, Theorem


class HolLight(Assistant):
    name = "hol-light"
    title = "HOL Light (Debian's hol-light: a loaded toplevel forked per theorem and per check)"
    suffixes = (".ml",)
    default_dataset = "minif2f-hollight"
    install_hint = "install HOL Light: apt-get install -y hol-light libnum-ocaml-dev (or: prover setup hol-light)"

    def env_class(self) -> type:
        from lean_env.hol_light.env import HolLightEnv

        return HolLightEnv

    def make_env(self, options: EnvOptions) -> ProofEnv:
        from lean_env.hol_light.env import HolLightConfig, HolLightEnv

        return HolLightEnv(HolLightConfig(**options.limits()))

    def screen(self, tactic: str) -> str | None:
        from lean_env.hol_light.screen import screen_tactic

        return screen_tactic(tactic)

    def version(self) -> str:
        from lean_env.hol_light.zygote import HOL_DIR

        try:
            m = re.search(r'hol_version\s*=\s*"([^"]+)"', (Path(HOL_DIR) / "hol.ml").read_text())
        except OSError:
            return "not found"
        return f"HOL Light {m.group(1)}" if m else "unknown"

    def theorem_from_text(self, text: str, name: str | None = None) -> Theorem:
        from lean_env.hol_light.statements import theorem_from_text

        return theorem_from_text(text, name)

    def theorem_from_statement(self, statement: str, header: str | None = None) -> Theorem:
        from lean_env.base import BadTheorem, Theorem

        term = statement.strip()
        if term.startswith("`") and term.endswith("`") and len(term) > 1:
            term = term[1:-1].strip()
        if not term or "`" in term:
            raise BadTheorem("give the statement as one HOL Light term, e.g. `!n. n + 0 = n`")
        if header and header.strip():
            raise BadTheorem("HOL Light statements take no header (the libraries are fixed)")
        return Theorem("goal", "", term, "hol-light")

    def proof_text(self, theorem: Theorem, proof: Sequence[str], extra_imports: str = "", header: bool = True) -> str:
        from lean_env.hol_light.statements import proof_text

        return proof_text(theorem, proof)


ASSISTANT = HolLight()
