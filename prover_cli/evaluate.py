"""`prover eval`, `prover tree`, `prover report`: benchmark runs, their search trees and summaries."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer

from prover.model_spec import SKETCHES, TACTICS, WHOLE_PROOFS, ModelSpec
from prover_cli import options as opt
from prover_cli.app import EXIT_ENV, app, fail, setup_logging


@app.command("eval")
@opt.with_model_spec
def eval_command(
    ctx: typer.Context,
    out: Path | None = typer.Option(None, "--out", "-o", help="New run directory (config, results, summary, trees)."),
    resume: Path | None = typer.Option(None, "--resume", help="Continue this run directory; its options are read from it (given again, they must match)."),
    backend: str = typer.Option("coq", "--backend", "-b", help="Proof assistant: coq, lean, isabelle, hol-light."),
    dataset: str | None = typer.Option(None, help="minif2f-coq, minif2f-lean4, minif2f-isabelle, minif2f-hollight (default: the backend's)."),
    data: Path | None = typer.Option(None, "--data", help="Local dataset folder (staged JSONL or upstream checkout)."),
    download: bool = typer.Option(False, help="Download the upstream files at the pinned commit when --data is not given."),
    cache_dir: Path | None = typer.Option(None, help="Download cache (default ~/.cache/prover/datasets)."),
    split: str = typer.Option("valid", help="valid, test or all."),
    name: list[str] = typer.Option([], "--name", "-n", help="Only these problems (repeat, or comma-separated)."),
    filter_: str | None = typer.Option(None, "--filter", help="Only problems whose name matches this glob, e.g. 'mathd_*'."),
    limit: int | None = typer.Option(None, help="Only the first N selected problems (after --shuffle)."),
    shuffle: int | None = typer.Option(None, "--shuffle", help="Shuffle the selection with this seed before --limit (a sample across categories)."),
    errata: str = typer.Option("flag", help="Lean errata: flag, exclude (still-wrong statements), ignore."),
    mode: str = typer.Option("formal", help="formal: best-first search; informal: Draft-Sketch-Prove (sketch, fill holes by search, verify); whole-proof: sample whole proofs, pass@k."),
    sketches: Path | None = typer.Option(None, "--sketches", help="Informal: folder of human sketches <name>.v (or <name>.1.v, <name>.2.v, ...); a --model then only fills holes."),
    informal_data: Path | None = typer.Option(None, "--informal-data", help="Informal: folder of <split>/<name>.json (default: the 'informal' folder next to --data)."),
    tactics: opt.Tactics = None,
    portfolio: opt.Portfolio = True,
    model_spec: Optional[ModelSpec] = None,  # the shared model options (prover_cli/options.py)
    prompt_format: Optional[str] = None,  # --prompt-format as given: recorded whole proofs need it without a model
    extra_imports: str | None = typer.Option(
        None, "--extra-imports", help="Coq: library loads after each header, for the search and the proof module, never the statement (default 'From Coq Require Import Lia Lra Psatz.'; 'none': off)."
    ),
    generator_name: str = typer.Option("portfolio", "--generator", help="portfolio, or knn: tactics of the nearest traced states (needs --index; with the portfolio unless --no-portfolio)."),
    knn_index: Path | None = typer.Option(None, "--index", help="Index folder built by `prover index`, for --generator knn."),
    combine: str = typer.Option("staged", help="With the portfolio and --generator knn or --model: staged (the portfolio's own search on 70% of the budget, then the chain's on the rest), chain (portfolio first in each expansion), or interleave (round robin)."),
    attempts: int = typer.Option(1, "--attempts", help="Budget N: searches per theorem (informal: sketches per problem).",
                                 rich_help_panel=opt.BUDGET_PANEL),
    num_samples: opt.NumSamples = opt.BUDGET.num_samples,
    max_expansions: opt.MaxExpansions = opt.BUDGET.max_expansions,
    wall_time: opt.WallTime = opt.BUDGET.wall_time,
    tactic_timeout: opt.TacticTimeout = opt.BUDGET.tactic_timeout,
    policy: opt.Policy = "cumulative",
    lean_project: opt.LeanProject = None,
    isabelle: opt.IsabelleExe = None,
    workers: int = typer.Option(os.cpu_count() or 1, help="Proof workers: Ray actors when more than 1; 0 or 1 runs in this process without Ray."),
    address: str | None = typer.Option(None, help="Existing Ray cluster address ('auto', 'ray://host:10001')."),
    num_cpus: int | None = typer.Option(None, help="CPUs of the local Ray instance (default: all)."),
    generator_workers: int = typer.Option(0, help="Shared generator actors (model servers with a model; GPU when present); 0: one generator per proof worker."),
    max_retries: int = typer.Option(2, help="Resubmissions of a theorem whose worker died."),
    progress: bool = typer.Option(True, help="Live progress bar on a terminal; one line per theorem on stderr otherwise."),
    verbose: opt.Verbose = False,
    batch: int = typer.Option(8, help="Whole-proof: samples drawn per round; a theorem stops at its first verified sample.",
                              rich_help_panel="Whole-proof (--mode whole-proof; --num-samples is N)"),
    all_samples: bool = typer.Option(False, help="Whole-proof: draw all N samples even after a verified one (full pass@k curve).",
                                     rich_help_panel="Whole-proof (--mode whole-proof; --num-samples is N)"),
    proofs: Path | None = typer.Option(None, "--proofs", help="Whole-proof: folder of recorded model outputs <name>.jsonl "
                                       "(one JSON string per line), instead of --model.",
                                       rich_help_panel="Whole-proof (--mode whole-proof; --num-samples is N)"),
    max_proof_tokens: int = typer.Option(2048, help="Whole-proof: tokens per sampled proof.",
                                         rich_help_panel="Whole-proof (--mode whole-proof; --num-samples is N)"),
    proof_timeout: float = typer.Option(60.0, help="Whole-proof: seconds to check one whole proof on the warm process.",
                                        rich_help_panel="Whole-proof (--mode whole-proof; --num-samples is N)"),
) -> None:
    """Evaluate on a benchmark: one JSONL line per theorem, then summary.md/json and plots."""
    setup_logging(verbose)
    if resume is not None and ctx is not None:  # once, then again with the stored options
        from prover_cli.resume import resumed_params

        try:
            params = resumed_params(ctx, resume)
        except (ValueError, OSError) as exc:
            raise fail(str(exc)) from None
        return eval_command(None, **params)  # type: ignore[arg-type]
    spec = model_spec
    model = spec.model if spec is not None else None
    if dataset is not None and ctx is not None and ctx.get_parameter_source("backend").name == "DEFAULT":
        from benchmarks.datasets import backend_of

        backend = backend_of(dataset) or backend  # `--dataset leandojo` alone means Lean
    from benchmarks.datasets import DEFAULT_CACHE, ERRATA_MODES, load_dataset
    from benchmarks.evaluate import ExecOptions, run_evaluation
    from benchmarks.report import collect_versions
    from benchmarks.results import Budget, ConfigMismatch, RunConfig, RunDir, statements_digest
    from prover.factory import COMBINE, GeneratorOptions

    if (out is None) == (resume is None):
        raise fail("give either --out NEW_RUN_DIR or --resume RUN_DIR")
    if split not in ("valid", "test", "all"):
        raise fail(f"--split must be valid, test or all, not {split!r}")
    if errata not in ERRATA_MODES:
        raise fail(f"--errata must be one of {', '.join(ERRATA_MODES)}")
    _check_mode(mode, backend, model, sketches, informal_data)
    whole_proof = None
    if mode == "whole-proof":
        from prover_cli.whole_proof import check_whole_options, whole_settings

        check_whole_options(backend, model, proofs, prompt_format, num_samples, batch, max_proof_tokens, proof_timeout)
        if proofs is not None and not proofs.is_dir():
            raise fail(f"--proofs {proofs}: not a folder (eval reads <name>.jsonl files from it)")
        whole_proof = whole_settings(num_samples, batch, all_samples, prompt_format, max_proof_tokens, proofs)
        # Budget: N samples in rounds of --batch; the per-tactic limit is the per-proof check limit.
        attempts, max_expansions, tactic_timeout = num_samples, 1, proof_timeout
    elif proofs is not None:
        raise fail("--proofs needs --mode whole-proof")
    opt.check_budget(attempts=attempts, num_samples=num_samples, max_expansions=max_expansions,
                     wall_time=wall_time, tactic_timeout=tactic_timeout)
    if mode == "whole-proof":
        opt.check_model_use(spec, WHOLE_PROOFS, num_samples, f"--num-samples {num_samples}")
    else:  # informal: the model also fills the holes with tactics
        opt.check_model_use(spec, TACTICS, 1 if mode == "informal" else attempts, f"--attempts {attempts}")
    if mode == "informal" and sketches is None:
        opt.check_model_use(spec, SKETCHES, attempts, f"--attempts {attempts}")
    if workers < 0:
        raise fail(f"--workers must be at least 0 (got {workers})")
    if shuffle is not None and limit is not None and limit < 1:
        raise fail(f"--limit must be at least 1 (got {limit})")
    from prover_cli.theorems import extra_imports_for, knn_index_for
    from search.policy import POLICIES

    try:
        imports = extra_imports_for(backend, extra_imports)
        knn = knn_index_for(generator_name, knn_index)
        if combine not in COMBINE:
            raise ValueError(f"--combine must be one of {', '.join(COMBINE)}, not {combine!r}")
    except ValueError as exc:
        raise fail(str(exc)) from None
    if policy not in POLICIES:
        raise fail(f"--policy must be one of {', '.join(POLICIES.names())}, not {policy!r}")
    opt.apply_assistant_paths(lean_project, isabelle)
    # The model is checked before any data is read: an endpoint nobody answers, or a model that
    # cannot load, would otherwise make every theorem a "not proved" (or a traceback per theorem).
    opt.check_model_available(spec)
    if workers > 1 or address is not None:
        from importlib.util import find_spec

        if find_spec("ray") is None:
            raise fail("ray is not installed: pip install 'ray>=2.30', or run in-process with --workers 0")
    from lean_env.registry import UnknownName, assistant

    try:
        chosen = assistant(backend)
    except UnknownName as exc:
        raise fail(str(exc)) from None
    missing = chosen.missing_programs()
    if missing:
        raise fail(f"{'/'.join(missing)} not found: {chosen.install_hint}", EXIT_ENV)
    dataset = dataset or chosen.default_dataset
    if dataset is None:
        raise fail(f"no default dataset for backend {backend!r}: give --dataset")
    options = {"errata": errata} if dataset == "minif2f-lean4" else {}
    try:
        ds = load_dataset(dataset, data, download_to=(cache_dir or DEFAULT_CACHE) if download else None, **options)
        if ds.backend != backend:
            raise ValueError(f"{dataset} is a {ds.backend} dataset, not {backend}")
        names = [n.strip() for item in name for n in item.split(",") if n.strip()]
        problems = ds.select(split, names, filter_)
        if shuffle is not None:
            import random

            problems = list(problems)
            random.Random(shuffle).shuffle(problems)
        problems = problems[:limit]
    except (ValueError, OSError) as exc:
        raise fail(str(exc)) from None
    if not problems:
        raise fail("no problem selected")
    from lean_env.base import SetupError
    from lean_env.registry import preflight

    try:  # a proof assistant that cannot start fails here, before any theorem is recorded
        preflight(backend, problems[0].theorem, tactic_timeout)
    except SetupError as exc:
        raise fail(str(exc), EXIT_ENV) from None
    if spec is not None and spec.api_key is not None:  # never stored in config.json; inherited by local workers
        os.environ["OPENAI_API_KEY"] = spec.api_key
    if mode == "informal":
        from benchmarks.informal import default_informal_root

        informal_data = informal_data or default_informal_root(data)
        if informal_data is None and not any(p.informal_statement for p in problems):
            raise fail(f"{dataset} has no informal text: give --informal-data FOLDER (<split>/<name>.json)")
    generator = GeneratorOptions(backend, portfolio, tactics, spec, knn, combine)
    config = RunConfig(
        dataset=dataset, dataset_commit=ds.commit, backend=backend, split=split,
        names=tuple(p.name for p in problems), generator=generator,
        budget=Budget(attempts, batch if whole_proof else num_samples, max_expansions, wall_time, tactic_timeout),
        policy=policy,
        mode=mode, sketches=_absolute(sketches), informal_data=_absolute(informal_data) if mode == "informal" else None,
        whole_proof=whole_proof,
        extra_imports=imports,
        statements=statements_digest(p.theorem for p in problems),
    )
    execution = ExecOptions(workers, address, num_cpus, max_retries, generator_workers, progress)
    run_dir = RunDir(resume or out)  # type: ignore[arg-type]
    if resume is None:
        from prover_cli.resume import write_source

        write_source(run_dir.path, data, download, cache_dir, errata)
    try:
        results = run_evaluation(run_dir, config, problems, execution, resume=resume is not None,
                                 versions=collect_versions(backend))
    except ConfigMismatch as exc:
        raise fail(str(exc)) from None
    except ValueError as exc:
        raise fail(str(exc)) from None
    proved = sum(r.proved for r in results)
    errors = sum(1 for r in results if r.failed_to_run)
    error_text = f", {errors} error(s) (not a result: `prover eval --resume {run_dir.path}` retries them)" if errors else ", 0 errors"
    typer.echo(f"{proved}/{len(problems)} proved ({100 * proved / len(problems):.1f}%){error_text}; "
               f"summary in {run_dir.path / 'summary.md'}")
    if errors:
        raise typer.Exit(EXIT_RUN_ERRORS)


EXIT_RUN_ERRORS = 4  # the run finished but some theorems ended in an error (see summary.md)


def _check_mode(mode: str, backend: str, model: str | None, sketches: Path | None, informal_data: Path | None) -> None:
    """Refuse, with one line, options that do not fit the mode (before any dataset is read)."""
    from search.informal import sketch_backends

    if mode not in ("formal", "informal", "whole-proof"):
        raise fail(f"--mode must be formal, informal or whole-proof, not {mode!r}")
    if mode in ("formal", "whole-proof"):
        if sketches is not None or informal_data is not None:
            raise fail("--sketches and --informal-data need --mode informal")
        return
    if backend not in sketch_backends():
        raise fail(f"--mode informal is not available for backend {backend!r} (only {', '.join(sketch_backends())})")
    if sketches is None and model is None:
        raise fail("--mode informal needs --sketches FOLDER or --model (who writes the sketches)")
    for option, folder in (("--sketches", sketches), ("--informal-data", informal_data)):
        if folder is not None and not folder.is_dir():
            raise fail(f"{option} {folder}: no such folder")


def _absolute(path: Path | None) -> str | None:
    """Stored absolute, so Ray workers in another working directory find the folder."""
    return str(path.resolve()) if path is not None else None


@app.command()
def tree(
    run: Path = typer.Argument(..., help="A run directory, or a tree JSON saved by `prover prove --tree FILE.json`."),
    name: str | None = typer.Argument(None, help="Theorem name (with a run directory)."),
    out: Path | None = typer.Option(None, "--out", "-o", help="SVG file (default: next to the tree JSON, .svg)."),
) -> None:
    """Draw a search tree as SVG: the proof path in red, failed tactics labelled, goals and errors on hover."""
    from benchmarks.plots import draw_tree
    from benchmarks.results import RunDir

    if run.is_file():
        if name is not None:
            raise fail(f"{run} is a tree file: give no theorem name")
        path = run
    else:
        if name is None:
            raise fail(f"give a theorem name: prover tree {run} NAME")
        path = RunDir(run).tree_path(name)
        if not path.exists():
            raise fail(f"no search tree for {name!r} in {run} (not run yet, or its statement does not elaborate)")
    try:
        svg = draw_tree(path, out or path.with_suffix(".svg"))
    except (ValueError, KeyError, OSError) as exc:
        raise fail(f"{path}: not a search tree ({exc})") from None
    typer.echo(str(svg))


@app.command()
def report(runs: list[Path] = typer.Argument(..., help="A run directory, or two to compare.")) -> None:
    """Rewrite a run's summary (Markdown, JSON, plots, pass@k for whole-proof runs) and print it;
    with two runs, print which theorems each solved (both, only one, neither)."""
    from benchmarks.report import write_report
    from benchmarks.results import RunDir, read_results

    if len(runs) > 2:
        raise fail("give one run directory, or two to compare")
    loaded = []
    for run in runs:
        run_dir = RunDir(run)
        try:
            config = run_dir.load_config()
        except ValueError as exc:
            raise fail(str(exc)) from None
        loaded.append((str(run), config, read_results(run_dir.results_path), run_dir))
    if len(loaded) == 1:
        _, _, results, run_dir = loaded[0]
        write_report(run_dir, results, {})
        typer.echo((run_dir.path / "summary.md").read_text(encoding="utf-8"))
        return
    from benchmarks.compare import compare, render_comparison

    (pa, ca, ra, _), (pb, cb, rb, _) = loaded
    if ca.backend != cb.backend or ca.dataset != cb.dataset:
        raise fail(f"runs are on different benchmarks ({ca.dataset}/{ca.backend} vs {cb.dataset}/{cb.backend})")
    typer.echo(render_comparison(compare((pa, ca, ra), (pb, cb, rb))))
