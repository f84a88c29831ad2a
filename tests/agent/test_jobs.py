"""The in-process job runner: a failing job is logged and counted, and leaves no pending job."""

from __future__ import annotations

import threading

import pytest
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, LLMResult
from prometheus_client import REGISTRY

from agent.jobs import InProcessJobs
from agent.llm_metrics import reported_tokens


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


def test_reported_usage_wins_over_counted_chunks() -> None:
    message = AIMessage(
        "hi", usage_metadata={"input_tokens": 12, "output_tokens": 3, "total_tokens": 15}
    )
    assert reported_tokens(LLMResult(generations=[[ChatGeneration(message=message)]])) == (12, 3)
    legacy = LLMResult(
        generations=[[ChatGeneration(message=AIMessage("hi"))]],
        llm_output={"token_usage": {"prompt_tokens": 7, "completion_tokens": 2}},
    )
    assert reported_tokens(legacy) == (7, 2)
    silent = LLMResult(generations=[[ChatGeneration(message=AIMessage("hi"))]])
    assert reported_tokens(silent) == (None, None)
