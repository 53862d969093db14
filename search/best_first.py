"""Best-first proof search: a pure loop over a ProofEnv and a TacticGenerator.

The open node with the highest priority is expanded: the generator proposes up to k tactics, each
is run in order, new states are queued, identical states are merged. A tactic-mode proof is handed
to the environment's independent verifier and counts only if it passes; a rejected one is recorded
and the search goes on. Budgets are checked between steps, so a proof found on the step that
exhausts a budget still counts.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import Any, ParamSpec, TypeVar

from lean_env.base import (
    Advanced,
    EnvStats,
    FailureKind,
    ProofEnv,
    Proved,
    TacticFailure,
    TacticResult,
    Theorem,
    Verification,
)
from prover.base import StagedGenerator, TacticGenerator
from search.policy import CumulativeScore, SearchPolicy
from search.tree import ROOT, ProofTree

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class SearchConfig:
    """The budget of one search: the only one, validated here for every command that searches.

    `tactic_timeout` travels with each `run_tactic` call; an environment that must replay a path
    after a restart gives replayed tactics its own allowance (a multiple of the limit they first
    ran under), so a slow replay is not mistaken for a hung tactic.
    """

    max_expansions: int = 100  # T: nodes expanded (a generator call each)
    num_samples: int = 32  # S: candidates asked of the generator per expansion
    wall_time: float = 600.0  # seconds per theorem, all included (inf: no limit)
    tactic_timeout: float = 5.0  # seconds per tactic text

    def __post_init__(self) -> None:
        # One-line messages naming the command-line options, which map one to one onto the fields.
        for option, value in (("--max-expansions", self.max_expansions), ("--num-samples", self.num_samples)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{option} must be at least 1 (got {value})")
        if math.isnan(self.wall_time) or self.wall_time <= 0:
            raise ValueError(f"--wall-time must be a positive number of seconds (got {self.wall_time})")
        if not math.isfinite(self.tactic_timeout) or self.tactic_timeout <= 0:
            raise ValueError(f"--tactic-timeout must be a positive, finite number of seconds (got {self.tactic_timeout})")


@dataclass(frozen=True, slots=True)
class SearchStats:
    expansions: int = 0
    tactic_calls: int = 0
    errors: int = 0  # tactic failures of any kind
    timeouts: int = 0
    generator_errors: int = 0
    rejected_proofs: int = 0  # tactic-mode proofs the verifier refused
    nodes: int = 1
    env_seconds: float = 0.0  # in ProofEnv.run_tactic (proof assistant and its bridge)
    generator_seconds: float = 0.0
    verify_seconds: float = 0.0
    search_seconds: float = 0.0  # everything else: the search's own bookkeeping
    wall_seconds: float = 0.0
    assistant_seconds: float = 0.0  # of env time, spent waiting on the proof assistant itself
    restarts: int = 0


@dataclass(frozen=True)
class SearchResult:
    theorem: Theorem
    proved: bool
    proof: tuple[str, ...]  # verified tactic script, () when not proved
    verification: Verification | None  # of the proof, or of the last rejected attempt
    stop_reason: str  # "proved", "expansions", "wall_time", "exhausted"
    stats: SearchStats
    tree: ProofTree = field(repr=False)
    generator_error: str = ""  # the generator's last exception, when it failed on some expansion

    @property
    def script(self) -> str:
        return "\n".join(self.proof)


class _Clock:
    """Accumulates time per category; the rest of the wall time is the search's own."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.spent = {"env": 0.0, "gen": 0.0, "verify": 0.0}

    def timed(self, category: str, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        t0 = time.monotonic()
        try:
            return fn(*args, **kwargs)
        finally:
            self.spent[category] += time.monotonic() - t0

    def elapsed(self) -> float:
        return time.monotonic() - self.start


def best_first_search(
    env: ProofEnv,
    generator: TacticGenerator,
    theorem: Theorem,
    config: SearchConfig = SearchConfig(),
    policy: SearchPolicy | None = None,
    *,
    progress: Callable[[dict[str, int], float], None] | None = None,
) -> SearchResult:
    """Search for a proof of `theorem`. Raises BadTheorem if it does not elaborate, EnvError if
    the environment breaks beyond repair; every other outcome is a SearchResult. `progress` is
    called after each expansion with the counts so far and the seconds elapsed. A staged
    generator's stages run as searches one after the other (`_staged_search`)."""
    policy = policy or CumulativeScore()
    if isinstance(generator, StagedGenerator):
        return _staged_search(env, generator.stages, theorem, config, policy, progress)
    return _search(env, generator, theorem, config, policy, progress)


def _staged_search(
    env: ProofEnv,
    stages: tuple[tuple[TacticGenerator, float], ...],
    theorem: Theorem,
    config: SearchConfig,
    policy: SearchPolicy,
    progress: Callable[[dict[str, int], float], None] | None,
) -> SearchResult:
    """Each stage a fresh search, until one proves the theorem. The budget is shared, never
    renewed: a stage gets at most its share of the wall time and of the expansions (the last
    stage, all that is left of both). A tactic an earlier stage ran on the same path is not run
    again (its result is reused: the environment is deterministic along a path), so the chain's
    stage pays only for what the first stage never tried. The result is the last stage's (its
    tree, its stop reason), with the counts of all stages added up."""
    start = time.monotonic()
    memo: Memo = {}  # (path, tactic) -> result, shared by the stages: same path, same answer
    totals: dict[str, Any] = {}
    result: SearchResult | None = None
    errors: list[str] = []
    for number, (generator, share) in enumerate(stages):
        wall_left = config.wall_time - (time.monotonic() - start)
        expansions_left = config.max_expansions - int(totals.get("expansions", 0))
        if wall_left <= 0 or expansions_left < 1:
            break
        last = number == len(stages) - 1
        if not last:
            wall_left = min(wall_left, share * config.wall_time)
            expansions_left = min(expansions_left, max(1, round(share * config.max_expansions)))
        stage = replace(config, wall_time=wall_left, max_expansions=expansions_left)
        done = dict(totals)  # the counts of the earlier stages, for the progress callback

        def report(counts: dict[str, int], seconds: float, done: dict[str, float] = done) -> None:
            assert progress is not None
            progress({k: v + int(done.get(k, 0)) for k, v in counts.items()}, time.monotonic() - start)

        result = _search(env, generator, theorem, stage, policy, report if progress else None, memo)
        for f in fields(SearchStats):
            totals[f.name] = totals.get(f.name, 0) + getattr(result.stats, f.name)
        if result.generator_error:
            errors.append(result.generator_error)
        if result.proved:
            break
    assert result is not None, "the first stage always runs: the budget is validated positive"
    totals["wall_seconds"] = time.monotonic() - start
    stats = SearchStats(**totals)
    return replace(result, stats=stats, generator_error=errors[-1] if errors else "")


Memo = dict[tuple[tuple[str, ...], str], TacticResult]


def _reusable(result: TacticResult, full_allowance: bool) -> bool:
    """Whether a later stage may take this result without running the tactic again: every
    outcome the same path and text would give again. Not a crash (the process may be to blame),
    nor a timeout under less than the full per-tactic allowance (the wall budget cut it short)."""
    if isinstance(result, TacticFailure):
        return result.kind is not FailureKind.CRASHED and (result.kind is not FailureKind.TIMEOUT or full_allowance)
    return True


def _search(
    env: ProofEnv,
    generator: TacticGenerator,
    theorem: Theorem,
    config: SearchConfig,
    policy: SearchPolicy,
    progress: Callable[[dict[str, int], float], None] | None,
    memo: Memo | None = None,
) -> SearchResult:
    """One best-first search. `memo` maps (path, tactic) to the result an earlier search of the
    same theorem got: a staged search's later stages do not pay again for what the first ran."""
    clock = _Clock()
    stats_before: EnvStats = env.stats()
    root = clock.timed("env", env.open, theorem)
    tree = ProofTree(root)
    counter = itertools.count()
    frontier: list[tuple[float, int, str]] = [(0.0, next(counter), ROOT)]
    c = dict(expansions=0, tactic_calls=0, errors=0, timeouts=0, generator_errors=0, rejected_proofs=0)
    proof: tuple[str, ...] = ()
    verification: Verification | None = None
    stop = "exhausted"
    generator_error = ""

    while frontier:
        if progress is not None and c["expansions"]:
            progress(dict(c), clock.elapsed())
        if c["expansions"] >= config.max_expansions:
            stop = "expansions"
            break
        if clock.elapsed() >= config.wall_time:
            stop = "wall_time"
            break
        _, _, node = heapq.heappop(frontier)
        data = tree.graph.nodes[node]
        if data["expanded"]:
            continue
        data["expanded"] = True
        state = data["state"]
        c["expansions"] += 1
        try:
            candidates = clock.timed("gen", generator.generate, theorem, state, config.num_samples)
        except Exception as exc:  # a model failure costs this expansion, not the search
            log.warning("generator failed on %s: %s", theorem.name, exc)
            c["generator_errors"] += 1
            generator_error = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
            continue
        tried = crashed = 0
        for cand in list(candidates)[: config.num_samples]:
            remaining = config.wall_time - clock.elapsed()
            if remaining <= 0:
                stop = "wall_time"
                break
            tried += 1
            timeout = min(config.tactic_timeout, max(remaining, 0.5))
            key = (state.path, cand.tactic)
            if memo is not None and key in memo:
                result = memo[key]  # an earlier stage ran this tactic on this very path
            else:
                c["tactic_calls"] += 1
                result = clock.timed("env", env.run_tactic, state, cand.tactic, timeout)
                if memo is not None and _reusable(result, timeout == config.tactic_timeout):
                    memo[key] = result
            if isinstance(result, Proved):
                check = clock.timed("verify", env.verify, theorem, result.proof)
                verification = check
                if check.ok:
                    leaf = tree.add_leaf(node, cand.tactic, cand.score, "proved", "")
                    tree.mark_proof(leaf, result.proof)
                    proof, stop = result.proof, "proved"
                    break
                c["rejected_proofs"] += 1
                tree.add_leaf(node, cand.tactic, cand.score, "rejected_by_verifier", check.message)
            elif isinstance(result, Advanced):
                cumulative = data["cumulative"] + cand.score
                depth = data["depth"] + 1
                priority = policy.priority(data["cumulative"], cand.score, depth)
                child, new = tree.add_state(node, result.state, cand.tactic, cand.score, cumulative, priority)
                if new:
                    heapq.heappush(frontier, (-priority, next(counter), child))
            else:
                assert isinstance(result, TacticFailure)
                c["errors"] += 1
                crashed += result.kind is FailureKind.CRASHED
                if result.kind is FailureKind.TIMEOUT:
                    c["timeouts"] += 1
                tree.add_leaf(node, cand.tactic, cand.score, result.kind.value, result.message)
        if stop in ("proved", "wall_time"):
            break
        if tried and crashed == tried and tree.revive(node):
            # Every tactic broke the process here: the path is likely the culprit. States merged
            # into this node up to names came by other paths; expand it again from the next one.
            heapq.heappush(frontier, (-data["priority"], next(counter), node))

    wall = clock.elapsed()
    after = env.stats()
    stats = SearchStats(
        **c,
        nodes=sum(1 for _, d in tree.graph.nodes(data=True) if d["kind"] == "state"),
        env_seconds=clock.spent["env"],
        generator_seconds=clock.spent["gen"],
        verify_seconds=clock.spent["verify"],
        search_seconds=max(0.0, wall - sum(clock.spent.values())),
        wall_seconds=wall,
        assistant_seconds=after.assistant_seconds - stats_before.assistant_seconds,
        restarts=after.restarts - stats_before.restarts,
    )
    return SearchResult(theorem, stop == "proved", proof, verification, stop, stats, tree, generator_error)
