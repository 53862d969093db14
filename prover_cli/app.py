"""The `prover` Typer app, shared by every command module, and the exit-status conventions.

Exit status: 0 proved (or command succeeded), 1 not proved, 2 bad input (one line on stderr
naming the problem), 3 the proof assistant is missing or broken. Heavy packages (torch, ray) are
imported inside the commands that need them, so `prover --help` stays fast.
"""

from __future__ import annotations

import logging

import typer

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="LLM-guided best-first proof search for Coq, Lean 4 and Isabelle.",
    pretty_exceptions_enable=False,
)


@app.callback()
def _global_options(
    no_sandbox: bool = typer.Option(
        False, "--no-sandbox", help="Run proof assistants without the bubblewrap sandbox (not advised)."
    ),
) -> None:
    """LLM-guided best-first proof search for Coq, Lean 4 and Isabelle."""
    if no_sandbox:
        import os

        from lean_env.sandbox import DISABLE_ENV

        os.environ[DISABLE_ENV] = "1"  # inherited by every worker this process starts


setup_app = typer.Typer(help="Install and check proof assistants.", no_args_is_help=True)
app.add_typer(setup_app, name="setup")

EXIT_PROVED, EXIT_NOT_PROVED, EXIT_BAD_INPUT, EXIT_ENV = 0, 1, 2, 3


def fail(message: str, code: int = EXIT_BAD_INPUT, as_json: bool = False) -> "typer.Exit":
    """One line on stderr; with `as_json`, also one JSON object on stdout (a `--json` caller
    always gets JSON to parse, with the exit status in it)."""
    typer.echo(f"error: {message}", err=True)
    if as_json:
        import json

        typer.echo(json.dumps({"error": message, "exit_status": code}))
    return typer.Exit(code)


def setup_logging(verbose: bool) -> None:
    from rich.console import Console
    from rich.logging import RichHandler

    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(show_path=False, console=Console(stderr=True))],
    )
