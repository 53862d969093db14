"""Fake REPL processes speaking leanprover-community/repl's framing, for tests without Lean."""

from pathlib import Path

FAKES = Path(__file__).resolve().parent
REPLAY_REPL = FAKES / "replay_repl.py"
TOY_REPL = FAKES / "toy_repl.py"
