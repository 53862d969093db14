"""`prover`: prove a theorem, run an evaluation, draw a search tree, set up Lean.

Exit status: 0 proved (or command succeeded), 1 not proved, 2 bad input (one line on stderr
naming the problem), 3 the proof assistant is missing or broken. Each command lives in its own
module and imports heavy packages (torch, ray) inside its function, so `prover --help` stays fast.
"""

from __future__ import annotations

import sys

import typer

from prover_cli import prove, setup_cmd  # noqa: F401  (each import registers its commands on `app`)
from prover_cli import evaluate  # noqa: F401
from prover_cli import informal  # noqa: F401  (prove-informal)
from prover_cli import verify_cmd  # noqa: F401  (verify)
from prover_cli import policy_cmd  # noqa: F401  (trace, index, train)
from prover_cli.app import app


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
