"""Evaluate a generator on a dataset: one search per theorem, results written as they finish.

`ProofWorker` is a plain class (one proof environment + one generator) so the same code runs
in-process (`workers=0`) and inside a Ray actor (search/distributed.py). In informal mode the worker
runs Draft-Sketch-Prove (search/informal.py) instead: sketches from a model or a folder of human
sketches, holes filled by search with the same generator, the assembled proof verified from scratch.
The driver only submits problems, writes each result line durably, and writes the summary at the
end; `resume` skips every theorem already in the results file, so a killed run continues without
losing or redoing one.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from benchmarks.datasets import Problem
from benchmarks.results import Budget, ResultsWriter, RunConfig, RunDir, TheoremResult
from benchmarks.whole_proof import SAMPLES_DIR
from lean_env.base import BadTheorem, EnvError, ProofEnv
from lean_env.registry import make_env

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WorkerSpec:
    """Everything a worker needs to build itself, picklable for Ray."""

    backend: str
    generator: Any  # prover.factory.GeneratorOptions
    policy: str = "cumulative"
    status_dir: str | None = None  # a worker notes "<pid>: <theorem>" here while it works (local runs)
    generator_actor: Any = None  # a Ray actor serving a whole generator without a model (GeneratorServer)
    engine_actor: Any = None  # a Ray actor serving the model's generation, batched (prover.worker.TacticWorker)
    mode: str = "formal"  # "formal" or "informal" (RunConfig.mode)
    sketch_dir: str | None = None  # informal: human sketches <name>.v, <name>.1.v, ...; None: the model sketches
    informal_root: str | None = None  # informal: <split>/<name>.json for datasets without informal text
    whole_proof: dict | None = None  # whole-proof: RunConfig.whole_proof (samples, batch, format, ...)
    samples_dir: str | None = None  # whole-proof: the run's per-theorem sample logs
    extra_imports: str = ""  # Coq: library loads after each header (RunConfig.extra_imports)


@dataclass(frozen=True, slots=True)
class ExecOptions:
    """How to run, not what: free to change on resume."""

    workers: int = 1  # 0: in-process, no Ray
    address: str | None = None  # an existing Ray cluster ("auto", "ray://host:10001"); None: local
    num_cpus: int | None = None  # CPUs of a local Ray instance (None: the machine's)
    max_retries: int = 2  # resubmissions of a theorem whose worker died
    generator_workers: int = 0  # shared (batched model) generator actors, GPU when present; 0: one per worker
    progress: bool = True


class ProofWorker:
    """Proves one theorem at a time with a long-lived environment; never raises for a theorem."""

    def __init__(self, spec: WorkerSpec) -> None:
        self.spec = spec
        self._env: ProofEnv | None = None
        self._generator = None
        self._completer = None  # informal mode with a model: built once, on first use
        self._policy = None
        self._noted = False
        import search.best_first  # noqa: F401  (import once at start, not inside the first theorem's time)

    def pid(self) -> int:
        return os.getpid()

    def _ensure_env(self) -> ProofEnv:
        """The worker's environment, started once: every call to it carries its own time limit,
        so budgets that differ between theorems need no new process."""
        if self._env is None:
            self._env = make_env(self.spec.backend, extra_imports=self.spec.extra_imports)
        return self._env

    def _setup(self) -> None:
        self._ensure_env()
        if self._generator is None:
            if self.spec.generator_actor is not None:
                from search.distributed import RemoteGenerator

                self._generator = RemoteGenerator(self.spec.generator_actor)
            else:
                from prover.factory import make_generator

                # With a shared model actor only raw generation leaves the worker: prompts,
                # screening and the portfolio stay here.
                self._generator = make_generator(self.spec.generator, engine=self._remote_engine())
        if self._policy is None:
            from search.policy import POLICIES

            self._policy = POLICIES.get(self.spec.policy)()

    def _note(self, text: str) -> None:
        if self.spec.status_dir:
            try:
                if not self._noted:
                    Path(self.spec.status_dir).mkdir(parents=True, exist_ok=True)
                    self._noted = True
                (Path(self.spec.status_dir) / str(os.getpid())).write_text(text)
            except OSError:  # a status note is a convenience; a cluster node may not see the folder
                pass

    def prove(self, problem: Problem, budget: Budget) -> TheoremResult:
        """Run up to `budget.attempts` searches on `problem` (informal mode: sketches, see
        `_prove_informal`); the first verified proof wins.

        Returns a result for every outcome: a statement that does not elaborate, and a proof
        assistant that breaks beyond repair, are error results with proved=False."""
        from search.best_first import best_first_search

        self._note(problem.name)
        start = time.monotonic()
        base = TheoremResult(problem.name, problem.split, problem.category, False, worker=f"pid{os.getpid()}")
        if self.spec.mode == "informal":
            return self._prove_informal(problem, budget, base, start)
        if self.spec.mode == "whole-proof":
            return self._prove_whole(problem, budget, base, start)
        totals: dict[str, float] = {k: 0 for k in ("expansions", "tactic_calls", "assistant_seconds", "verify_seconds",
                                                   "env_seconds", "generator_seconds", "search_seconds", "restarts",
                                                   "generator_errors")}
        attempts, stop, proof, tree, generator_error = 0, "wall_time", (), None, ""
        try:
            self._setup()
            assert self._env is not None
            part_failures = getattr(self._generator, "failures", 0)  # a chained part that failed (model behind a portfolio)
            while attempts < budget.attempts:
                remaining = budget.wall_time - (time.monotonic() - start)
                if remaining <= 0:
                    break
                config = budget.search(remaining)
                result = best_first_search(self._env, self._generator, problem.theorem, config, self._policy)
                attempts += 1
                for key in totals:
                    totals[key] += getattr(result.stats, key)
                stop = result.stop_reason
                generator_error = result.generator_error or generator_error
                if tree is None or result.proved:
                    tree = result.tree
                if result.proved:
                    proof = result.proof
                    break
        except Exception as exc:  # a bug must cost one theorem, not the run
            totals.pop("generator_errors")
            return self._failed(problem, exc, base, start, attempts=attempts, **totals)
        tree_json = _tree_json(tree) if tree is not None else None
        error = None
        part_failed = getattr(self._generator, "failures", 0) - part_failures
        if part_failed and not proof and not generator_error:
            totals["generator_errors"] = part_failed
            generator_error = getattr(self._generator, "last_error", "") or "a generator failed"
        if generator_error and not proof:  # the budget was not spent as asked: not a result
            stop = "error"
            error = (f"generator failed on {int(totals['generator_errors'])} of {int(totals['expansions'])} "
                     f"expansion(s): {generator_error}")
        totals.pop("generator_errors")
        result = replace(base, proved=bool(proof), proof=proof, stop_reason=stop, error=error, attempts=attempts,
                         tree=tree_json, **totals)
        return self._finish(result, start)

    def _prove_informal(self, problem: Problem, budget: Budget, base: TheoremResult, start: float) -> TheoremResult:
        """Draft-Sketch-Prove on `problem`: up to `budget.attempts` sketches, each hole searched with
        budget S x T, everything within `budget.wall_time`. A problem without informal text or without
        a sketch is an error result (counted as not proved), never skipped."""
        from benchmarks.informal import to_informal
        from search.informal import run_informal

        try:
            informal = to_informal(problem, self.spec.informal_root)
            completer = self._completer_for(problem)
        except (BadTheorem, OSError) as exc:  # missing input, not a statement that fails to elaborate
            return self._finish(replace(base, stop_reason="no_input", error=str(exc)), start)
        except Exception as exc:  # the model failed to load: this theorem's error, not the run's
            return self._failed(problem, exc, base, start)
        try:
            self._setup()
            assert self._env is not None
            before = self._env.stats().assistant_seconds
            remaining = budget.wall_time - (time.monotonic() - start)  # the env's start-up counts too
            hole_search = budget.search(remaining)
            result = run_informal(
                informal, self._env, completer, generator=self._generator, num_sketches=budget.attempts,
                wall_time=remaining, temperature=self.spec.generator.temperature, hole_search=hole_search,
            )
            assistant = self._env.stats().assistant_seconds - before
        except Exception as exc:
            return self._failed(problem, exc, base, start)
        checks = [a.verification.seconds for a in result.attempts if a.verification is not None]
        return self._finish(replace(
            base, proved=result.proved, proof=result.proof, stop_reason=result.stop_reason,
            attempts=len(result.attempts), assistant_seconds=assistant, verify_seconds=sum(checks, 0.0),
            env_seconds=assistant, generator_seconds=result.sketch_seconds,  # sketch elaboration is not timed apart
        ), start)

    def _prove_whole(self, problem: Problem, budget: Budget, base: TheoremResult, start: float) -> TheoremResult:
        """Whole-proof sampling on `problem` (search/whole_proof.py): N samples in rounds, each
        checked on the warm process and verified from scratch when it passes. Samples decided in an
        earlier, interrupted session are read from the sample log and neither lost nor redone."""
        from benchmarks.whole_proof import SampleLog, records_json, settings
        from prover.whole_proof import get_whole_format
        from search.whole_proof import SamplingConfig, sample_and_check

        wp = settings(self.spec.whole_proof)
        log_ = SampleLog(self.spec.samples_dir) if self.spec.samples_dir else None
        done = log_.read(problem.name) if log_ is not None else []
        records = list(done)
        try:
            fmt = get_whole_format(wp["prompt_format"], self.spec.generator.model, self.spec.backend)
            sampler = self._sampler_for(fmt, wp)
            config = SamplingConfig(wp["num_samples"], wp["batch"], wp["all_samples"], budget.tactic_timeout,
                                    budget.wall_time - (time.monotonic() - start))
            env = self._ensure_env()
            before = env.stats().assistant_seconds

            def on_sample(record) -> None:
                records.append(record)
                if log_ is not None:
                    log_.append(record)

            result = sample_and_check(env, sampler, fmt, problem.theorem, config, done=done, on_sample=on_sample)
            assistant = env.stats().assistant_seconds - before
        except Exception as exc:
            failed = self._failed(problem, exc, base, start, attempts=len(records))
            return replace(failed, samples=records_json(sorted(records, key=lambda r: r.index)))
        checks = sum(1 for r in result.records if r.check_seconds > 0)
        return self._finish(replace(
            base, proved=result.proved, proof=(result.proof,) if result.proved else (), stop_reason=result.stop_reason,
            attempts=len(result.records), tactic_calls=checks, assistant_seconds=assistant,
            verify_seconds=sum(r.verify_seconds for r in result.records),
            env_seconds=sum(r.check_seconds for r in result.records),
            generator_seconds=sum(r.generate_seconds for r in result.records), samples=records_json(result.records),
        ), start)

    def _sampler_for(self, fmt, wp: dict):
        """Recorded outputs (`proofs` folder) or the model, built once per worker."""
        from prover.whole_proof import CompleterSampler, RecordedSampler

        if wp["proofs"] is not None:
            from benchmarks.whole_proof import read_recorded

            folder = wp["proofs"]
            return RecordedSampler(lambda theorem: read_recorded(folder, theorem.name))
        temperature = self.spec.generator.temperature
        return CompleterSampler(self._model_completer(), fmt, wp["max_tokens"], temperature if temperature > 0 else 1.0)

    def _model_completer(self):
        from prover.sketcher import EngineCompleter

        if self._completer is None:
            engine = self._remote_engine()
            if engine is None:
                from prover.model_factory import spec_from_options
                from prover.model_registry import engine_spec
                from prover.worker import build_engine

                engine = build_engine(engine_spec(spec_from_options(self.spec.generator)))
            self._completer = EngineCompleter(engine)
        return self._completer

    def _completer_for(self, problem: Problem):
        """The sketch source: the problem's sketch files, else the model (built once per worker,
        from picklable options, so a Ray actor builds its own). Raises BadTheorem for no sketch."""
        from prover.sketcher import FixedCompleter

        if self.spec.sketch_dir is not None:
            from benchmarks.informal import read_sketches, sketch_suffix

            texts = read_sketches(self.spec.sketch_dir, problem.name, self.spec.backend)
            if not texts:
                suffix = sketch_suffix(self.spec.backend)
                raise BadTheorem(f"no sketch {problem.name}{suffix} in {self.spec.sketch_dir}")
            return FixedCompleter(texts)
        return self._model_completer()

    def _remote_engine(self):
        """The shared batched model actor as an `Engine`, or None to load the model here."""
        if self.spec.engine_actor is None:
            return None
        from prover.worker import RayEngine

        return RayEngine(self.spec.engine_actor)

    def _failed(self, problem: Problem, exc: Exception, base: TheoremResult, start: float, **used: Any) -> TheoremResult:
        """The error result for an exception raised while proving `problem`; `used` is the budget
        spent before it. A broken assistant is closed so the next theorem gets a fresh one."""
        if isinstance(exc, BadTheorem):
            return self._finish(replace(base, stop_reason="error", error=_not_elaborated(problem.name, str(exc))), start)
        if isinstance(exc, EnvError):
            log.warning("%s: proof assistant failed: %s", problem.name, exc)
            self.close()
            error = f"proof assistant failed: {exc}"
        else:
            error = f"{type(exc).__name__}: {exc}"
            # One line per theorem in the log; the traceback only with -v (it repeats per theorem).
            log.error("%s: %s", problem.name, error.splitlines()[0][:300] if error else type(exc).__name__)
            log.info("%s: traceback", problem.name, exc_info=exc)
        return self._finish(replace(base, stop_reason="error", error=error, **used), start)

    def _finish(self, result: TheoremResult, start: float) -> TheoremResult:
        self._note("")
        return replace(result, wall_seconds=time.monotonic() - start)

    def close(self) -> None:
        if self._env is not None:
            self._env.close()
            self._env = None


def _error_result(problem: Problem, message: str, retries: int) -> TheoremResult:
    """The line for a theorem no worker could finish (it died, or raised)."""
    return TheoremResult(problem.name, problem.split, problem.category, False, stop_reason="error",
                         error=message, retries=retries)


def _not_elaborated(name: str, message: str) -> str:
    """One prefix, whatever the backend already said: "statement does not elaborate: <why>"."""
    for prefix in (f"{name}: ", "statement does not elaborate: "):
        message = message.removeprefix(prefix)
    return f"statement does not elaborate: {message}"


def _tree_json(tree) -> str:
    import json

    import networkx as nx

    return json.dumps(nx.node_link_data(tree.to_serializable(), edges="edges"))


# -- the driver --------------------------------------------------------------------------------


@dataclass
class Progress:
    """Counts for the live bar and the session record."""

    total: int
    done: int = 0
    solved: int = 0
    errors: int = 0
    new: list[TheoremResult] = field(default_factory=list)


def run_evaluation(
    run_dir: RunDir,
    config: RunConfig,
    problems: Sequence[Problem],
    exec_options: ExecOptions = ExecOptions(),
    *,
    resume: bool = False,
    versions: dict[str, str] | None = None,
) -> list[TheoremResult]:
    """Prove every problem not yet in `run_dir`, then write the summary and plots.

    Returns all results of the run (earlier sessions included), in file order. Raises
    ConfigMismatch when resuming with another config, ValueError for a non-empty new run dir."""
    done = run_dir.resume(config) if resume else []
    if not resume:
        run_dir.create(config)
    done_names = {r.name for r in done}
    todo = [p for p in problems if p.name not in done_names]
    progress = Progress(total=len(problems), done=len(done), solved=sum(r.proved for r in done))
    spec = WorkerSpec(config.backend, _generator_options(config), config.policy, str(run_dir.path / ".workers"),
                      mode=config.mode, sketch_dir=config.sketches, informal_root=config.informal_data,
                      whole_proof=config.whole_proof, samples_dir=str((run_dir.path / SAMPLES_DIR).resolve()),
                      extra_imports=config.extra_imports)
    started, t0 = time.time(), time.monotonic()
    model_stats: list[dict[str, float]] = []
    bar = _bar(progress, exec_options.progress)
    with ResultsWriter(run_dir.results_path) as writer:

        def on_result(result: TheoremResult) -> None:
            run_dir.write_tree(result)  # before the line: a line always has its tree
            writer.write(result)
            progress.done += 1
            progress.solved += result.proved
            progress.errors += result.failed_to_run
            progress.new.append(result)
            if bar is not None:
                bar.set_postfix(solved=progress.solved, errors=progress.errors, refresh=False)
                bar.update(1)  # refreshes with the counts just set
            elif exec_options.progress:
                _log_line(progress, result)

        try:
            if todo and exec_options.workers <= 1 and exec_options.address is None:  # no Ray start to pay
                _run_local(spec, todo, config.budget, on_result)
            elif todo:
                from search.distributed import run_pool

                model_stats = run_pool(ProofWorker, spec, todo, config.budget, exec_options, on_result, _error_result)
        finally:
            if bar is not None:
                bar.close()
            run_dir.add_session(
                {"started": started, "wall_seconds": time.monotonic() - t0, "workers": exec_options.workers,
                 "address": exec_options.address, "theorems": len(progress.new), "complete": progress.done == progress.total,
                 **({"model_workers": model_stats} if model_stats else {})}
            )
    from benchmarks.results import read_results

    results = read_results(run_dir.results_path)
    from benchmarks.report import write_report

    write_report(run_dir, results, versions or {})
    return results


def _run_local(spec: WorkerSpec, problems: Sequence[Problem], budget: Budget, on_result: Callable[[TheoremResult], None]) -> None:
    worker = ProofWorker(spec)
    try:
        for problem in problems:
            on_result(worker.prove(problem, budget))
    finally:
        worker.close()


def _generator_options(config: RunConfig):
    from prover.factory import GeneratorOptions

    options = dict(config.generator)
    if options.get("tactics_file") is not None:
        options["tactics_file"] = Path(options["tactics_file"])
    return GeneratorOptions(**options)


def _log_line(progress: Progress, result: TheoremResult) -> None:
    """One line per theorem on stderr when it is not a terminal (a log file): no bar redraws."""
    import sys

    outcome = "proved" if result.proved else ("ERROR " + (result.error or "")[:200] if result.error else result.stop_reason)
    print(f"[{progress.done}/{progress.total}] {result.name}: {outcome} ({result.wall_seconds:.1f} s); "
          f"solved {progress.solved}, errors {progress.errors}", file=sys.stderr, flush=True)


def _bar(progress: Progress, enabled: bool):
    import sys

    if not enabled or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    bar = tqdm(total=progress.total, initial=progress.done, unit="thm", dynamic_ncols=True, smoothing=0.05)
    bar.set_postfix(solved=progress.solved, errors=0)
    return bar
