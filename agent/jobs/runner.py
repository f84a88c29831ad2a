"""One job interface for background work; in-process threads by default.

Jobs are named and take JSON-able keyword arguments, so a queue-backed runner (Celery) can stand
behind the same interface later. A failed job only logs: its work is recorded in SQL as still owed
(for indexing, `memories.indexed_at IS NULL`) and is picked up by `reindex` or the next start.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any, Protocol

from memadvisor import metrics
from memadvisor.cpu import lower_priority
from memory.storage.owners import UserGoneError

logger = logging.getLogger(__name__)

JobFunction = Callable[..., Any]


class JobRunner(Protocol):
    """Something that runs named jobs in the background."""

    def enqueue(self, name: str, **kwargs: Any) -> None:
        """Run job `name` with `kwargs` later."""

    def drain(self, timeout: float | None = None) -> None:
        """Wait until every job enqueued so far has finished (tests, shutdown)."""

    def queued(self) -> int:
        """Jobs waiting to run (the queue depth that `/metrics` reports)."""

    def close(self) -> None:
        """Finish queued work and stop."""


class InProcessJobs:
    """Runs jobs on a small thread pool inside the API process."""

    def __init__(self, registry: dict[str, JobFunction], workers: int = 1, nice: int = 0) -> None:
        self._registry = registry
        self._pool = ThreadPoolExecutor(
            max_workers=workers,
            thread_name_prefix="memadvisor-job",
            initializer=lower_priority,
            initargs=(nice,),
        )
        self._pending: set[Future[Any]] = set()
        self._lock = threading.Lock()

    def enqueue(self, name: str, **kwargs: Any) -> None:
        """Run job `name` on the pool."""
        function = self._registry[name]
        metrics.job_enqueued(name)
        try:
            future = self._pool.submit(self._run, name, function, kwargs)
        except RuntimeError:  # the pool is shut down: the job will never run
            metrics.job_finished(name, 0.0, failed=True)
            raise
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._forget)

    def drain(self, timeout: float | None = None) -> None:
        """Wait for every job enqueued so far."""
        with self._lock:
            pending = set(self._pending)
        wait(pending, timeout=timeout)

    def queued(self) -> int:
        """Jobs not finished yet (waiting or running)."""
        with self._lock:
            return len(self._pending)

    def close(self) -> None:
        """Finish queued work and stop the pool."""
        self._pool.shutdown(wait=True)

    def _forget(self, future: Future[Any]) -> None:
        with self._lock:
            self._pending.discard(future)

    @staticmethod
    def _run(name: str, function: JobFunction, kwargs: dict[str, Any]) -> Any:
        """Run one job; the caller counted it as enqueued, this counts it as finished."""
        start, failed = time.perf_counter(), False
        try:
            return call_job(name, function, kwargs)
        except Exception:
            failed = True
            logger.exception("background job %s failed; its work stays owed in SQL", name)
            return None
        finally:
            metrics.job_finished(name, time.perf_counter() - start, failed=failed)


def call_job(name: str, function: JobFunction, kwargs: dict[str, Any]) -> Any:
    """Run a job function, as every runner does.

    A job whose user was erased while it ran has nothing left to write: that is its end, not a
    failure (and not retried).
    """
    try:
        return function(**kwargs)
    except UserGoneError:
        logger.info("background job %s: its user was erased meanwhile, nothing written", name)
        return None


class InlineJobs(InProcessJobs):
    """Runs each job at once in the caller's thread (tests and command-line tools)."""

    def enqueue(self, name: str, **kwargs: Any) -> None:
        """Run job `name` now."""
        function = self._registry[name]
        metrics.job_enqueued(name)
        self._run(name, function, kwargs)
