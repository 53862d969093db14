"""`prover prove`: search for a proof of one theorem and print the verified proof."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Optional

import typer

from lean_env.registry import assistant
from prover.model_spec import SKETCHES, TACTICS, WHOLE_PROOFS, ModelSpec
from prover_cli import options as opt
from prover_cli.app import EXIT_ENV, EXIT_NOT_PROVED, EXIT_PROVED, app, fail, setup_logging


@app.command()
@opt.with_model_spec
def prove(
    ctx: typer.Context,
    file: Optional[Path] = typer.Argument(None, help="A file with a header and one theorem: .v (Coq), .lean (Lean 4), .thy (Isabelle)."),
    statement: Optional[str] = typer.Option(None, "--statement", "-s", help="Prove this statement instead of a file."),
    header: Optional[str] = typer.Option(None, help="Header for --statement (default: the backend's usual imports)."),
    name: Optional[str] = typer.Option(None, help="Which theorem of FILE to prove, when it has several."),
    backend: str = typer.Option("coq", "--backend", "-b", help="Proof assistant: coq, lean, isabelle (default: from FILE's extension, else coq)."),
    lean_project: opt.LeanProject = None,
    isabelle: opt.IsabelleExe = None,
    tactics: opt.Tactics = None,
    portfolio: opt.Portfolio = True,
    model_spec: Optional[ModelSpec] = None,  # the shared model options (prover_cli/options.py)
    prompt_format: Optional[str] = None,  # --prompt-format as given: recorded whole proofs need it without a model
    generator_name: str = typer.Option("portfolio", "--generator", help="portfolio, or knn: tactics of the nearest traced states (needs --index; with the portfolio unless --no-portfolio)."),
    knn_index: Path | None = typer.Option(None, "--index", help="Index folder built by `prover index`, for --generator knn."),
    combine: str = typer.Option("staged", help="With the portfolio and --generator knn or --model: staged (the portfolio's own search on 70% of the budget, then the chain's on the rest), chain (portfolio first in each expansion), or interleave (round robin)."),
    extra_imports: Optional[str] = typer.Option(
        None, "--extra-imports", help="Coq: library loads after the header, for the search and the proof module, never the statement (default 'From Coq Require Import Lia Lra Psatz.'; 'none': off)."
    ),
    max_expansions: opt.MaxExpansions = opt.BUDGET.max_expansions,
    num_samples: opt.NumSamples = opt.BUDGET.num_samples,
    wall_time: opt.WallTime = opt.BUDGET.wall_time,
    tactic_timeout: opt.TacticTimeout = opt.BUDGET.tactic_timeout,
    policy: opt.Policy = "cumulative",
    tree: Optional[Path] = typer.Option(None, help="Save the search tree; the format follows the extension: .json, .graphml, .svg (a drawing)."),
    informal: Optional[Path] = typer.Option(
        None, "--informal", help="Informal statement+proof JSON: draft, sketch, fill holes, verify (needs --model or --sketch)."
    ),
    sketch: list[Path] = typer.Option([], "--sketch", help="With --informal: a sketch file instead of a model (repeatable)."),
    num_sketches: Optional[int] = typer.Option(None, help="With --informal: sketches to try (default: --num-samples with a model, else one per --sketch)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of text (also on an error)."),
    progress: bool = typer.Option(True, help="Report progress on stderr every few seconds (never with --json)."),
    verbose: opt.Verbose = False,
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
    """Search for a proof of one theorem and print the verified proof.

    Exit status: 0 proved, 1 not proved within the budget, 2 bad input, 3 the proof assistant or the model cannot start (checked before the search)."""
    setup_logging(verbose)
    from lean_env.base import BadTheorem, EnvError
    from lean_env.registry import UnknownName
    from prover.factory import GeneratorOptions, make_generator
    from prover_cli.theorems import extra_imports_for, knn_index_for, make_env, read_theorem
    from search.best_first import SearchConfig, best_first_search
    from search.policy import POLICIES

    if (file is None) == (statement is None):
        raise fail("give either a FILE or --statement TEXT", as_json=as_json)
    if statement is not None and name is not None:
        raise fail("--name picks a theorem of FILE; it cannot be used with --statement", as_json=as_json)
    backend = opt.infer_backend(ctx, backend, file)
    # Every option is checked before any work: a NaN budget or an unknown --score found after a
    # model download (or never, without a model) costs a user their time.
    opt.check_budget(num_samples=num_samples, max_expansions=max_expansions, wall_time=wall_time,
                     tactic_timeout=tactic_timeout, as_json=as_json)
    if mode not in ("formal", "whole-proof"):
        raise fail(f"--mode must be formal or whole-proof, not {mode!r}", as_json=as_json)
    spec = model_spec
    sketches = num_sketches or max(1, num_samples if spec else len(sketch))
    if mode == "whole-proof":
        opt.check_model_use(spec, WHOLE_PROOFS, num_samples, f"--num-samples {num_samples}", as_json=as_json)
    elif informal is not None:
        opt.check_model_use(spec, SKETCHES, sketches, f"--num-sketches {sketches}", as_json=as_json)
    else:
        opt.check_model_use(spec, TACTICS, as_json=as_json)
    if policy not in POLICIES:
        raise fail(f"--policy must be one of {', '.join(POLICIES.names())}, not {policy!r}", as_json=as_json)
    if tree is not None and tree.suffix not in TREE_FORMATS:
        raise fail(f"--tree {tree}: the extension must be one of {', '.join(TREE_FORMATS)}", as_json=as_json)
    if tree is not None and not tree.parent.is_dir():
        raise fail(f"--tree {tree}: folder {tree.parent} does not exist", as_json=as_json)
    opt.apply_assistant_paths(lean_project, isabelle, as_json=as_json)
    opt.check_model_available(spec, as_json=as_json)
    if mode == "whole-proof":
        from prover_cli.whole_proof import prove_whole_command

        prove_whole_command(
            theorem_args={"file": file, "statement": statement, "header": header, "name": name}, backend=backend,
            spec=spec, prompt_format=prompt_format, proofs=proofs, num_samples=num_samples, batch=batch, all_samples=all_samples,
            max_proof_tokens=max_proof_tokens, proof_timeout=proof_timeout, wall_time=wall_time, as_json=as_json,
        )
    if proofs:
        raise fail("--proofs needs --mode whole-proof", as_json=as_json)
    if informal is not None:
        from prover_cli.informal import run_prove_informal

        run_prove_informal(
            file=file, informal=informal, statement=statement, header=header, name=name, backend=backend,
            sketch=sketch, spec=spec, num_sketches=sketches,
            wall_time=wall_time, as_json=as_json,
            hole_search=_hole_search(ctx, max_expansions, num_samples, tactic_timeout),
            extra_imports=extra_imports,
        )
    if sketch:
        raise fail("--sketch needs --informal FILE", as_json=as_json)
    try:
        theorem = read_theorem(backend, file, statement, header, name)
        imports = extra_imports_for(backend, extra_imports)
        search_policy = POLICIES.get(policy)()
        generator = make_generator(GeneratorOptions(
            backend, portfolio, tactics, spec, knn_index=knn_index_for(generator_name, knn_index), combine=combine
        ))
    except (BadTheorem, UnknownName, ValueError, OSError) as exc:
        raise fail(str(exc), as_json=as_json) from None
    config = SearchConfig(
        max_expansions=max_expansions, num_samples=num_samples, wall_time=wall_time, tactic_timeout=tactic_timeout
    )
    reporter = _ProgressLine(max_expansions, wall_time) if progress and not as_json else None
    try:
        with make_env(backend, tactic_timeout, imports) as env:
            result = best_first_search(env, generator, theorem, config, search_policy, progress=reporter)
    except BadTheorem as exc:
        raise fail(str(exc), as_json=as_json) from None
    except EnvError as exc:
        raise fail(f"{backend}: {exc}", EXIT_ENV, as_json=as_json) from None
    if tree is not None:
        try:
            _write_tree(result.tree, tree)
        except OSError as exc:  # the search is done: report it, then say why the tree is missing
            _report(result, as_json, imports)
            raise fail(f"cannot write the tree to {tree}: {exc}") from None
    part_failures = getattr(generator, "failures", 0)  # the model failed behind a working portfolio
    if not result.proved and (result.generator_error or part_failures):
        # Not a search that ran out of ideas: the generator did not deliver what was asked.
        _report(result, as_json, imports)
        if result.generator_error and result.stats.generator_errors >= result.stats.expansions:
            raise fail(f"the generator failed on every expansion: {result.generator_error}", EXIT_ENV)
        failed = result.stats.generator_errors or part_failures
        why = result.generator_error or getattr(generator, "last_error", "")
        raise fail(f"the generator failed on {failed} of {result.stats.expansions} expansion(s): {why}", EXIT_ENV)
    _report(result, as_json, imports)
    raise typer.Exit(EXIT_PROVED if result.proved else EXIT_NOT_PROVED)


TREE_FORMATS = (".json", ".graphml", ".svg")


def _hole_search(ctx: typer.Context | None, max_expansions: int, num_samples: int, tactic_timeout: float):
    """The budget of one hole's search under `--informal`: the informal defaults (small searches,
    many holes), with each budget option the user gave on the command line instead."""
    from dataclasses import replace

    from search.informal import InformalConfig

    chosen = {"max_expansions": max_expansions, "num_samples": num_samples, "tactic_timeout": tactic_timeout}
    given = {name: value for name, value in chosen.items()
             if ctx is not None and getattr(ctx.get_parameter_source(name), "name", "DEFAULT") != "DEFAULT"}
    return replace(InformalConfig().hole_search, **given)


def _write_tree(proof_tree, path: Path) -> None:
    """JSON or GraphML as asked; an .svg is drawn from the JSON (kept beside it as FILE.json)."""
    if path.suffix != ".svg":
        proof_tree.write(path)
        return
    from benchmarks.plots import draw_tree

    data = path.with_suffix(".json")
    proof_tree.write(data)
    draw_tree(data, path)


class _ProgressLine:
    """One line on stderr at most every few seconds while a long search runs."""

    def __init__(self, max_expansions: int, wall_time: float, every_s: float = 5.0) -> None:
        self.max_expansions, self.wall_time, self.every_s = max_expansions, wall_time, every_s
        self.next_at = every_s

    def __call__(self, counts: dict[str, int], elapsed: float) -> None:
        if elapsed < self.next_at:
            return
        self.next_at = elapsed + self.every_s
        limit = f" of {self.wall_time:g}" if math.isfinite(self.wall_time) else ""
        typer.echo(f"... {elapsed:.0f}{limit} s: {counts['expansions']}/{self.max_expansions} expansions, "
                   f"{counts['tactic_calls']} tactics tried ({counts['errors']} failed)", err=True)


def _report(result, as_json: bool, extra_imports: str = "") -> None:
    from dataclasses import asdict

    s = result.stats
    if as_json:
        payload = {
            "name": result.theorem.name,
            "backend": result.theorem.backend,
            "proved": result.proved,
            "proof": list(result.proof),
            "script": clean_script(result.theorem, result.proof, extra_imports) if result.proved else None,
            "stop_reason": result.stop_reason,
            "stats": asdict(s),
        }
        if result.generator_error:
            payload["generator_error"] = result.generator_error
        if result.verification and not result.proved:
            payload["last_rejected_proof"] = result.verification.message
            admitted = _admitted_lemmas_used(result)
            if admitted:
                payload["relies_on_admitted"] = admitted
        typer.echo(json.dumps(payload, indent=1))
        return
    summary = (
        f"{s.expansions} expansions, {s.tactic_calls} tactics, {s.errors} failed, "
        f"{s.wall_seconds:.2f} s (assistant {s.env_seconds:.2f}, generator {s.generator_seconds:.2f}, "
        f"verify {s.verify_seconds:.2f}, search {s.search_seconds:.3f})"
    )
    if result.proved:
        typer.echo(f"Proved {result.theorem.name}: {summary}")
        typer.echo(assistant(result.theorem.backend).proof_text(result.theorem, result.proof, header=False), nl=False)
    else:
        typer.echo(f"Not proved {result.theorem.name} ({result.stop_reason}): {summary}")
        if result.verification is not None and not result.verification.ok:
            typer.echo(f"  a proof was found but the verifier rejected it: {result.verification.message[:300]}")
            for lemma in _admitted_lemmas_used(result):
                typer.echo(f"  it relies on {lemma}, which the input file itself leaves Admitted: "
                           f"prove {lemma} first (or state it as a hypothesis)")


def _admitted_lemmas_used(result) -> list[str]:
    """Lemmas of the theorem's own file left unproved that the rejected proof used."""
    check = result.verification
    if check is None or check.ok:
        return []
    return assistant(result.theorem.backend).unproved_lemmas_used(result.theorem, check)


def clean_script(theorem, proof, extra_imports: str = "") -> str:
    """The proof as a user pastes it into their file: header, the extra tactic libraries it was
    verified with (Coq), statement, tactics (nothing the verifier adds to check it)."""
    return assistant(theorem.backend).proof_text(theorem, proof, extra_imports)
