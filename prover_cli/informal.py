"""Informal-to-formal proving from the command line: `prove_informal(...)` and `prover prove-informal`.

`prove_informal` is what `prover prove --informal FILE` calls once wired; the command registered here
offers the same for one problem. The sketch comes from a model (`--model`, any engine of the
tactic-generation stack) or from a file (`--sketch`, a human's skeleton); holes are filled by tactic
search (Coq, Lean: the backend's portfolio and/or the model's tactics) or by the hammer portfolio
(Isabelle). `informal_problems` reads miniF2F's informal data for `prover eval --mode informal`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import typer

from lean_env.base import BadTheorem, ProofEnv, Theorem
from prover.sketch_prompts import InformalProblem
from prover_cli.app import EXIT_ENV, EXIT_NOT_PROVED, EXIT_PROVED, app, fail, setup_logging


def read_informal(path: Path) -> tuple[str, str | None]:
    """(informal statement, informal proof or None) from a miniF2F informal JSON file
    ({"informal_statement": ..., "informal_proof": ...}). Raises BadTheorem on unusable input."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadTheorem(f"{path}: cannot read informal problem: {exc}") from None
    statement = data.get("informal_statement") if isinstance(data, dict) else None
    if not statement:
        raise BadTheorem(f"{path}: no informal_statement")
    return statement, data.get("informal_proof") or None


def informal_problems(data_dir: Path, backend: str, split: str, names: Sequence[str] = ()) -> list[InformalProblem]:
    """miniF2F problems with informal text and this backend's formal statement, by name.

    Coq: minif2f/coq/minif2f_coq.jsonl joined with minif2f/informal/<split>/<name>.json (by name);
    Isabelle: minif2f/informal/minif2f_informal_isabelle.jsonl (already merged). Lean: the Lean
    engineer's dataset has the statements; not joined here yet.
    """
    root = Path(data_dir) / "minif2f"
    wanted = set(names)
    out: list[InformalProblem] = []
    if backend == "coq":
        for line in (root / "coq" / "minif2f_coq.jsonl").read_text().splitlines():
            row = json.loads(line)
            if row["split"] != split or (wanted and row["name"] not in wanted):
                continue
            informal = root / "informal" / split / f"{row['name']}.json"
            if not informal.exists():
                continue
            statement, proof = read_informal(informal)
            theorem = Theorem(row["name"], row["header"], row["formal_statement"], "coq")
            out.append(InformalProblem(row["name"], statement, proof, theorem))
    elif backend == "isabelle":
        for line in (root / "informal" / "minif2f_informal_isabelle.jsonl").read_text().splitlines():
            row = json.loads(line)
            if row["split"] != split or (wanted and row["name"] not in wanted):
                continue
            header = " ".join(row.get("isabelle_imports") or ["Complex_Main"])
            theorem = Theorem(row["name"], header, row["isabelle_statement"].strip(), "isabelle")
            out.append(InformalProblem(row["name"], row["informal_statement"], row.get("informal_proof"), theorem))
    else:
        raise ValueError(f"informal miniF2F problems are not available for backend {backend!r} yet")
    return out


def to_informal(problem, informal_root: Path | None = None) -> InformalProblem:
    """An `InformalProblem` from a dataset problem (benchmarks.datasets.Problem or anything with
    `theorem`, `split`, `informal_statement`, `informal_proof`). When the dataset carries no informal
    text (the Coq table), it is read from `<informal_root>/<split>/<name>.json` if that exists."""
    statement, proof = problem.informal_statement or "", problem.informal_proof or None
    name = problem.theorem.name
    if not statement and informal_root is not None:
        path = Path(informal_root) / problem.split / f"{name}.json"
        if path.exists():
            statement, proof = read_informal(path)
    if not statement:
        raise BadTheorem(f"{name}: no informal statement")
    return InformalProblem(name, statement, proof, problem.theorem)


def sketch_pipeline(backend: str, env: ProofEnv, generator=None, hole_search=None):
    """(SketchBackend, HoleFiller) for `backend` sharing `env`. Coq fills holes by search with
    `generator` (default: the portfolio); Isabelle by the hammer portfolio."""
    if backend == "coq":
        from lean_env.coq.sketch import CoqSketcher
        from prover.portfolio import PortfolioGenerator
        from search.informal import InformalConfig, SearchFiller

        config = hole_search or InformalConfig().hole_search
        return CoqSketcher(env.config), SearchFiller(env, generator or PortfolioGenerator("coq"), config)
    if backend == "isabelle":
        from lean_env.isabelle.sketch import HammerFiller, IsabelleSketcher

        return IsabelleSketcher(env), HammerFiller(env)
    raise ValueError(
        f"sketch elaboration for backend {backend!r} is not implemented yet (Coq and Isabelle are)"
    )


