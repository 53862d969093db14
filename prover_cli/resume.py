"""`prover eval --resume RUN_DIR`: every option comes from the run directory.

A run directory keeps `config.json` (what decides the results) and `source.json` (where the
dataset was read from). Resuming reads both; an option given again must equal the stored value,
or the resume is refused naming that option. Options that only say how to run (workers, Ray
address, progress bar, verbosity) and where the data lives (`--data`, `--cache-dir`) may differ.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SOURCE_FILE = "source.json"
# Options that may change on resume: how the run executes, and where the same data is found.
FREE = {"out", "resume", "data", "download", "cache_dir", "workers", "address", "num_cpus",
        "generator_workers", "max_retries", "progress", "verbose", "api_key", "lean_project", "isabelle"}
_BUDGET_KEYS = {"attempts": "attempts", "num_samples": "samples", "max_expansions": "expansions",
                "wall_time": "wall_time", "tactic_timeout": "tactic_timeout"}
_SELECTION = ("name", "filter_", "limit", "shuffle")


def write_source(run_dir: Path, data: Path | None, download: bool, cache_dir: Path | None, errata: str) -> None:
    """Record where the dataset came from, so that a resume needs no option at all."""
    run_dir.mkdir(parents=True, exist_ok=True)
    source = {"data": str(data.resolve()) if data else None, "download": download,
              "cache_dir": str(cache_dir.resolve()) if cache_dir else None, "errata": errata}
    (run_dir / SOURCE_FILE).write_text(json.dumps(source, indent=1) + "\n", encoding="utf-8")


def stored_options(run_dir: Path) -> dict[str, Any]:
    """The eval options a run was started with, as the command's parameter values."""
    from benchmarks.results import RunDir
    from prover_cli.options import model_params

    config = RunDir(run_dir).load_config()  # ValueError: not a run directory
    source_path = run_dir / SOURCE_FILE
    source = json.loads(source_path.read_text(encoding="utf-8")) if source_path.exists() else {}
    generator = config.generator
    options: dict[str, Any] = {
        "backend": config.backend, "dataset": config.dataset, "split": config.split,
        "name": list(config.names), "filter_": None, "limit": None, "shuffle": None, "policy": config.policy,
        "mode": config.mode,
        "sketches": Path(config.sketches) if config.sketches else None,
        "informal_data": Path(config.informal_data) if config.informal_data else None,
        "errata": source.get("errata", "flag"),
        "data": Path(source["data"]) if source.get("data") else None,
        "download": bool(source.get("download", False)),
        "cache_dir": Path(source["cache_dir"]) if source.get("cache_dir") else None,
    }
    options.update(model_params(generator.model), portfolio=generator.portfolio, tactics=generator.tactics_file)
    budget = config.budget
    for option, field in _BUDGET_KEYS.items():
        options[option] = getattr(budget, field)
    if config.mode == "whole-proof" and config.whole_proof:
        # The budget fields hold the sampling settings there (N samples in rounds of --batch, the
        # check limit as tactic timeout): give back the options the user typed.
        wp = config.whole_proof
        for option in ("attempts", "max_expansions", "tactic_timeout"):
            del options[option]
        options.update({
            "num_samples": wp["num_samples"], "batch": wp["batch"], "all_samples": wp["all_samples"],
            "prompt_format": wp.get("prompt_format"), "max_proof_tokens": wp["max_tokens"],
            "proof_timeout": budget.tactic_timeout, "proofs": Path(wp["proofs"]) if wp.get("proofs") else None,
        })
    # Tactic libraries and retrieval (Coq): as the run had them, "none" for none.
    options["extra_imports"] = getattr(config, "extra_imports", "") or "none"
    options["combine"] = generator.combine
    if generator.knn_index:
        options.update({"generator_name": "knn", "knn_index": Path(generator.knn_index)})
    return options


def resumed_params(ctx: Any, run_dir: Path) -> dict[str, Any]:
    """The command's parameters for resuming `run_dir`: stored values, execution options as given.

    Raises ValueError naming each option given again with a value other than the stored one.
    """
    # By name: typer carries its own copy of click, whose enum is not click's.
    given = {name for name in ctx.params
             if getattr(ctx.get_parameter_source(name), "name", "") in ("COMMANDLINE", "ENVIRONMENT")}
    stored = stored_options(run_dir)
    params = dict(ctx.params)
    conflicts = []
    for name in sorted(given - FREE - set(_SELECTION)):
        if name in stored and not _same(name, params[name], stored[name]):
            conflicts.append(name)
    if conflicts:
        flags = ", ".join("--" + n.rstrip("_").replace("_", "-") for n in conflicts)
        raise ValueError(f"{run_dir} was run with other {flags}: drop them to resume, or use a new run directory")
    # A selection given again is applied as given: the run refuses it unless it selects the
    # stored problems ("other names").
    keep = FREE & given | (set(_SELECTION) if given & set(_SELECTION) else set())
    for name, value in stored.items():
        if name not in keep:
            params[name] = value
    return params


def _same(name: str, given: Any, stored: Any) -> bool:
    if isinstance(given, Path) or isinstance(stored, Path):
        return given is not None and stored is not None and Path(given).resolve() == Path(stored).resolve()
    if name in ("temperature", "wall_time", "tactic_timeout", "max_wait_s", "top_p", "proof_timeout") \
            and None not in (given, stored):
        return float(given) == float(stored)
    return given == stored
