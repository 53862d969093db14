"""A user's tactic list, one tactic per line, screened exactly like model output."""

from __future__ import annotations

import logging
from pathlib import Path

from lean_env.base import ProofState, Theorem
from lean_env.registry import screen
from prover.base import Candidate

log = logging.getLogger(__name__)


class TacticFileError(ValueError):
    """The file is missing, empty, or has no tactic that passes the screen."""


class TacticFileGenerator:
    """Proposes the file's tactics in file order (scores decrease down the file).

    Blank lines and lines starting with `#` are skipped. Every other line goes through the
    backend's screen; rejected lines are dropped with a warning naming the line and the reason.
    """

    name = "tactic-file"

    def __init__(self, path: str | Path, backend: str) -> None:
        path = Path(path)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise TacticFileError(f"cannot read tactic file {path}: {exc}") from None
        self.rejected: list[tuple[int, str, str]] = []  # (line number, text, reason)
        tactics: list[str] = []
        for number, line in enumerate(lines, 1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            reason = screen(backend, text)
            if reason:
                log.warning("%s:%d: %r dropped: %s", path, number, text, reason)
                self.rejected.append((number, text, reason))
            elif text not in tactics:
                tactics.append(text)
        if not tactics:
            raise TacticFileError(f"{path}: no usable tactic ({len(self.rejected)} line(s) rejected)")
        # Earlier lines first: a gently decreasing score keeps file order under any policy.
        self._candidates = [Candidate(t, -0.01 * i, self.name) for i, t in enumerate(tactics)]

    def generate(self, theorem: Theorem, state: ProofState, k: int) -> list[Candidate]:
        return self._candidates[:k]
