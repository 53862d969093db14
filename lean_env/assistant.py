"""One descriptor per proof assistant: everything the rest of the system needs to know about it.

Each assistant's folder (`lean_env/coq/`, `lean_env/lean_repl/`, ...) holds an `assistant.py` that
exports `ASSISTANT`, an instance of a subclass of `Assistant`; `lean_env.registry.ASSISTANTS` lists
them by name. Code outside an assistant's folder asks the descriptor (`assistant("coq").make_env(...)`)
instead of branching on the name, so adding an assistant is one folder and one registry line.

Descriptors are cheap to import: their methods import the assistant's modules when first called,
so naming an assistant (in `--help`, in a registry listing) never starts or loads anything.
Prompt formats and tactic portfolios are about models, not assistants; they stay in `prover/`,
keyed by the assistant's name.
"""

from __future__ import annotations

import textwrap

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lean_env.base import ProofEnv, Theorem, Verification
    from lean_env.sketch import HoleFiller, SketchBackend


@dataclass(frozen=True, slots=True)
class EnvOptions:
    """What a command may choose about an environment, the same for every assistant.

    `tactic_timeout` is only the default for a `run_tactic` call that passes none; the search
    passes its own budget's timeout on every call. `extra_imports` is for assistants whose
    `extra_imports` attribute says they take them (Coq: tactic libraries loaded after each header).
    """

    tactic_timeout: float = 5.0
    extra_imports: str = ""
    verify_timeout: float | None = None  # seconds for checking one whole proof (None: the env's default)

    def limits(self) -> dict[str, float]:
        """The time limits as keyword arguments of an env's config (the unset ones left to it)."""
        out = {"tactic_timeout": self.tactic_timeout}
        if self.verify_timeout is not None:
            out["verify_timeout"] = self.verify_timeout
        return out


@dataclass(frozen=True, slots=True)
class ProofToCheck:
    """One proof read from a file or a results record, to be checked against its statement."""

    name: str
    header: str
    statement: str
    script: tuple[str, ...]  # tactic texts, screened by the verifier like any model output
    problem: str = ""  # why it cannot be checked (e.g. closed with Admitted), "" when it can



class Assistant:
    """A proof assistant as the rest of the system sees it. Subclasses fill in the class attributes
    and the methods that apply; the defaults say "not supported" with one line."""

    name: str = ""  # registry name and `--backend` value
    title: str = ""  # for humans: "Coq 8.16 (coqtop, coqc, coqchk)"
    suffixes: tuple[str, ...] = ()  # theorem-file suffixes `prove FILE` recognises
    default_dataset: str | None = None  # `eval` without `--dataset`
    install_hint: str = ""  # one line: how to install it (shown when it is missing)
    programs: tuple[str, ...] = ()  # executables that must be on PATH before anything starts
    extra_imports: str | None = None  # the default `--extra-imports`; None: not supported
    whole_proof: bool = False  # whole-proof sampling has a prompt format and a checker for it
    sketches: bool = False  # informal-to-formal: `sketcher` elaborates sketches with holes

    # -- environments --------------------------------------------------------------------------
    def env_class(self) -> type:
        """The ProofEnv class (imported on first use)."""
        raise NotImplementedError

    def make_env(self, options: EnvOptions) -> ProofEnv:
        """A fresh environment. Raises SetupError (one line) when the assistant is missing."""
        raise NotImplementedError

    def screen(self, tactic: str) -> str | None:
        """Why `tactic` may not be sent, or None when it may. Needs no process, so generators can
        drop forbidden candidates early."""
        raise NotImplementedError

    def missing_programs(self) -> list[str]:
        """The `programs` not found on PATH (checked before a run, for a one-line error)."""
        import shutil

        return [program for program in self.programs if shutil.which(program) is None]

    def version(self) -> str:
        """The installed assistant's version line for run summaries ("" when unknown)."""
        return ""

    def check_extra_imports(self, text: str) -> str:
        """`text` as it will be loaded; ValueError (one line) when it is not library loads."""
        if text:
            raise ValueError(f"--extra-imports is only supported for Coq, not {self.name!r}")
        return ""

    # -- theorem files -------------------------------------------------------------------------
    def theorem_from_text(self, text: str, name: str | None = None) -> Theorem:
        """The theorem of one file's text (`name` picks one when the file has several).
        Raises BadTheorem with a one-line message."""
        from lean_env.base import BadTheorem

        raise BadTheorem(f"reading theorem files is not supported for {self.name}")

    def theorem_from_statement(self, statement: str, header: str | None = None) -> Theorem:
        """The theorem of a statement given on the command line. Raises BadTheorem."""
        from lean_env.base import BadTheorem

        raise BadTheorem(f"--statement is not supported for {self.name}: give a file")

    def proof_text(self, theorem: Theorem, proof: Sequence[str], extra_imports: str = "", header: bool = True) -> str:
        """The proof as a user pastes it into a file: header (unless `header` is False), the extra
        imports it was checked with, the statement and the tactics."""
        body = "".join(textwrap.indent(t.strip("\n"), "  ", lambda _: True) + "\n" for t in proof)  # every line
        top = f"{theorem.header.rstrip()}\n\n" if header else ""
        return f"{top}{theorem.statement.rstrip()}\n{body}"

    def unproved_lemmas_used(self, theorem: Theorem, verification: Verification) -> list[str]:
        """Lemmas the theorem's own header leaves unproved that a rejected proof relied on (a hint
        for the user: prove them first, or state them as hypotheses)."""
        return []

    # -- informal-to-formal --------------------------------------------------------------------
    def sketcher(self, env: ProofEnv) -> SketchBackend | None:
        """The sketch elaborator sharing `env` (None when `sketches` is False)."""
        return None

    def hole_filler(self, env: ProofEnv) -> HoleFiller | None:
        """The assistant's own hole filler (Isabelle: its hammers), or None: holes are filled
        by a tactic search with the portfolio."""
        return None
