"""`prover setup lean` (and `coq`): install and smoke-check a proof assistant."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import typer

from prover_cli.app import EXIT_ENV, fail, setup_app, setup_logging


@setup_app.command("lean")
def setup_lean_command(
    workspace: Path | None = typer.Option(
        None, "--workspace", help="Where to build the Lean project (default: $PROVER_LEAN_WORKSPACE or ~/.cache/prover/lean)."),
    smoke: bool = typer.Option(True, help="Prove a small theorem through the REPL at the end."),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Build the Lean project (shipped with the package) in a workspace: Mathlib cache, REPL, smoke check (needs elan/lake and network); works from any directory."""
    setup_logging(verbose)
    from lean_env.base import SetupError
    from lean_env.lean_repl.setup import setup_lean

    try:
        built = setup_lean(workspace, smoke=smoke)
    except SetupError as exc:
        raise fail(str(exc), EXIT_ENV) from None
    checked = " and proved the smoke theorem" if smoke else ""
    typer.echo(f"Lean is ready in {built}: the REPL is built{checked}.")


@setup_app.command("coq")
def setup_coq_command() -> None:
    """Check that coqtop, coqc and csdp are installed (scripts/setup.sh installs them)."""
    missing = [tool for tool in ("coqtop", "coqc", "csdp") if shutil.which(tool) is None]
    if missing:
        raise fail(
            f"missing {', '.join(missing)}: run `apt-get install -y coq libcoq-coquelicot coinor-csdp`", EXIT_ENV
        )
    version = subprocess.run(["coqtop", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    typer.echo(f"Coq is ready: {version}")
