"""The in-process job runner (a failing job is logged and counted, and leaves no pending job) and
the indexing job, which catches up on what else is owed."""

from __future__ import annotations

import os
import sys
import threading

import pytest
from prometheus_client import REGISTRY

from agent.jobs.runner import InProcessJobs
from agent.services import Services, index_memories
from memory.retrieval.store import NewMemory


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_failures_and_queue_depth_per_job(caplog: pytest.LogCaptureFixture) -> None:
    release = threading.Event()

    def boom() -> None:
        raise ValueError("broken")

    jobs = InProcessJobs({"wait": lambda: release.wait(10), "boom": boom})
    failures = sample("memadvisor_job_failures_total", task="boom")
    pending = sample("memadvisor_jobs_pending", task="boom")
    jobs.enqueue("wait")
    jobs.enqueue("boom")  # queued behind "wait" on the one worker
    assert sample("memadvisor_jobs_pending", task="boom") == pending + 1
    release.set()
    jobs.drain(timeout=10)
    jobs.close()
    assert sample("memadvisor_jobs_pending", task="boom") == pending
    assert sample("memadvisor_job_failures_total", task="boom") == failures + 1
    assert sample("memadvisor_job_failures_total", task="wait") == 0
    assert "background job boom failed" in caplog.text


def test_an_index_job_also_indexes_what_else_is_owed(services: Services) -> None:
    """Jobs queued behind each other under load: the first embeds the others' memories too."""
    alice = services.accounts.local("alice").id
    bob = services.accounts.local("bob").id
    [first] = services.memory.add_many(alice, [NewMemory("I live in Hangzhou")], index=False)
    [other] = services.memory.add_many(bob, [NewMemory("我喜欢喝咖啡")], index=False)
    assert services.memory.count_pending() == 2

    assert index_memories(services.memory, [first]) == 2
    assert services.memory.count_pending() == 0
    assert index_memories(services.memory, [other]) == 0  # the later job finds nothing left
    assert [m.id for m in services.memory.search(bob, "咖啡", 1)] == [other]


@pytest.mark.skipif(sys.platform != "linux", reason="thread priorities are Linux's")
def test_jobs_run_below_the_priority_of_requests() -> None:
    def priority() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    here = priority()
    seen: list[int] = []
    jobs = InProcessJobs({"priority": lambda: seen.append(priority())}, nice=7)
    jobs.enqueue("priority")
    jobs.drain(timeout=10)
    jobs.close()
    assert seen == [min(19, here + 7)]
    assert priority() == here  # the caller's own thread keeps its priority
