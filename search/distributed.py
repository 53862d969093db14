"""Ray orchestration of an evaluation: the only module that imports ray (inside its functions).

Proof workers (`--workers`) are `TheoremProver` actors, one theorem's search at a time on one actor, so a proof assistant
process never serves two searches at once. The driver keeps every actor busy, hands each result
to a callback as it arrives, and replaces an actor that dies: its theorem is resubmitted, up to
`max_retries` times, after which an error result is recorded so the run still completes.
With `generator_workers > 0` the generator is shared: for a model, N batched model actors
(`prover.model_server.ModelServer`, on a GPU when there is one) serve raw generation requests from all
proof workers, each of which keeps its own prompt formatting, screening and portfolio and talks to
one actor through a `prover.model_server.RayEngine`; requests from concurrent searches share engine calls.
A generator without a model (portfolio, tactic file) is served whole by a `GeneratorServer`.
"""

from __future__ import annotations

import collections
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

log = logging.getLogger(__name__)


class GeneratorServer:
    """A tactic generator without a model behind an actor: proof workers on any node call it
    remotely, one request at a time (a model is served batched by `start_model_servers` instead)."""

    def __init__(self, options: Any) -> None:
        from prover.factory import make_generator

        self.generator = make_generator(options)
        self.name = self.generator.name
        self._lock = threading.Lock()  # generators are one-caller-at-a-time

    def get_name(self) -> str:
        return self.name

    def generate(self, theorem, state, k: int):
        with self._lock:
            return list(self.generator.generate(theorem, state, k))


class RemoteGenerator:
    """The `TacticGenerator` a proof worker uses when the generator lives in an actor."""

    def __init__(self, actor: Any) -> None:
        import ray

        self._actor = actor
        self.name = ray.get(actor.get_name.remote())

    def generate(self, theorem, state, k: int):
        import ray

        return ray.get(self._actor.generate.remote(theorem, state, k))


def init_ray(address: str | None, num_cpus: int | None) -> bool:
    """Connect to `address`, or start a local instance; returns whether this call started it."""
    import ray

    if ray.is_initialized():
        return False
    if address:
        ray.init(address=address, log_to_driver=False)
    else:
        ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False)
    return True


def _gpus_available() -> bool:
    import ray

    return ray.cluster_resources().get("GPU", 0) >= 1


def start_model_servers(generator_options: Any, count: int) -> list[Any]:
    """Start `count` batched model actors (`prover.model_server.ModelServer`) for the model named by
    `generator_options` (a `prover.factory.GeneratorOptions`); needs Ray initialised.

    Each takes a GPU when the cluster has one (none for a served endpoint), and accepts at least
    `max_batch_size` concurrent requests so a full batch can form."""
    from prover.model_registry import batch_config, engine_spec
    from prover.model_server import start_model_server

    model = generator_options.model
    batch = batch_config(model)
    gpu = _gpus_available() and model.engine != "openai"
    return [
        start_model_server(engine_spec(model), batch, num_gpus=1 if gpu else 0, num_cpus=1 if gpu else 0,
                           max_concurrency=max(256, batch.max_batch_size), max_restarts=-1)
        for _ in range(count)
    ]


def _wait_ready(model_servers: list[Any]) -> None:
    """Raise ValueError (one line) when a model actor cannot load its model."""
    import ray

    try:
        ray.get([w.ready.remote() for w in model_servers])
    except Exception as exc:  # noqa: BLE001 - the actor's constructor failed
        lines = [line for line in str(exc).splitlines() if line.strip()]
        raise ValueError(f"model worker failed to start: {lines[-1][:300] if lines else type(exc).__name__}") from None


