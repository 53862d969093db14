"""A stand-in for the `lean_dojo` package: the same names and shapes, a toy Lean behind them.

Mimics lean_dojo 4.x's interaction API (`LeanGitRepo`, `Theorem`, `Dojo`, `TacticState`,
`ProofFinished`, `LeanError`, `ProofGivenUp`, `DojoInitError`, `DojoCrashError`,
`DojoTacticTimeoutError`, `check_proof`), since no traced repository can be built here.

Toy semantics: every theorem starts as `n : ℕ\\n⊢ n + 0 = n`. `intro X` adds `X : ℕ`; `split`
makes two goals; `rfl`/`simp` close the first goal; `skip` changes nothing; `giveup` is
ProofGivenUp; `hang` times out, and like the real Dojo every later tactic of that Dojo times out
too; `crash` crashes the Dojo; anything else is a LeanError. A full name containing `missing`
cannot be opened. Every opened Dojo is recorded in `OPENED`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union

ROOT = "n : ℕ\n⊢ n + 0 = n"
OPENED: list["Dojo"] = []
CHECKED: list[tuple[str, str]] = []


@dataclass(frozen=True)
class LeanGitRepo:
    url: str
    commit: str


@dataclass(frozen=True)
class Theorem:
    repo: LeanGitRepo
    file_path: Path
    full_name: str

    def __post_init__(self) -> None:
        if isinstance(self.file_path, str):
            object.__setattr__(self, "file_path", Path(self.file_path))
        assert self.file_path.suffix == ".lean", f"File extension must be .lean: {self.file_path}"


@dataclass(frozen=True)
class TacticState:
    pp: str
    id: int = field(compare=False)
    message: Optional[str] = field(default=None, compare=False)


@dataclass(frozen=True)
class ProofFinished:
    tactic_state_id: int
    message: Optional[str] = field(default=None, compare=False)


@dataclass(frozen=True)
class ProofGivenUp:
    pass


@dataclass(frozen=True)
class LeanError:
    error: str


TacticResult = Union[TacticState, ProofFinished, LeanError, ProofGivenUp]


class DojoCrashError(Exception):
    pass


class DojoTacticTimeoutError(Exception):
    pass


class DojoInitError(Exception):
    pass


def _step(goals: list[str], tactic: str) -> Union[list[str], LeanError, ProofGivenUp]:
    word, _, arg = tactic.strip().partition(" ")
    if word == "intro" and goals:
        head, _, concl = goals[0].rpartition("⊢ ")
        return [f"{head}{arg} : ℕ\n⊢ {concl}"] + goals[1:]
    if word == "split" and goals:
        return [goals[0], goals[0]] + goals[1:]
    if word in ("rfl", "simp") and goals:
        return goals[1:]
    if word == "skip":
        return goals
    if word == "giveup":
        return ProofGivenUp()
    return LeanError(f"<stdin>:1:0: unknown tactic '{tactic}'")


class Dojo:
    def __init__(self, entry: Theorem, timeout: int = 600, additional_imports=(), build_deps: bool = True):
        self.entry, self.timeout = entry, timeout
        self.goals: dict[int, list[str]] = {}
        self.timed_out = self.crashed = self.exited = False
        OPENED.append(self)

    def __enter__(self):
        if "missing" in self.entry.full_name:
            raise DojoInitError(f"Failed to locate the theorem with `{self.entry.full_name}`")
        self.goals[0] = [ROOT]
        return self, TacticState(ROOT, 0)

    def __exit__(self, *exc) -> None:
        self.exited = True

    def run_tac(self, state: TacticState, tactic: str) -> TacticResult:
        if self.crashed:
            raise DojoCrashError("Unexpected EOF")
        if self.timed_out or tactic == "hang":
            self.timed_out = True
            raise DojoTacticTimeoutError()
        if tactic == "crash":
            self.crashed = True
            raise DojoCrashError("Unexpected exit code: 137")
        if state.id not in self.goals:
            raise RuntimeError(f"Attempting to run a tactic on an invalid state {state}.")
        result = _step(self.goals[state.id], tactic)
        if not isinstance(result, list):
            return result
        sid = len(self.goals)
        self.goals[sid] = result
        if not result:
            return ProofFinished(sid)
        return TacticState("\n\n".join(result), sid)


def check_proof(thm: Theorem, proof: str) -> bool:
    """Compile the proof in place: here, run its tactics from the root on the toy."""
    CHECKED.append((thm.full_name, proof))
    lines = proof.split("\n")
    if lines[0].strip() != "by":
        return False
    goals: list[str] = [ROOT]
    for line in lines[1:]:
        result = _step(goals, line)
        if not isinstance(result, list):
            return False
        goals = result
    return not goals
