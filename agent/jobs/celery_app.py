"""Background jobs on Celery workers with Redis: the same named jobs, run in other processes.

The API only sends messages (`CeleryJobs`); `memadvisor worker` runs them with Services of its own
and `memadvisor beat` sends the scheduled ones. A message is acknowledged when its job ends
(`acks_late`), so the job of a worker that dies is handed out again; failures are retried with
exponential backoff. Both are safe because every job is idempotent: run twice, it changes nothing
more. What Redis itself loses, SQL still records as owed, and `reconcile` enqueues it again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from celery import Celery
from celery.result import AsyncResult
from celery.schedules import crontab

from agent.jobs.runner import JobFunction, call_job
from agent.model.structured import StructuredOutputError
from memadvisor import metrics
from memadvisor.settings import Settings

logger = logging.getLogger(__name__)

QUEUE = "memadvisor"
TASK_PREFIX = "memadvisor."
JOB_NAMES = (
    "index_memories",
    "remember_turn",
    "sweep_erased",
    "analyse_user",
    "summarize_profile",
    "consolidate_memory",
    "refresh_profiles",
    "analyse_everyone",
    "reconcile",
    "eval_retrieval",
)
MAX_RETRIES = 5
"""Attempts after the first; with backoff 2, 4, 8, ... seconds (jittered, at most 10 minutes)."""

TRACKED = 1000
"""Jobs whose results `drain` can wait for (the latest ones; older ones are forgotten)."""

RegistryFactory = Callable[[], dict[str, JobFunction]]


class CeleryJobs:
    """Sends named jobs to the Celery workers (the `JobRunner` of `MEMADVISOR_JOBS=celery`).

    With `track`, the results of the latest jobs are followed so `drain` can wait for them (tests);
    otherwise nothing is followed, and `drain` returns at once: the API never waits for workers.
    """

    def __init__(self, app: Celery, *, track: bool = False) -> None:
        self._app = app
        self._track = track
        self._sent: deque[AsyncResult[Any]] = deque(maxlen=TRACKED)
        self._lock = threading.Lock()

    def enqueue(self, name: str, **kwargs: Any) -> None:
        """Send job `name`; if Redis cannot take it, log: its work stays owed in SQL."""
        try:
            result = self._app.send_task(
                TASK_PREFIX + name, kwargs=kwargs, queue=QUEUE, ignore_result=not self._track
            )
        except Exception:  # kombu raises its OperationalError and socket errors
            logger.exception("could not enqueue job %s; reconcile will find its work in SQL", name)
            return
        if self._track:
            with self._lock:
                self._sent.append(result)

    def drain(self, timeout: float | None = None) -> None:
        """Wait until the tracked jobs sent so far have finished; failures only log."""
        with self._lock:
            sent = list(self._sent)
            self._sent.clear()
        for result in sent:
            try:
                result.get(timeout=timeout, propagate=False, disable_sync_subtasks=False)
            except Exception:
                logger.warning("job %s did not finish within %s s", result.id, timeout)

    def queued(self) -> int:
        """Messages waiting in the broker's queue (running jobs are not counted)."""
        with self._app.connection_for_read() as connection:
            channel: Any = connection.default_channel  # kombu's channels are untyped
            declared = channel.queue_declare(QUEUE)  # as a worker would; 0 before the first job
            return int(declared.message_count)

    def close(self) -> None:
        """Release the connections; the queued work belongs to the workers."""
        self._app.close()


