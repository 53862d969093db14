"""`prover setup lean` (and `coq`, `hol-light`): install and smoke-check a proof assistant."""

from __future__ import annotations

import os
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


HOL_LIGHT_PACKAGES = ("hol-light", "libnum-ocaml-dev")  # without the second, nums.cma is missing


@setup_app.command("hol-light")
def setup_hol_light_command(
    smoke: bool = typer.Option(True, help="Load HOL Light once (minutes of CPU) and check a small proof."),
) -> None:
    """Install HOL Light from Debian (hol-light, libnum-ocaml-dev) when missing, then smoke-check it."""
    from lean_env.base import EnvError, SetupError, Theorem
    from lean_env.hol_light.zygote import check_installed

    try:
        check_installed()
    except SetupError:
        if shutil.which("apt-get") is None or os.geteuid() != 0:
            raise fail(f"run as root: apt-get install -y {' '.join(HOL_LIGHT_PACKAGES)}", EXIT_ENV) from None
        for argv in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *HOL_LIGHT_PACKAGES]):
            done = subprocess.run(argv, capture_output=True, text=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
            if done.returncode != 0:
                raise fail(f"{' '.join(argv)} failed: {done.stderr.strip()[-300:]}", EXIT_ENV)
    try:
        check_installed()
        if smoke:
            from lean_env.hol_light.env import HolLightEnv

            with HolLightEnv() as env:
                checked = env.verify(Theorem("smoke", "", "!n. n + 0 = n", "hol-light"), ["ARITH_TAC"])
            if not checked.ok:
                raise fail(f"HOL Light loaded but refused a valid proof: {checked.message}", EXIT_ENV)
    except (SetupError, EnvError) as exc:
        raise fail(str(exc), EXIT_ENV) from None
    from lean_env.hol_light.assistant import ASSISTANT

    typer.echo(f"HOL Light is ready: {ASSISTANT.version()}" + (" (loaded and checked a proof)" if smoke else ""))
