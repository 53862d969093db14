"""Coq as the rest of the system sees it (see lean_env/assistant.py)."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from typing import TYPE_CHECKING

from lean_env.assistant import Assistant, EnvOptions

if TYPE_CHECKING:
    from lean_env.base import ProofEnv, Theorem, Verification
    from lean_env.sketch import SketchBackend


# Tactic libraries most competition headers do not import, loaded after each header for the search
# and the proof module (never where the statement is elaborated): `--extra-imports` by default.
DEFAULT_EXTRA_IMPORTS = "From Coq Require Import Lia Lra Psatz."


class Coq(Assistant):
    name = "coq"
    title = "Coq 8.16 (coqtop for the search; coqc and coqchk for verification)"
    suffixes = (".v",)
    sketches = True
    default_dataset = "minif2f-coq"
    install_hint = "install Coq 8.16 (apt-get install -y coq, or: prover setup coq)"
    programs = ("coqtop", "coqc", "coqchk")
    extra_imports = DEFAULT_EXTRA_IMPORTS
    whole_proof = True

    def env_class(self) -> type:
        from lean_env.coq.env import CoqEnv

        return CoqEnv

    def make_env(self, options: EnvOptions) -> ProofEnv:
        from lean_env.coq.env import CoqConfig, CoqEnv

        return CoqEnv(CoqConfig(extra_imports=options.extra_imports, **options.limits()))

    def screen(self, tactic: str) -> str | None:
        from lean_env.coq.sentences import screen_tactic

        return screen_tactic(tactic)

    def version(self) -> str:
        try:
            out = subprocess.run(["coqtop", "--version"], capture_output=True, text=True, timeout=30, check=False)
        except (OSError, subprocess.SubprocessError):
            return "not found"
        return out.stdout.strip().splitlines()[0] if out.stdout.strip() else "unknown"

    def check_extra_imports(self, text: str) -> str:
        from lean_env.coq.env import check_extra_imports

        check_extra_imports(text)
        return text

    def theorem_from_text(self, text: str, name: str | None = None) -> Theorem:
        from lean_env.coq.files import theorem_from_text

        return theorem_from_text(text, name)

    def theorem_from_statement(self, statement: str, header: str | None = None) -> Theorem:
        from lean_env.coq.files import theorem_from_statement

        return theorem_from_statement(statement, header)

    def proof_text(self, theorem: Theorem, proof: Sequence[str], extra_imports: str = "", header: bool = True) -> str:
        """The sentences the verifier compiled (each text screened: its period added, comments
        dropped), not the raw texts: `["intros", "lia"]` must not print as `intros lia Qed.`."""
        from lean_env.coq.sentences import split_tactic

        lines: list[str] = []
        for text in proof:
            sentences, reason = split_tactic(text)
            lines.extend(sentences if reason is None else [text])  # a verified proof's texts screen
        body = "".join(f"  {s}\n" for s in lines)
        extra = f"{extra_imports.strip()}\n" if extra_imports.strip() else ""
        top = f"{theorem.header.rstrip()}\n{extra}\n" if header else ""
        return f"{top}{theorem.statement.strip()}\nProof.\n{body}Qed.\n"

    def unproved_lemmas_used(self, theorem: Theorem, verification: Verification) -> list[str]:
        """Lemmas of the header closed with `Admitted` that the rejected proof used (the verifier
        counts them as axioms the header does not bring)."""
        if "Admitted" not in theorem.header:
            return []
        from lean_env.coq.files import proofs_in_coq_text
        from lean_env.coq.sentences import SentenceError

        try:
            admitted = [p.name for p in proofs_in_coq_text(theorem.header) if p.problem == "proof closed with Admitted"]
        except SentenceError:
            return []
        used = set(verification.axioms) | {word.rstrip(":,") for word in verification.message.split()}
        return [name for name in admitted if name in used or any(u.endswith("." + name) for u in used)]

    def sketcher(self, env: ProofEnv) -> SketchBackend | None:
        from lean_env.coq.sketch import CoqSketcher

        return CoqSketcher(env.config)  # type: ignore[attr-defined]


ASSISTANT = Coq()
