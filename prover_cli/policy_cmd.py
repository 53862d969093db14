"""`prover trace`, `prover index`, `prover train`: learn a tactic policy from real Coq proofs.

trace: replay a development through coqtop into (state, tactic, next state) records;
index: build the nearest-neighbour index the `knn` generator searches;
train: fine-tune a Hugging Face causal LM on the records, for `--model PATH`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import typer

from prover_cli.app import EXIT_ENV, app, fail, setup_logging


@app.command("trace")
def trace_command(
    inputs: list[Path] = typer.Argument(..., help="Directories of .v files, .v files, or text files listing paths."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder: steps.jsonl and files.jsonl (resumed if present)."),
    workers: int = typer.Option(1, help="Files traced in parallel (one coqtop each)."),
    sentence_timeout: float = typer.Option(30.0, help="Seconds per sentence."),
    file_timeout: float = typer.Option(600.0, help="Seconds per file."),
    load_path: list[str] = typer.Option(
        [], "--load-path", "-R", help="DIR=NAME: the development's library, as coqc's -R DIR NAME (repeatable). "
        "A traced folder's _CoqProject is read for these too."),
    progress: bool = typer.Option(True, help="Progress bar."),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Replay every proof of a compiled Coq development; one JSONL record per tactic step."""
    setup_logging(verbose)
    from lean_env.coq.trace import LoadPath, TraceOptions, collect_files, coq_project_load_paths, trace_development

    if shutil.which("coqtop") is None:
        raise fail("coqtop not found: install Coq 8.16 (apt-get install -y coq)", EXIT_ENV)
    if workers < 1 or sentence_timeout <= 0 or file_timeout <= 0:
        raise fail("--workers must be at least 1 and timeouts positive")
    try:
        files = collect_files(inputs)
        paths = [LoadPath.parse(text) for text in load_path]
        paths += [p for folder in inputs if folder.is_dir() for p in coq_project_load_paths(folder)]
    except (ValueError, OSError) as exc:
        raise fail(str(exc)) from None
    if any("minif2f" in str(p).lower() for p, _ in files):
        raise fail("refusing to trace miniF2F: it is the benchmark, not training data")
    if not files:
        raise fail("no .v files found")
    options = TraceOptions(sentence_timeout=sentence_timeout, file_timeout=file_timeout,
                           load_paths=tuple(dict.fromkeys(paths)))
    summary = trace_development(files, out, workers, options, progress)
    typer.echo(json.dumps(summary))


@app.command("index")
def index_command(
    traces: list[Path] = typer.Argument(..., help="Trace folders (steps.jsonl) from `prover trace`, or steps JSONL files: one or more."),
    out: Path = typer.Option(..., "--out", "-o", help="Index folder to write (for --generator knn --index)."),
) -> None:
    """Build the nearest-neighbour tactic index of one or more traces (e.g. a library and its dependencies)."""
    import time

    from prover.knn import KnnIndex, read_all_records

    start = time.monotonic()
    try:
        index = KnnIndex.build(read_all_records(traces))
    except (ValueError, OSError, KeyError, json.JSONDecodeError) as exc:
        raise fail(str(exc) if isinstance(exc, ValueError) else f"{' '.join(map(str, traces))}: {exc}") from None
    if index.matrix.shape[0] == 0:
        raise fail(f"{' '.join(map(str, traces))}: no tactic steps to index")
    index.save(out)
    typer.echo(json.dumps({"states": index.matrix.shape[0], "features": index.matrix.shape[1],
                           "seconds": round(time.monotonic() - start, 2), "out": str(out)}))


@app.command("train")
def train_command(
    traces: list[Path] = typer.Argument(..., help="Trace folders (steps.jsonl) from `prover trace`, or steps JSONL files: one or more."),
    model: str = typer.Option(..., "--model", "-m", help="Hugging Face causal LM to fine-tune (hub id or folder; tiny:tiny or tiny:small: a random tiny Llama)."),
    out: Path = typer.Option(..., "--out", "-o", help="Checkpoint folder (then: --model OUT)."),
    prompt_format: str = typer.Option("reprover", help="Prompt format the examples are rendered in (registry name)."),
    steps: int = typer.Option(1000, help="Optimizer steps."),
    batch_size: int = typer.Option(8, help="Examples per step."),
    learning_rate: float = typer.Option(1e-4, help="AdamW learning rate."),
    max_length: int = typer.Option(1024, help="Tokens per example (the prompt is cut from the left)."),
    device: str = typer.Option("cpu", help="cpu, cuda, cuda:1."),
    seed: int = typer.Option(0),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Fine-tune a causal LM on traced (state -> tactic) steps; the checkpoint loads with --model."""
    setup_logging(verbose)
    from prover.knn import read_all_records
    from prover.prompts import PROMPTS
    from prover.train import TrainConfig, examples_from_records, train

    if min(steps, batch_size, max_length) < 1 or not learning_rate > 0:
        raise fail("--steps, --batch-size, --max-length and --learning-rate must be positive")
    try:
        PROMPTS.get(prompt_format)
        examples = examples_from_records(read_all_records(traces), prompt_format)
    except (ValueError, OSError, KeyError) as exc:
        raise fail(str(exc)) from None
    if not examples:
        raise fail(f"{' '.join(map(str, traces))}: no tactic steps to train on")
    config = TrainConfig(prompt_format, steps, batch_size, learning_rate, max_length, seed, device)
    try:
        report = train(model, examples, out, config)
    except (OSError, ValueError, KeyError) as exc:
        raise fail(f"{model}: {exc}") from None
    typer.echo(json.dumps({"examples": report.examples, "steps": report.steps, "first_loss": report.losses[0],
                           "last_loss": report.losses[-1], "seconds": round(report.seconds, 1), "out": str(out)}))
