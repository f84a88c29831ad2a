"""The in-process job runner: a failing job is logged and counted, and leaves no pending job."""

from __future__ import annotations

import threading

import pytest
from prometheus_client import REGISTRY

from agent.jobs import InProcessJobs


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_failures_and_queue_depth_per_job(caplog: pytest.LogCaptureFixture) -> None:
    release = threading.Event()

    def boom() -> None:
        raise ValueError("broken")

    jobs = InProcessJobs({"wait": lambda: release.wait(10), "boom": boom})
    failures = sample("memadvisor_job_failures_total", job="boom")
    pending = sample("memadvisor_jobs_pending", job="boom")
    jobs.enqueue("wait")
    jobs.enqueue("boom")  # queued behind "wait" on the one worker
    assert sample("memadvisor_jobs_pending", job="boom") == pending + 1
    release.set()
    jobs.drain(timeout=10)
    jobs.close()
    assert sample("memadvisor_jobs_pending", job="boom") == pending
    assert sample("memadvisor_job_failures_total", job="boom") == failures + 1
    assert sample("memadvisor_job_failures_total", job="wait") == 0
    assert "background job boom failed" in caplog.text