def run_pool(
    prover_class: type,
    spec: Any,
    problems: Sequence[Any],
    budget: Any,
    options: Any,
    on_result: Callable[[Any], None],
    error_result: Callable[[Any, str, int], Any],
) -> list[dict[str, float]]:
    """Prove `problems` on `options.workers` actors, calling `on_result` in the driver per theorem.

    `prover_class(spec)` is built in each actor and must offer `prove(problem, budget)` and
    `close()` (benchmarks.evaluate.TheoremProver); results are dataclasses with a `retries` field.
    An actor that dies mid-theorem is replaced and the theorem retried; after
    `options.max_retries` deaths, or when the worker raises, `error_result(problem, message,
    retries)` is reported instead. The caller supplies both so this module stays below benchmarks.

    With `options.generator_workers > 0`: when `spec.generator` names a model, `spec` must have an
    `engine_actor` field, set per worker to one of the shared model actors (round robin); else a
    `generator_actor` field, set to a `GeneratorServer`. Returns the model actors' batch statistics
    (`ModelServer.stats()`, one dict per actor; empty without model actors).
    """
    import ray
    from ray.exceptions import RayActorError, RayTaskError

    started = init_ray(options.address, options.num_cpus)
    actors: list[Any] = []
    generators: list[Any] = []  # GeneratorServer actors (no model)
    model_servers: list[Any] = []  # batched ModelServer actors (a model)
    stats: list[dict[str, float]] = []
    try:
        if options.generator_workers > 0 and spec.generator.model is not None:
            model_servers = start_model_servers(spec.generator, options.generator_workers)
        elif options.generator_workers > 0:
            gpu = _gpus_available()
            server = ray.remote(num_gpus=1 if gpu else 0, num_cpus=0 if not gpu else 1, max_restarts=-1)(GeneratorServer)
            generators = [server.remote(spec.generator) for _ in range(options.generator_workers)]
        actor_class = ray.remote(num_cpus=1, max_restarts=0)(prover_class)

        def new_actor(i: int) -> Any:
            worker_spec = spec
            if model_servers:
                worker_spec = replace(spec, engine_actor=model_servers[i % len(model_servers)])
            elif generators:
                worker_spec = replace(spec, generator_actor=generators[i % len(generators)])
            actor = actor_class.remote(worker_spec)
            actors.append(actor)
            return actor

        queue = collections.deque(problems)
        deaths: dict[str, int] = collections.Counter()
        idle = [new_actor(i) for i in range(max(1, min(options.workers, len(problems))))]
        _wait_ready(model_servers)  # while the proof workers start
        inflight: dict[Any, tuple[Any, Any]] = {}
        spawned = len(idle)
        while queue or inflight:
            while idle and queue:
                actor, problem = idle.pop(), queue.popleft()
                inflight[actor.prove.remote(problem, budget)] = (actor, problem)
            ready, _ = ray.wait(list(inflight), num_returns=1)
            for ref in ready:
                actor, problem = inflight.pop(ref)
                try:
                    result = ray.get(ref)
                except RayActorError as exc:
                    deaths[problem.name] += 1
                    log.warning("worker died on %s (%d time(s)): replacing it", problem.name, deaths[problem.name])
                    _kill(actor)
                    idle.append(new_actor(spawned))
                    spawned += 1
                    if deaths[problem.name] > options.max_retries:
                        message = f"worker died {deaths[problem.name]} times: {str(exc).splitlines()[0][:200]}"
                        on_result(error_result(problem, message, deaths[problem.name]))
                    else:
                        queue.appendleft(problem)
                    continue
                except RayTaskError as exc:  # the worker raised: record it, the actor is still usable
                    result = error_result(problem, f"worker error: {str(exc).splitlines()[-1][:200]}", 0)
                idle.append(actor)
                on_result(replace(result, retries=deaths[problem.name]))
        stats = _model_stats(model_servers)
    finally:
        _close(actors)
        for actor in actors + generators + model_servers:
            _kill(actor)
        if started:
            ray.shutdown()
    return stats


def _model_stats(model_servers: list[Any]) -> list[dict[str, float]]:
    import ray

    try:
        return list(ray.get([w.stats.remote() for w in model_servers], timeout=10))
    except Exception:  # noqa: BLE001 - statistics are a report, never a reason to fail the run
        return []


def _close(actors: list[Any]) -> None:
    """Let live workers stop their proof assistants before the actors go."""
    import ray

    refs = []
    for actor in actors:
        try:
            refs.append(actor.close.remote())
        except Exception:
            continue
    try:
        ray.wait(refs, num_returns=len(refs), timeout=10)
    except Exception:
        pass


def _kill(actor: Any) -> None:
    import ray

    try:
        ray.kill(actor, no_restart=True)
    except Exception:  # already dead
        pass
