"""The Celery app's promises, read from its configuration (the workers are in tests/jobs)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from celery.schedules import crontab

from agent.jobs.celery_app import JOB_NAMES, MAX_RETRIES, TASK_PREFIX, CeleryJobs, make_celery
from agent.model.structured import StructuredOutputError
from agent.services import Services, job_registry
from memadvisor.settings import Settings
from tests.ports import free_port


def test_every_job_of_the_registry_is_a_task_that_retries_with_backoff(
    services: Services,
) -> None:
    app = make_celery(services.settings, lambda: job_registry(services))
    assert set(JOB_NAMES) == set(job_registry(services))
    for name in JOB_NAMES:
        task = app.tasks[TASK_PREFIX + name]
        assert task.autoretry_for == (Exception,)
        assert task.dont_autoretry_for == (StructuredOutputError,)
        assert task.retry_backoff and task.retry_jitter
        assert task.max_retries == MAX_RETRIES


def test_a_killed_worker_gives_its_job_back(settings: Settings) -> None:
    conf = make_celery(settings.model_copy(update={"job_visibility_timeout": 600})).conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert conf.broker_transport_options["visibility_timeout"] == 600


def test_beat_refreshes_daily_and_reconciles_often(settings: Settings) -> None:
    custom = settings.model_copy(update={"daily_refresh_hour": 4, "reconcile_seconds": 120})
    schedule = make_celery(custom).conf.beat_schedule
    assert schedule["refresh-profiles"]["task"] == TASK_PREFIX + "refresh_profiles"
    assert schedule["refresh-profiles"]["schedule"] == crontab(minute=30, hour=4)
    assert schedule["analyse-everyone"]["schedule"] == crontab(minute=0, hour=4)
    # The retrieval canary, daily, after the analysis and the profiles.
    assert schedule["eval-retrieval"]["task"] == TASK_PREFIX + "eval_retrieval"
    assert schedule["eval-retrieval"]["schedule"] == crontab(minute=45, hour=4)
    assert schedule["reconcile"]["schedule"].total_seconds() == 120


def test_the_celery_setting_selects_the_celery_runner(
    make_services: Callable[..., Services], tmp_path: Path
) -> None:
    from agent.services import build_services

    settings = Settings(_env_file=None, data_dir=tmp_path / "celery", jobs="celery")
    services = build_services(settings, migrate=True)
    try:
        assert isinstance(services.jobs, CeleryJobs)
    finally:
        services.close()


def test_a_job_redis_cannot_take_is_logged_not_raised(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    unreachable = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    jobs = CeleryJobs(make_celery(unreachable))
    with caplog.at_level(logging.ERROR):
        jobs.enqueue("index_memories")
    jobs.close()
    assert "reconcile will find its work in SQL" in caplog.text