def make_celery(settings: Settings, registry: RegistryFactory | None = None) -> Celery:
    """The Celery app of these settings; with `registry`, one that can also run the jobs.

    `registry` is called once per worker process, on its first job, so nothing is built in
    processes that only send.
    """
    app = Celery("memadvisor", broker=settings.redis_url, backend=settings.redis_url)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        # Jobs running when Redis goes away are stopped (and redelivered), not finished unacked.
        worker_cancel_long_running_tasks_on_connection_loss=True,
        worker_prefetch_multiplier=1,
        task_default_queue=QUEUE,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_expires=timedelta(hours=1),
        broker_transport_options={"visibility_timeout": settings.job_visibility_timeout},
        broker_connection_retry_on_startup=True,
        task_publish_retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.5},
        timezone="UTC",
        beat_schedule=beat_schedule(settings),
    )
    if registry is not None:
        jobs = _LazyRegistry(registry)
        for name in JOB_NAMES:
            app.task(
                name=TASK_PREFIX + name,
                autoretry_for=(Exception,),
                dont_autoretry_for=(StructuredOutputError,),  # generate already asked twice
                retry_backoff=2,
                retry_backoff_max=600,
                retry_jitter=True,
                max_retries=MAX_RETRIES,
            )(jobs.runner(name))
    return app


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    """What beat sends: owed work often; analysis, profile refresh and the canary once a day."""
    every = timedelta(seconds=settings.reconcile_seconds)
    hour = settings.daily_refresh_hour
    return {
        "reconcile": {
            "task": TASK_PREFIX + "reconcile",
            "schedule": every,
            "options": {"expires": every.total_seconds()},  # no pile-up while workers are down
        },
        "analyse-everyone": {
            "task": TASK_PREFIX + "analyse_everyone",
            "schedule": crontab(minute=0, hour=hour),
        },
        "refresh-profiles": {
            "task": TASK_PREFIX + "refresh_profiles",
            "schedule": crontab(minute=30, hour=hour),
        },
        "eval-retrieval": {
            "task": TASK_PREFIX + "eval_retrieval",
            "schedule": crontab(minute=45, hour=hour),
            "options": {"expires": 12 * 3600},  # a day's canary is not worth running late twice
        },
    }


def serve_worker_metrics(app: Celery, settings: Settings) -> None:
    """Serve this worker's metrics on `worker_metrics_port` (nothing when it is unset).

    The jobs run in the pool's child processes, so their metrics are read from prometheus_client's
    multi-process folder (`PROMETHEUS_MULTIPROC_DIR`, which must be set before prometheus_client is
    first imported: `memadvisor worker` does so) and served by this, the parent process. A child
    that exits is marked dead, so its share of the live gauges (jobs running) goes away with it.
    """
    if settings.worker_metrics_port is None:
        return
    import os

    from celery.signals import worker_process_shutdown
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        raise RuntimeError("worker metrics need PROMETHEUS_MULTIPROC_DIR (`memadvisor worker`)")
    registry = CollectorRegistry()
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    start_http_server(settings.worker_metrics_port, settings.worker_metrics_host, registry)

    def forget_child(pid: int | None = None, **_: Any) -> None:
        mark_process_dead(pid or os.getpid())  # type: ignore[no-untyped-call]

    worker_process_shutdown.connect(forget_child, weak=False)
    logger.info(
        "worker metrics on http://%s:%d/metrics",
        settings.worker_metrics_host,
        settings.worker_metrics_port,
    )


class _LazyRegistry:
    """The job functions of this process, built on first use."""

    def __init__(self, factory: RegistryFactory) -> None:
        self._factory = factory
        self._registry: dict[str, JobFunction] | None = None
        self._lock = threading.Lock()

    def runner(self, name: str) -> Callable[..., Any]:
        """The body of the Celery task `name`."""

        def run(**kwargs: Any) -> Any:
            start, failed = time.perf_counter(), False
            metrics.job_enqueued(name)  # pending in a worker: running now
            try:
                result = call_job(name, self.get()[name], kwargs)
            except Exception:
                failed = True  # counted per attempt; Celery retries it
                raise
            finally:
                metrics.job_finished(name, time.perf_counter() - start, failed=failed)
            return result if isinstance(result, int | str | list) else None  # JSON for Redis

        run.__name__ = run.__qualname__ = name
        run.__doc__ = f"Run the `{name}` job."
        return run

    def get(self) -> dict[str, JobFunction]:
        """Build the registry once."""
        with self._lock:
            if self._registry is None:
                self._registry = self._factory()
            return self._registry
