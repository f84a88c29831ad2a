"""Any chat model behind a `ModelQueue`: what LangChain calls go through the queue's workers.

Background jobs (threads) wait their turn without bound; requests made on the event loop (chat,
LangServe) are bounded by the queue and stop their generation between two tokens when cancelled.
The caller's run sees the same tokens, reported by this wrapper.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue as sync_queue
import threading
import time
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from typing import Any, cast

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.chat_models import agenerate_from_stream
from langchain_core.messages import BaseMessage, BaseMessageChunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, Field

from agent.model.queue import ModelQueue, QueueStatus, Ticket, status_listener


class QueuedChatModel(BaseChatModel):
    """Any chat model, called only through a `ModelQueue` (so never from two threads at once).

    Bound arguments (`bind(response_format=...)`, `stop`) pass through to the model. The model runs
    without the caller's callbacks (its own, such as the metrics handler, still fire); the
    caller's run sees the same tokens, reported by this wrapper.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model: BaseChatModel
    """The model behind the queue."""
    queue: ModelQueue = Field(exclude=True)
    """The queue shared by every caller of this model."""

    @property
    def _llm_type(self) -> str:
        return f"queued-{self.model._llm_type}"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model": self.model._identifying_params}

    # --- threads (background jobs): wait without bound ----------------------------------------

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.queue.on_worker_thread():
            return _result(self.model.invoke(messages, stop=stop, **kwargs))
        done = threading.Event()
        box: dict[str, Any] = {}

        def work(ticket: Ticket) -> None:
            try:
                box["message"] = self.model.invoke(messages, stop=stop, **kwargs)
            except BaseException as exc:
                box["error"] = exc
            finally:
                done.set()

        def notify(kind: str, value: Any) -> None:
            if kind == "rejected":
                box["error"] = value
                done.set()

        self.queue.submit(work, notify, bounded=False)
        done.wait()
        if "error" in box:
            raise box["error"]
        return _result(box["message"])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        if self.queue.on_worker_thread():
            for chunk in self.model.stream(messages, stop=stop, **kwargs):
                yield ChatGenerationChunk(message=chunk)
            return
        inbox: sync_queue.SimpleQueue[tuple[str, Any]] = sync_queue.SimpleQueue()
        ticket = self.queue.submit(
            self._streaming_work(messages, stop, kwargs, inbox.put),
            lambda kind, value: inbox.put((kind, value)),
            bounded=False,
        )
        try:
            while True:
                kind, value = inbox.get()
                if kind == "chunk":
                    yield ChatGenerationChunk(message=value)  # the base class reports it
                elif kind in ("error", "rejected"):
                    raise value
                elif kind == "done":
                    return
                elif kind == "status":
                    _report(value)
        finally:
            _cancel(self.queue, ticket)

    # --- the event loop (chat, LangServe): bounded ---------------------------------------------

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        loop = asyncio.get_running_loop()
        inbox: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        listener = status_listener()

        def post(item: tuple[str, Any]) -> None:
            with contextlib.suppress(RuntimeError):  # the loop closed: nobody is listening
                loop.call_soon_threadsafe(inbox.put_nowait, item)

        ticket = self.queue.submit(
            self._streaming_work(messages, stop, kwargs, post),
            lambda kind, value: post((kind, value)),
        )
        deadline = ticket.enqueued + self.queue.max_wait
        started = False
        try:
            while True:
                try:
                    timeout = None if started else max(0.0, deadline - time.monotonic())
                    kind, value = await asyncio.wait_for(inbox.get(), timeout)
                except TimeoutError:
                    if self.queue.withdraw(ticket, "timeout"):
                        raise self.queue.busy_error("timeout") from None
                    started = True  # it started just now; its items are on their way
                    continue
                if kind == "chunk":
                    yield ChatGenerationChunk(message=value)  # the base class reports it
                elif kind == "status":
                    started = started or value.position == 0
                    if listener is not None:
                        listener(value)
                elif kind == "started":
                    started = True
                elif kind in ("error", "rejected"):
                    raise value
                elif kind == "done":
                    return
        finally:
            _cancel(self.queue, ticket)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        # Streamed underneath, so a cancelled request stops its generation between two tokens.
        return await agenerate_from_stream(self._astream(messages, stop, None, **kwargs))

    def _streaming_work(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None,
        kwargs: dict[str, Any],
        post: Callable[[tuple[str, Any]], None],
    ) -> Callable[[Ticket], None]:
        """The worker's side of a stream: chunks out until done, failed or cancelled."""

        def work(ticket: Ticket) -> None:
            if ticket.cancelled.is_set():
                return
            post(("started", None))
            stream = cast(
                Generator[BaseMessageChunk], self.model.stream(messages, stop=stop, **kwargs)
            )
            try:
                for chunk in stream:
                    if ticket.cancelled.is_set():
                        return
                    post(("chunk", chunk))
                post(("done", None))
            except BaseException as exc:
                post(("error", exc))
            finally:
                stream.close()  # stops the model's own generator (llama.cpp stops sampling)

        return work


def _cancel(queue: ModelQueue, ticket: Ticket) -> None:
    """The waiter has gone (finished, failed or cancelled): leave the queue or stop the work."""
    ticket.cancelled.set()
    queue.withdraw(ticket)


def _report(status: QueueStatus) -> None:
    listener = status_listener()
    if listener is not None:
        listener(status)


def _result(message: BaseMessage) -> ChatResult:
    return ChatResult(generations=[ChatGeneration(message=message)])
