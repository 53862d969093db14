"""`--mode whole-proof` for `prover prove` and `prover eval`: option checks and the one-theorem command.

Whole-proof provers (DeepSeek-Prover, Goedel-Prover, Kimina-Prover) write complete proofs; each
theorem gets N samples in rounds of `--batch`, each checked on a warm proof assistant and
verified from scratch when it passes (search/whole_proof.py). Samples come from a model
(`--model`) or from recorded model outputs (`--proofs`: re-check a real model's outputs offline).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import typer

from prover.model_spec import WHOLE_PROOFS, ModelSpec
from prover_cli.app import EXIT_ENV, EXIT_NOT_PROVED, EXIT_PROVED, fail

MODES = ("formal", "informal", "whole-proof")


def check_whole_options(backend: str, model: str | None, proofs: Path | None, prompt_format: str | None,
                        num_samples: int, batch: int, max_proof_tokens: int, proof_timeout: float) -> None:
    """Refuse, with one line, whole-proof options that cannot work (before any data is read)."""
    from lean_env.registry import ASSISTANTS, UnknownName, assistant
    from prover.whole_proof import get_whole_format

    able = [name for name in ASSISTANTS.names() if assistant(name).whole_proof]
    if backend not in able:
        raise fail(f"--mode whole-proof is not available for backend {backend!r} (only {', '.join(able)})")
    if (model is None) == (proofs is None):
        raise fail("--mode whole-proof needs either --model or --proofs (recorded model outputs)")
    if proofs is not None and not proofs.exists():
        raise fail(f"--proofs {proofs}: no such file or folder")
    if min(num_samples, batch, max_proof_tokens) < 1:
        raise fail("--num-samples, --batch and --max-proof-tokens must be at least 1")
    if not math.isfinite(proof_timeout) or proof_timeout <= 0:
        raise fail(f"--proof-timeout must be a positive number of seconds (got {proof_timeout})")
    try:
        get_whole_format(prompt_format, model, backend)
    except (UnknownName, ValueError) as exc:
        raise fail(str(exc)) from None


def whole_settings(num_samples: int, batch: int, all_samples: bool, prompt_format: str | None,
                   max_proof_tokens: int, proofs: Path | None) -> dict:
    """RunConfig.whole_proof: what decides a whole-proof run's results."""
    return {"num_samples": num_samples, "batch": batch, "all_samples": all_samples, "prompt_format": prompt_format,
            "max_tokens": max_proof_tokens, "proofs": str(proofs.resolve()) if proofs is not None else None}


def prove_whole_command(*, theorem_args: dict, backend: str, spec: ModelSpec | None, prompt_format: str | None,
                        proofs: list[Path],
                        num_samples: int, batch: int, all_samples: bool, max_proof_tokens: int,
                        proof_timeout: float, wall_time: float, as_json: bool) -> None:
    """Sample and check whole proofs of one theorem; print every sample's outcome and the proof.
    The model (`spec`) samples at its temperature for whole proofs."""
    from lean_env.base import BadTheorem, EnvError
    from lean_env.registry import UnknownName, assistant
    from prover.whole_proof import CompleterSampler, RecordedSampler, get_whole_format
    from prover_cli.theorems import make_env, read_theorem
    from search.whole_proof import SamplingConfig, sample_and_check

    for path in proofs:
        if not path.is_file():
            raise fail(f"--proofs {path}: no such file")
    model = spec.model if spec is not None else None
    check_whole_options(backend, model, proofs[0] if proofs else None, prompt_format, num_samples, batch,
                        max_proof_tokens, proof_timeout)
    try:
        theorem = read_theorem(backend, **theorem_args)
        fmt = get_whole_format(prompt_format, model, backend)
        if proofs:
            texts = [p.read_text(encoding="utf-8") for p in proofs]
            sampler = RecordedSampler(lambda _theorem: texts)
        else:
            from prover.model_registry import engine_spec
            from prover.model_server import build_engine
            from prover.sketcher import EngineCompleter

            assert spec is not None  # check_whole_options: --model or --proofs
            sampler = CompleterSampler(EngineCompleter(build_engine(engine_spec(spec))), fmt, max_proof_tokens,
                                       spec.temperature_for(WHOLE_PROOFS))
        config = SamplingConfig(num_samples, batch, all_samples, proof_timeout, wall_time)
    except (BadTheorem, UnknownName, ValueError, OSError) as exc:
        raise fail(str(exc)) from None
    try:
        with make_env(backend, proof_timeout) as env:
            result = sample_and_check(env, sampler, fmt, theorem, config)
    except BadTheorem as exc:
        raise fail(str(exc)) from None
    except EnvError as exc:
        raise fail(f"{backend}: {exc}", EXIT_ENV) from None
    if as_json:
        typer.echo(json.dumps({"name": theorem.name, "backend": backend, "proved": result.proved, "proof": result.proof,
                               "stop_reason": result.stop_reason, "format": fmt.name,
                               "samples": [r.to_json() for r in result.records]}, indent=1))
    else:
        for r in result.records:
            typer.echo(f"sample {r.index}: {r.status}" + (f" ({r.error[:100]})" if r.error else "") + f" {r.seconds:.2f} s")
        if result.proved:
            typer.echo(f"Proved {theorem.name} ({fmt.name}, {len(result.records)} sample(s))")
            # the one text that was verified, not its lines (a sentence may span several)
            typer.echo(assistant(backend).proof_text(theorem, (result.proof,), header=False), nl=False)
        else:
            typer.echo(f"Not proved {theorem.name} ({result.stop_reason}, {len(result.records)} sample(s))")
    raise typer.Exit(EXIT_PROVED if result.proved else EXIT_NOT_PROVED)
