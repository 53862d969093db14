"""Evaluate a generator on a dataset: one search per theorem, results written as they finish.

`ProofWorker` is a plain class (one proof environment + one generator) so the same code runs
in-process (`workers=0`) and inside a Ray actor (search/distributed.py). The driver only submits
problems, writes each result line durably, and writes the summary at the end; `resume` skips
every theorem already in the results file, so a killed run continues without losing or redoing one.
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
from lean_env.base import BadTheorem, EnvError, ProofEnv

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WorkerSpec:
    """Everything a worker needs to build itself, picklable for Ray."""

    backend: str
    generator: Any  # prover.factory.GeneratorOptions
    policy: str = "cumulative"
    status_dir: str | None = None  # a worker notes "<pid>: <theorem>" here while it works (local runs)
    generator_actor: Any = None  # a Ray actor handle serving the generator, else built in the worker


@dataclass(frozen=True, slots=True)
class ExecOptions:
    """How to run, not what: free to change on resume."""

    workers: int = 1  # 0: in-process, no Ray
    address: str | None = None  # an existing Ray cluster ("auto", "ray://host:10001"); None: local
    num_cpus: int | None = None  # CPUs of a local Ray instance (None: the machine's)
    max_retries: int = 2  # resubmissions of a theorem whose worker died
    generator_workers: int = 0  # shared generator actors (GPU when present); 0: one per worker
    progress: bool = True


def make_env(backend: str, tactic_timeout: float) -> ProofEnv:
    """A fresh environment for `backend` (raises SetupError when the assistant is missing)."""
    if backend == "coq":
        from lean_env.coq.env import CoqConfig, CoqEnv

        return CoqEnv(CoqConfig(tactic_timeout=tactic_timeout))
    if backend == "lean":
        from lean_env.lean_repl.env import LeanConfig, LeanEnv

        return LeanEnv(LeanConfig(tactic_timeout=tactic_timeout))
    from lean_env.registry import ENVIRONMENTS

    return ENVIRONMENTS.get(backend)()


class ProofWorker:
    """Proves one theorem at a time with a long-lived environment; never raises for a theorem."""

    def __init__(self, spec: WorkerSpec) -> None:
        self.spec = spec
        self._env: ProofEnv | None = None
        self._env_timeout: float | None = None
        self._generator = None
        self._policy = None
        self._noted = False
        import search.best_first  # noqa: F401  (import once at start, not inside the first theorem's time)

    def pid(self) -> int:
        return os.getpid()

    def _setup(self, tactic_timeout: float) -> None:
        if self._env is not None and self._env_timeout != tactic_timeout:
            self.close()
        if self._env is None:
            self._env = make_env(self.spec.backend, tactic_timeout)
            self._env_timeout = tactic_timeout
        if self._generator is None:
            if self.spec.generator_actor is not None:
                from search.distributed import RemoteGenerator

                self._generator = RemoteGenerator(self.spec.generator_actor)
            else:
                from prover.factory import make_generator

                self._generator = make_generator(self.spec.generator)
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
        """Run up to `budget.attempts` searches on `problem`; the first verified proof wins.

        Returns a result for every outcome: a statement that does not elaborate, and a proof
        assistant that breaks beyond repair, are error results with proved=False."""
        from search.best_first import SearchConfig, best_first_search

        self._note(problem.name)
        start = time.monotonic()
        base = TheoremResult(problem.name, problem.split, problem.category, False, worker=f"pid{os.getpid()}")
        totals: dict[str, float] = {k: 0 for k in ("expansions", "tactic_calls", "assistant_seconds", "verify_seconds",
                                                   "env_seconds", "generator_seconds", "search_seconds", "restarts")}
        attempts, stop, proof, tree = 0, "wall_time", (), None
        try:
            self._setup(budget.tactic_timeout)
            assert self._env is not None
            while attempts < budget.attempts:
                remaining = budget.wall_time - (time.monotonic() - start)
                if remaining <= 0:
                    break
                config = SearchConfig(budget.expansions, budget.samples, remaining, budget.tactic_timeout)
                result = best_first_search(self._env, self._generator, problem.theorem, config, self._policy)
                attempts += 1
                for key in totals:
                    totals[key] += getattr(result.stats, key)
                stop = result.stop_reason
                if tree is None or result.proved:
                    tree = result.tree
                if result.proved:
                    proof = result.proof
                    break
        except BadTheorem as exc:
            return self._finish(replace(base, stop_reason="error", error=_not_elaborated(problem.name, str(exc))), start)
        except EnvError as exc:
            log.warning("%s: proof assistant failed: %s", problem.name, exc)
            self.close()  # the next theorem gets a fresh environment
            return self._finish(replace(base, attempts=attempts, stop_reason="error", error=f"proof assistant failed: {exc}", **totals), start)
        except Exception as exc:  # a bug must cost one theorem, not the run
            log.exception("%s: unexpected failure", problem.name)
            return self._finish(replace(base, attempts=attempts, stop_reason="error", error=f"{type(exc).__name__}: {exc}", **totals), start)
        tree_json = _tree_json(tree) if tree is not None else None
        result = replace(base, proved=bool(proof), proof=proof, stop_reason=stop, attempts=attempts, tree=tree_json, **totals)
        return self._finish(result, start)

    def _finish(self, result: TheoremResult, start: float) -> TheoremResult:
        self._note("")
        return replace(result, wall_seconds=time.monotonic() - start)

    def close(self) -> None:
        if self._env is not None:
            self._env.close()
            self._env = None


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
    spec = WorkerSpec(config.backend, _generator_options(config), config.policy, str(run_dir.path / ".workers"))
    started, t0 = time.time(), time.monotonic()
    bar = _bar(progress, exec_options.progress)
    with ResultsWriter(run_dir.results_path) as writer:

        def on_result(result: TheoremResult) -> None:
            run_dir.write_tree(result)  # before the line: a line always has its tree
            writer.write(result)
            progress.done += 1
            progress.solved += result.proved
            progress.errors += result.error is not None
            progress.new.append(result)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(solved=progress.solved, errors=progress.errors, refresh=False)

        try:
            if todo and exec_options.workers == 0:
                _run_local(spec, todo, config.budget, on_result)
            elif todo:
                from search.distributed import run_pool

                run_pool(spec, todo, config.budget, exec_options, on_result)
        finally:
            if bar is not None:
                bar.close()
            run_dir.add_session(
                {"started": started, "wall_seconds": time.monotonic() - t0, "workers": exec_options.workers,
                 "address": exec_options.address, "theorems": len(progress.new), "complete": progress.done == progress.total}
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


def _bar(progress: Progress, enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    bar = tqdm(total=progress.total, initial=progress.done, unit="thm", dynamic_ncols=True, smoothing=0.05)
    bar.set_postfix(solved=progress.solved, errors=0)
    return bar
