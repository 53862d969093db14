"""`prover prove --informal FILE`: Draft-Sketch-Prove on one problem (`prove-informal` is a hidden,
deprecated alias).

The sketch comes from a model (`--model`, any engine of the tactic-generation stack) or from a file
(`--sketch`, a human's skeleton); holes are filled by tactic search (Coq: the portfolio) or by the
hammer portfolio (Isabelle). The pipeline itself is `search.informal.run_informal` and the informal
data readers are in `benchmarks.informal`, so `prover eval --mode informal` shares them without
importing the command line; the readers are re-exported here for scripts that used this module.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from benchmarks.informal import evaluate_informal, informal_problems, read_informal, to_informal
from lean_env.base import BadTheorem
from prover.sketch_prompts import InformalProblem
from prover_cli.app import EXIT_ENV, EXIT_NOT_PROVED, EXIT_PROVED, app, fail, setup_logging

__all__ = ["evaluate_informal", "informal_problems", "read_informal", "to_informal"]


@app.command("prove-informal", hidden=True, deprecated=True)
def prove_informal_command(
    file: Path | None = typer.Argument(None, help="A file with a header and one theorem (.v for Coq)."),
    informal: Path = typer.Option(..., "--informal", help="JSON with informal_statement and informal_proof."),
    statement: str | None = typer.Option(None, "--statement", "-s", help="The formal statement instead of FILE."),
    header: str | None = typer.Option(None, help="Header for --statement."),
    name: str | None = typer.Option(None, help="Which theorem of FILE to prove."),
    backend: str = typer.Option("coq", "--backend", "-b", help="Proof assistant: coq, lean, isabelle."),
    sketch: list[Path] = typer.Option([], "--sketch", help="A sketch file to use instead of a model (repeatable)."),
    model: str | None = typer.Option(None, "--model", "-m", help="Model that drafts and sketches."),
    engine: str = typer.Option("hf", help="Model engine: hf, vllm, openai, tiny."),
    endpoint: str = typer.Option("http://127.0.0.1:8000/v1", help="Base URL for --engine openai."),
    num_sketches: int = typer.Option(4, help="Sketches per problem."),
    temperature: float = typer.Option(0.8, help="Sampling temperature for drafts and sketches."),
    wall_time: float = typer.Option(600.0, help="Seconds for the whole problem."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Deprecated: use `prover prove FILE --informal JSON`."""
    setup_logging(verbose)
    typer.echo("warning: `prover prove-informal` is deprecated: use `prover prove FILE --informal JSON`", err=True)
    run_prove_informal(file=file, informal=informal, statement=statement, header=header, name=name, backend=backend,
                       sketch=sketch, model=model, engine=engine, endpoint=endpoint, num_sketches=num_sketches,
                       temperature=temperature, wall_time=wall_time, as_json=as_json)


def run_prove_informal(*, file: Path | None, informal: Path, statement: str | None, header: str | None,
                       name: str | None, backend: str, sketch: list[Path], model: str | None, engine: str,
                       endpoint: str, num_sketches: int, temperature: float, wall_time: float, as_json: bool,
                       hole_search=None, extra_imports: str | None = None) -> None:
    """Draft, sketch, fill the holes (each searched under `hole_search`, a SearchConfig; default:
    the informal defaults), verify; print the outcome and exit with its status."""
    from lean_env.base import EnvError
    from prover.sketcher import EngineCompleter, FixedCompleter
    from prover_cli.theorems import extra_imports_for, make_env, read_theorem
    from search.informal import InformalConfig, run_informal, summary

    if (file is None) == (statement is None):
        raise fail("give either a FILE or --statement TEXT", as_json=as_json)
    if bool(sketch) == bool(model):
        raise fail("give either --sketch FILE (repeatable) or --model", as_json=as_json)
    try:
        theorem = read_theorem(backend, file, statement, header, name)
        imports = extra_imports_for(backend, extra_imports)
        hole_search = hole_search or InformalConfig().hole_search
        text, proof = read_informal(informal)
        if sketch:
            completer = FixedCompleter([p.read_text(encoding="utf-8") for p in sketch])
        else:
            from prover.model_registry import ModelSpec, engine_spec
            from prover.worker import build_engine

            spec = ModelSpec(model=model, engine=engine, endpoint=endpoint, temperature=temperature)
            completer = EngineCompleter(build_engine(engine_spec(spec)))
    except (BadTheorem, ValueError, OSError) as exc:
        raise fail(str(exc), as_json=as_json) from None
    problem = InformalProblem(theorem.name, text, proof, theorem)
    try:
        with make_env(backend, hole_search.tactic_timeout, imports) as env:
            result = run_informal(
                problem, env, completer, num_sketches=num_sketches, wall_time=wall_time, temperature=temperature,
                hole_search=hole_search,
            )
    except BadTheorem as exc:
        raise fail(str(exc), as_json=as_json) from None
    except EnvError as exc:
        raise fail(f"{backend}: {exc}", EXIT_ENV, as_json=as_json) from None
    record = summary(result)
    if as_json:
        typer.echo(json.dumps(record, indent=1))
    elif result.proved:
        typer.echo(f"Proved {theorem.name} from its informal proof ({result.seconds:.2f} s)")
        for step in result.proof:
            typer.echo(f"  {step}")
    else:
        typer.echo(f"Not proved {theorem.name} ({result.stop_reason}): {record['attempts']}")
        for reason in record["failures"]:
            typer.echo(f"  {reason}")
    raise typer.Exit(EXIT_PROVED if result.proved else EXIT_NOT_PROVED)