def prove_informal(
    problem: InformalProblem,
    env: ProofEnv,
    completer,
    *,
    generator=None,
    num_sketches: int = 4,
    wall_time: float = 600.0,
    temperature: float = 0.8,
    hole_search=None,
):
    """Run draft -> sketch -> elaborate -> fill -> verify on one problem with `env`'s backend.

    `completer` is a `prover.sketcher.Completer` (EngineCompleter over a model, or FixedCompleter
    over given sketches). Returns `search.informal.InformalResult`.
    """
    from prover.sketcher import Sketcher, SketcherConfig
    from search.informal import InformalConfig
    from search.informal import prove_informal as run

    backend = problem.theorem.backend
    sketch_backend, filler = sketch_pipeline(backend, env, generator, hole_search)
    config = InformalConfig(num_sketches, wall_time, hole_search or InformalConfig().hole_search)
    sketcher = Sketcher(completer, backend, SketcherConfig(temperature=temperature))
    return run(problem, sketcher, sketch_backend, filler, env.verify, config)


def evaluate_informal(problems: Sequence[InformalProblem], env: ProofEnv, completer, out: Path, **options) -> dict:
    """Run `prove_informal` on every problem, one JSONL line each (written as it goes, so a crash
    keeps what was done), and return the summary. A problem whose statement does not elaborate is
    recorded as an error and stays in the denominator. `options` go to `prove_informal`."""
    from search.informal import summary

    proved = errors = 0
    with open(out, "a", encoding="utf-8") as sink:
        for problem in problems:
            try:
                record = summary(prove_informal(problem, env, completer, **options))
            except BadTheorem as exc:
                record = {"name": problem.name, "backend": problem.theorem.backend, "mode": "informal",
                          "proved": False, "error": str(exc)}
                errors += 1
            proved += bool(record["proved"])
            sink.write(json.dumps(record) + "\n")
            sink.flush()
    total = len(problems)
    return {"mode": "informal", "total": total, "proved": proved, "errors": errors,
            "rate": proved / total if total else 0.0}


@app.command("prove-informal")
def prove_informal_command(
    file: Path | None = typer.Argument(None, help="A file with a header and one theorem (.v for Coq)."),
    informal: Path = typer.Option(..., "--informal", help="JSON with informal_statement and informal_proof."),
    statement: str | None = typer.Option(None, "--statement", "-s", help="The formal statement instead of FILE."),
    header: str | None = typer.Option(None, help="Header for --statement."),
    name: str | None = typer.Option(None, help="Which theorem of FILE to prove."),
    backend: str = typer.Option("coq", "--backend", "-b", help="Proof assistant: coq, isabelle."),
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
    """Prove one theorem from its informal statement and proof (Draft-Sketch-Prove)."""
    setup_logging(verbose)
    from lean_env.base import EnvError
    from prover.sketcher import EngineCompleter, FixedCompleter
    from prover_cli.theorems import make_env, read_theorem
    from search.informal import summary

    if (file is None) == (statement is None):
        raise fail("give either a FILE or --statement TEXT")
    if bool(sketch) == bool(model):
        raise fail("give either --sketch FILE (repeatable) or --model")
    try:
        theorem = read_theorem(backend, file, statement, header, name)
        text, proof = read_informal(informal)
        if sketch:
            completer = FixedCompleter([p.read_text(encoding="utf-8") for p in sketch])
        else:
            from prover.model_registry import ModelSpec, engine_spec
            from prover.worker import build_engine

            spec = ModelSpec(model=model, engine=engine, endpoint=endpoint, temperature=temperature)
            completer = EngineCompleter(build_engine(engine_spec(spec)))
    except (BadTheorem, ValueError, OSError) as exc:
        raise fail(str(exc)) from None
    problem = InformalProblem(theorem.name, text, proof, theorem)
    try:
        with make_env(backend, 5.0) as env:
            result = prove_informal(
                problem, env, completer, num_sketches=num_sketches, wall_time=wall_time, temperature=temperature
            )
    except BadTheorem as exc:
        raise fail(str(exc)) from None
    except EnvError as exc:
        raise fail(f"{backend}: {exc}", EXIT_ENV) from None
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
