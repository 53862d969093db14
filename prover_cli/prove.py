"""`prover prove`: search for a proof of one theorem and print the verified proof."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Optional

import typer

from prover_cli.app import EXIT_ENV, EXIT_NOT_PROVED, EXIT_PROVED, app, fail, setup_logging


@app.command()
def prove(
    file: Optional[Path] = typer.Argument(None, help="A file with a header and one theorem (.v for Coq)."),
    statement: Optional[str] = typer.Option(None, "--statement", "-s", help="Prove this statement instead of a file."),
    header: Optional[str] = typer.Option(None, help="Header for --statement (default: the backend's usual imports)."),
    name: Optional[str] = typer.Option(None, help="Which theorem of FILE to prove, when it has several."),
    backend: str = typer.Option("coq", "--backend", "-b", help="Proof assistant: coq, lean, isabelle."),
    tactics: Optional[Path] = typer.Option(None, "--tactics", help="Tactic list file, one tactic per line."),
    generator_name: str = typer.Option("portfolio", "--generator", help="portfolio, or knn: tactics of the nearest traced states (needs --index; with the portfolio unless --no-portfolio)."),
    knn_index: Path | None = typer.Option(None, "--index", help="Index folder built by `prover index`, for --generator knn."),
    combine: str = typer.Option("chain", help="With --generator knn and the portfolio: chain (portfolio first) or interleave (round robin)."),
    portfolio: bool = typer.Option(True, help="Try the backend's automation portfolio (first, when a model is used)."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Model id or path (Hugging Face), or an endpoint with --engine openai."),
    engine: str = typer.Option("hf", help="Model engine: hf, vllm, openai, tiny (random weights, for tests)."),
    prompt_format: Optional[str] = typer.Option(None, help="Prompt format (default: chosen from the model id)."),
    temperature: float = typer.Option(0.0, help="Sampling temperature; 0 with --beam-search for beams."),
    beam_search: bool = typer.Option(False, help="Beam search instead of sampling."),
    max_new_tokens: int = typer.Option(128, help="Maximum tokens per generated tactic."),
    device: Optional[str] = typer.Option(None, help="Model device (cpu, cuda, cuda:1, auto)."),
    dtype: str = typer.Option("auto", help="Model dtype (auto, bfloat16, float16, float32)."),
    endpoint: Optional[str] = typer.Option(None, help="Base URL of an OpenAI-compatible completions server."),
    api_key: Optional[str] = typer.Option(None, envvar="OPENAI_API_KEY", help="API key for --endpoint."),
    top_p: Optional[float] = typer.Option(None, help="Nucleus sampling threshold."),
    stop: list[str] = typer.Option([], "--stop", help="Stop text (repeatable; default: the prompt format's)."),
    score: str = typer.Option("sum", help="Candidate score: sum or mean token log-prob."),
    max_batch_size: int = typer.Option(64, help="Most requests the model worker batches together."),
    max_wait_s: float = typer.Option(0.01, help="Seconds the model worker waits to fill a batch."),
    batching: bool = typer.Option(True, help="Batch model requests across concurrent searches."),
    max_expansions: int = typer.Option(100, help="Budget T: node expansions."),
    num_samples: int = typer.Option(32, help="Budget S: candidate tactics per expansion."),
    wall_time: float = typer.Option(600.0, help="Seconds for the whole search."),
    tactic_timeout: float = typer.Option(5.0, help="Seconds per tactic."),
    policy: str = typer.Option("cumulative", help="Search priority: cumulative, depth_normalized, breadth_first."),
    extra_imports: Optional[str] = typer.Option(
        None, "--extra-imports", help="Coq: library loads after the header, for the search and the proof module, never the statement (default 'From Coq Require Import Lia Lra Psatz.'; 'none': off)."
    ),
    tree: Optional[Path] = typer.Option(None, help="Save the search tree (.graphml or .json)."),
    informal: Optional[Path] = typer.Option(
        None, "--informal", help="Informal statement+proof JSON: draft, sketch, fill holes, verify (needs --model or --sketch)."
    ),
    sketch: list[Path] = typer.Option([], "--sketch", help="With --informal: a sketch file instead of a model (repeatable)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of text."),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
    mode: str = typer.Option("formal", help="formal: best-first search; whole-proof: sample whole proofs (pass@k).",
                             rich_help_panel="Whole-proof"),
    batch: int = typer.Option(8, help="Whole-proof: samples drawn per round (stops at the first verified one).",
                              rich_help_panel="Whole-proof"),
    all_samples: bool = typer.Option(False, help="Whole-proof: draw all --num-samples even after a verified one.",
                                     rich_help_panel="Whole-proof"),
    proofs: list[Path] = typer.Option([], "--proofs", help="Whole-proof: a file holding one recorded model output "
                                      "(repeatable), instead of --model.", rich_help_panel="Whole-proof"),
    max_proof_tokens: int = typer.Option(2048, help="Whole-proof: tokens per sampled proof.", rich_help_panel="Whole-proof"),
    proof_timeout: float = typer.Option(60.0, help="Whole-proof: seconds to check one whole proof.",
                                        rich_help_panel="Whole-proof"),
) -> None:
    """Search for a proof of one theorem and print the verified proof."""
    setup_logging(verbose)
    from lean_env.base import BadTheorem, EnvError
    from lean_env.registry import UnknownName
    from prover.factory import GeneratorOptions, make_generator
    from prover_cli.theorems import extra_imports_for, knn_index_for, make_env, read_theorem
    from search.best_first import SearchConfig, best_first_search
    from search.policy import POLICIES

    if (file is None) == (statement is None):
        raise fail("give either a FILE or --statement TEXT")
    if statement is not None and name is not None:
        raise fail("--name picks a theorem of FILE; it cannot be used with --statement")
    # Budgets: a negative, zero or NaN value is bad input, not a search that stops at once (a NaN
    # tactic timeout used to crash deep in the Coq bridge with a traceback).
    for option, value in (("--max-expansions", max_expansions), ("--num-samples", num_samples)):
        if value < 1:
            raise fail(f"{option} must be at least 1 (got {value})")
    if math.isnan(wall_time) or wall_time <= 0:  # inf is fine: no wall-clock limit
        raise fail(f"--wall-time must be a positive number of seconds (got {wall_time})")
    if not math.isfinite(tactic_timeout) or tactic_timeout <= 0:
        raise fail(f"--tactic-timeout must be a positive number of seconds (got {tactic_timeout})")
    if mode not in ("formal", "whole-proof"):
        raise fail(f"--mode must be formal or whole-proof, not {mode!r}")
    if mode == "whole-proof":
        from prover_cli.whole_proof import prove_whole_command

        prove_whole_command(
            theorem_args={"file": file, "statement": statement, "header": header, "name": name}, backend=backend,
            model=model, engine=engine, endpoint=endpoint, device=device, prompt_format=prompt_format,
            temperature=temperature, proofs=proofs, num_samples=num_samples, batch=batch, all_samples=all_samples,
            max_proof_tokens=max_proof_tokens, proof_timeout=proof_timeout, wall_time=wall_time, as_json=as_json,
        )
    if proofs:
        raise fail("--proofs needs --mode whole-proof")
    if tree is not None and not tree.parent.is_dir():
        raise fail(f"--tree {tree}: folder {tree.parent} does not exist")
    if informal is not None:
        from prover_cli.informal import prove_informal_command

        prove_informal_command(
            file=file, informal=informal, statement=statement, header=header, name=name, backend=backend,
            sketch=sketch, model=model, engine=engine, endpoint=endpoint or "http://127.0.0.1:8000/v1",
            num_sketches=max(1, num_samples if model else len(sketch)), temperature=temperature or 0.8,
            wall_time=wall_time, as_json=as_json, verbose=verbose,
        )
    try:
        theorem = read_theorem(backend, file, statement, header, name)
        imports = extra_imports_for(backend, extra_imports)
        search_policy = POLICIES.get(policy)()
        options = GeneratorOptions(
            backend=backend,
            portfolio=portfolio,
            tactics_file=tactics,
            model=model,
            engine=engine,
            prompt_format=prompt_format,
            temperature=temperature,
            beam_search=beam_search,
            max_new_tokens=max_new_tokens,
            device=device,
            dtype=dtype,
            endpoint=endpoint,
            api_key=api_key,
            top_p=top_p,
            stop=tuple(stop) or None,
            score=score,
            max_batch_size=max_batch_size,
            max_wait_s=max_wait_s,
            batching=batching,
            knn_index=knn_index_for(generator_name, knn_index),
            combine=combine,
        )
        generator = make_generator(options)
    except (BadTheorem, UnknownName, ValueError, OSError) as exc:
        raise fail(str(exc)) from None
    config = SearchConfig(
        max_expansions=max_expansions, num_samples=num_samples, wall_time=wall_time, tactic_timeout=tactic_timeout
    )
    try:
        with make_env(backend, tactic_timeout, imports) as env:
            result = best_first_search(env, generator, theorem, config, search_policy)
    except BadTheorem as exc:
        raise fail(str(exc)) from None
    except EnvError as exc:
        raise fail(f"{backend}: {exc}", EXIT_ENV) from None
    if tree is not None:
        try:
            result.tree.write(tree)
        except OSError as exc:  # the search is done: report it, then say why the tree is missing
            _report(result, as_json)
            raise fail(f"cannot write the tree to {tree}: {exc}") from None
    _report(result, as_json)
    raise typer.Exit(EXIT_PROVED if result.proved else EXIT_NOT_PROVED)


def _report(result, as_json: bool) -> None:
    from dataclasses import asdict

    s = result.stats
    if as_json:
        payload = {
            "name": result.theorem.name,
            "backend": result.theorem.backend,
            "proved": result.proved,
            "proof": list(result.proof),
            "script": result.verification.script if result.proved and result.verification else None,
            "stop_reason": result.stop_reason,
            "stats": asdict(s),
        }
        if result.verification and not result.proved:
            payload["last_rejected_proof"] = result.verification.message
        typer.echo(json.dumps(payload, indent=1))
        return
    summary = (
        f"{s.expansions} expansions, {s.tactic_calls} tactics, {s.errors} failed, "
        f"{s.wall_seconds:.2f} s (assistant {s.env_seconds:.2f}, generator {s.generator_seconds:.2f}, "
        f"verify {s.verify_seconds:.2f}, search {s.search_seconds:.3f})"
    )
    if result.proved:
        typer.echo(f"Proved {result.theorem.name}: {summary}")
        if result.theorem.backend == "coq":
            typer.echo("Proof.\n" + "".join(f"  {t}\n" for t in result.proof) + "Qed.")
        else:  # Lean: the statement ends with ":= by"; Isabelle: the methods in order
            typer.echo(result.theorem.statement.rstrip() + "\n" + "".join(f"  {t}\n" for t in result.proof), nl=False)
    else:
        typer.echo(f"Not proved {result.theorem.name} ({result.stop_reason}): {summary}")
