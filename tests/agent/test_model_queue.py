"""The model queue: one generation at a time, nothing waits on a thread, bounded, cancellable.

The model here is a small BaseChatModel whose stream can be held at a gate, so each test decides
when a generation ends; the queue, its worker thread and LangChain's own machinery are real.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from langchain_core.runnables import RunnableBinding

from agent.model.queue import ModelBusyError, ModelQueue, QueueStatus, Ticket
from agent.model.queue import report_queue_status as report
from agent.model.queued import QueuedChatModel
from tests.fakes.models import GatedModel, Probe


def queued(probe: Probe, **queue: Any) -> QueuedChatModel:
    return QueuedChatModel(model=GatedModel(probe=probe), queue=ModelQueue(**queue))


async def until(condition: Any, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


async def test_many_streams_run_one_at_a_time_and_leave_the_default_executor_free() -> None:
    # The hang of issue 11: more concurrent streams than executor threads. Two threads here.
    loop = asyncio.get_running_loop()
    loop.set_default_executor(ThreadPoolExecutor(max_workers=2))
    probe = Probe()
    llm = queued(probe)

    async def chat() -> str:
        return "".join([chunk.text async for chunk in llm.astream("hi")])

    chats = [asyncio.create_task(chat()) for _ in range(8)]
    await until(lambda: probe.started == 1)
    # While the model is busy and seven wait, thread work still runs at once.
    assert await asyncio.wait_for(asyncio.to_thread(lambda: "free"), 2) == "free"
    probe.gate.set()
    answers = await asyncio.wait_for(asyncio.gather(*chats), 10)
    assert answers == ["one two three"] * 8
    assert probe.most_at_once == 1 and probe.closed == 8


async def test_waiting_callers_hear_their_place_in_line_and_when_they_start() -> None:
    probe = Probe()
    llm = queued(probe)
    heard: dict[int, list[QueueStatus]] = {0: [], 1: [], 2: []}

    async def chat(n: int) -> str:
        with report(heard[n].append):
            return (await llm.ainvoke("hi")).text

    first = asyncio.create_task(chat(0))
    await until(lambda: probe.started == 1)
    rest = [asyncio.create_task(chat(n)) for n in (1, 2)]
    await until(lambda: llm.queue.depth() == (2, 1))
    probe.gate.set()
    assert await asyncio.gather(first, *rest) == ["one two three"] * 3

    assert heard[0] == []  # it never waited
    assert [s.position for s in heard[2]][:1] == [2] and heard[2][-1].position == 0
    assert [s.position for s in heard[1]] == [1, 0]


async def test_a_full_queue_turns_requests_away_with_a_retry_hint() -> None:
    probe = Probe()
    llm = queued(probe, max_waiting=1)
    running = asyncio.create_task(llm.ainvoke("first"))
    await until(lambda: probe.started == 1)
    waiting = asyncio.create_task(llm.ainvoke("second"))
    await until(lambda: llm.queue.depth() == (1, 1))

    with pytest.raises(ModelBusyError) as refused:
        llm.queue.admit()
    assert refused.value.reason == "full" and refused.value.retry_after >= 1
    with pytest.raises(ModelBusyError, match="try again in"):
        await llm.ainvoke("third")

    probe.gate.set()
    await asyncio.gather(running, waiting)
    llm.queue.admit()  # room again


async def test_a_request_that_waits_past_the_bound_is_dropped_from_the_queue() -> None:
    probe = Probe()
    llm = queued(probe, max_wait=0.3)
    running = asyncio.create_task(llm.ainvoke("first"))
    await until(lambda: probe.started == 1)

    with pytest.raises(ModelBusyError) as late:
        await llm.ainvoke("second")
    assert late.value.reason == "timeout"
    assert llm.queue.depth() == (0, 1)
    probe.gate.set()
    await running
    assert probe.started == 1  # the late request never reached the model


async def test_a_client_that_leaves_is_dropped_or_its_generation_stopped() -> None:
    probe = Probe()
    llm = queued(probe)
    running = asyncio.create_task(llm.ainvoke("first"))
    await until(lambda: probe.started == 1)
    waiting = asyncio.create_task(llm.ainvoke("second"))
    await until(lambda: llm.queue.depth() == (1, 1))

    waiting.cancel()  # still in line: it leaves the queue
    await until(lambda: llm.queue.depth() == (0, 1))
    running.cancel()  # generating: the model's stream is closed at the next token
    probe.gate.set()
    await until(lambda: probe.closed == 1)
    await until(lambda: llm.queue.depth() == (0, 0))
    assert probe.started == 1

    assert (await llm.ainvoke("third")).text == "one two three"  # the queue still serves


async def test_thread_callers_share_the_queue_with_the_event_loop() -> None:
    # Background jobs call `invoke` on their own threads; they wait their turn, unbounded.
    probe = Probe()
    llm = queued(probe, max_waiting=0)
    streaming = asyncio.create_task(llm.ainvoke("chat"))
    await until(lambda: probe.started == 1)
    jobs = [asyncio.create_task(asyncio.to_thread(llm.invoke, "job")) for _ in range(2)]
    await until(lambda: llm.queue.depth() == (2, 1))
    probe.gate.set()
    answers = await asyncio.gather(streaming, *jobs)
    assert [a.text for a in answers] == ["one two three"] * 3
    assert probe.most_at_once == 1


def test_bound_arguments_and_stop_words_reach_the_model() -> None:
    probe = Probe()
    probe.gate.set()
    llm = queued(probe)
    assert llm.bind(response_format={"type": "json_object"}).invoke("hi").text == "one two three"
    assert "".join(c.text for c in llm.bind(max_tokens=5).stream("hi")) == "one two three"
    assert probe.kwargs[0]["response_format"] == {"type": "json_object"}
    assert probe.kwargs[1]["max_tokens"] == 5


async def test_closing_the_queue_turns_the_waiting_away() -> None:
    probe = Probe()
    llm = queued(probe)
    running = asyncio.create_task(llm.ainvoke("first"))
    await until(lambda: probe.started == 1)
    waiting = asyncio.create_task(llm.ainvoke("second"))
    await until(lambda: llm.queue.depth() == (1, 1))

    closing = asyncio.create_task(asyncio.to_thread(llm.queue.close, 5.0))
    with pytest.raises(ModelBusyError) as stopped:
        await waiting
    assert stopped.value.reason == "stopping"
    probe.gate.set()
    await asyncio.gather(running, closing)
    with pytest.raises(ModelBusyError):
        await llm.ainvoke("too late")


def test_admissions_count_requests_before_they_reach_the_model() -> None:
    # Chats that arrive together are counted at once, not when each reaches the model.
    queue = ModelQueue(max_waiting=1)
    first, second = queue.admit(), queue.admit()  # one will run, one will wait
    with pytest.raises(ModelBusyError) as refused:
        queue.admit()
    assert refused.value.reason == "full"
    first.release()
    first.release()  # twice is once
    second.release()
    queue.admit()
    queue.admit()


def test_structured_output_constrains_the_model_behind_the_queue() -> None:
    from langchain_ollama import ChatOllama

    from agent.model.structured import MAX_TOKENS, constrained

    queue = ModelQueue()
    ollama = constrained(QueuedChatModel(model=ChatOllama(model="qwen2.5:3b"), queue=queue), {})
    assert isinstance(ollama, RunnableBinding) and ollama.kwargs == {"format": {}}
    assert isinstance(ollama.bound, QueuedChatModel) and ollama.bound.queue is queue
    assert getattr(ollama.bound.model, "num_predict", None) == MAX_TOKENS

    class FakeLlamaCpp(GatedModel):
        """Named like the llama.cpp model, so it is constrained by a grammar."""

    probe = Probe()
    probe.gate.set()
    llama = constrained(QueuedChatModel(model=FakeLlamaCpp(probe=probe), queue=queue), {})
    llama.invoke("hi")
    assert probe.kwargs[0]["response_format"]["type"] == "json_object"


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread priority is a Linux feature")
def test_the_worker_yields_the_cpu_to_the_api() -> None:
    seen: list[int] = []
    done = threading.Event()

    def work(ticket: Ticket) -> None:
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        done.set()

    queue = ModelQueue()
    queue.submit(work, lambda kind, value: None)
    assert done.wait(5)
    assert seen[0] > os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    queue.close()
