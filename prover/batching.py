"""Cross-search batching: many callers, one engine call per batch.

A search asks for tactics one state at a time, which leaves a GPU mostly idle. `Batcher` sits in
front of an engine: callers on any thread submit requests, one background thread collects them
until `max_batch_size` requests or `max_wait_s` after the first, makes one `generate_batch` call
and hands each caller its own result (or its own exception). The shape follows Ray Serve's
`_BatchQueue`, with threads instead of asyncio so synchronous searches can call it directly.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Self

from prover.engines.base import Engine, GenRequest, RequestResult, run_batch

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BatchConfig:
    max_batch_size: int = 64  # requests per engine call (each asks for n completions)
    max_wait_s: float = 0.01  # how long the first request of a batch waits for company
    max_batch_sequences: int | None = (
        None  # cap on the sum of n (rows, i.e. GPU memory); None: no cap
    )

    def __post_init__(self) -> None:
        rows = self.max_batch_sequences
        if self.max_batch_size < 1 or self.max_wait_s < 0 or (rows is not None and rows < 1):
            raise ValueError(f"bad batch config {self}")


@dataclass(slots=True)
class BatchStats:
    batches: int = 0
    requests: int = 0
    engine_seconds: float = 0.0  # time inside generate_batch

    @property
    def mean_batch_size(self) -> float:
        return self.requests / self.batches if self.batches else 0.0


class BatcherClosed(RuntimeError):
    """The batcher was closed before or while the request was queued."""


_STOP = object()


class Batcher:
    """An `Engine` that batches concurrent `generate_batch` calls into shared engine calls.

    Thread-safe. Use as a context manager or call `close()`; pending requests then fail with
    `BatcherClosed` rather than hanging.
    """

    def __init__(self, engine: Engine, config: BatchConfig | None = None) -> None:
        self.engine = engine
        self.config = config or BatchConfig()
        self.stats = BatchStats()
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._closed = False
        self._carry: Any = None  # a request held over to the next batch (row cap reached)
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="prover-batcher", daemon=True)
        self._thread.start()

    # -- callers ----------------------------------------------------------------------------

    def submit(self, request: GenRequest) -> Future:
        """Queue one request; the future resolves to its completions or raises its error."""
        future: Future = Future()
        with self._lock:
            if self._closed:
                raise BatcherClosed("batcher is closed")
            self._queue.put((request, future))
        return future

    def generate_batch(self, requests: Sequence[GenRequest]) -> list[RequestResult]:
        """Engine protocol: submit all, wait for all; per-request errors come back as values."""
        futures = [self.submit(r) for r in requests]
        results: list[RequestResult] = []
        for future in futures:
            error = future.exception()
            results.append(error if error is not None else future.result())
        return results

    def close(self, timeout: float | None = 10.0) -> None:
        """Stop after the batch in flight; queued requests fail with `BatcherClosed`."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(_STOP)
        self._thread.join(timeout)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- worker thread ----------------------------------------------------------------------

    def _collect(self) -> tuple[list[tuple[GenRequest, Future]], bool]:
        """Block for one request, then gather more until the batch is full or the wait is over.

        A request that would push the batch past `max_batch_sequences` waits for the next batch
        (a single request larger than the cap still runs, alone).
        """
        first, self._carry = self._carry or self._queue.get(), None
        if first is _STOP:
            return [], True
        batch = [first]
        rows = first[0].settings.n
        cap = self.config.max_batch_sequences
        deadline = time.monotonic() + self.config.max_wait_s
        while len(batch) < self.config.max_batch_size:
            remaining = deadline - time.monotonic()
            try:
                item = (
                    self._queue.get(timeout=remaining)
                    if remaining > 0
                    else self._queue.get_nowait()
                )
            except queue.Empty:
                break
            if item is _STOP:
                return batch, True
            if cap is not None and rows + item[0].settings.n > cap:
                self._carry = item
                break
            batch.append(item)
            rows += item[0].settings.n
        return batch, False

    def _loop(self) -> None:
        stopping = False
        while not stopping:
            batch, stopping = self._collect()
            live = [(r, f) for r, f in batch if f.set_running_or_notify_cancel()]
            if live and self._closed:  # closing: fail fast instead of running queued work
                for _, future in live:
                    future.set_exception(BatcherClosed("batcher closed before the request ran"))
            elif live:
                self._run(live)
        self._drain()

    def _run(self, batch: list[tuple[GenRequest, Future]]) -> None:
        start = time.perf_counter()
        try:
            results = run_batch(self.engine, [r for r, _ in batch])
        except BaseException as error:  # noqa: BLE001 - never leave a caller waiting
            results = [error] * len(batch)
        self.stats.batches += 1
        self.stats.requests += len(batch)
        self.stats.engine_seconds += time.perf_counter() - start
        for (_, future), result in zip(batch, results):
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)

    def _drain(self) -> None:
        if self._carry is not None:
            self._queue.put(self._carry)
            self._carry = None
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if item is not _STOP and item[1].set_running_or_notify_cancel():
                item[1].set_exception(BatcherClosed("batcher closed before the request ran"))
