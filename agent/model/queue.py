"""A bounded queue in front of a chat model: its own worker thread(s), never a lock across a yield.

A llama.cpp context is not thread-safe, and a CPU model serves one generation at a time anyway. The
earlier lock around the model's token generator was held across each `yield`; langchain-core runs
every `next()` of a sync stream on the event loop's default executor, so with more concurrent
chats than executor threads the lock holder never got a thread back, and the whole API hung.

Here each model gets `slots` dedicated worker threads (one for llama.cpp; a few for Ollama or a
remote server), fed by a FIFO queue. A waiting request holds no thread: an async caller awaits an
`asyncio.Queue` that the worker fills through `loop.call_soon_threadsafe`, a sync caller (a
background job's thread) waits on its own event. So the event loop and the default executor never
wait on the model.

The queue is bounded for requests made on the event loop (chat, LangServe): past `max_waiting`
waiting requests, or `max_wait` seconds of waiting, they get `ModelBusyError` with a `retry_after`
hint, which the API turns into 503 + `Retry-After`. Background work from threads waits its turn
without that bound (it holds only its own thread and must not be dropped). A cancelled request
(client disconnect) leaves the queue, or stops its generation between two tokens.

Who waits can be told: `report_queue_status` sets a listener (for the current context) that
receives the caller's position and estimated wait while it waits, and position 0 when it starts.
`agent.model.queued.QueuedChatModel` puts any chat model behind a queue.
"""

from __future__ import annotations

import contextlib
import logging
import math
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal

from memadvisor import metrics
from memadvisor.cpu import lower_priority

logger = logging.getLogger(__name__)

BusyReason = Literal["full", "timeout", "stopping"]


class ModelBusyError(RuntimeError):
    """The model cannot take this request now; try again in `retry_after` seconds."""

    def __init__(self, reason: BusyReason, retry_after: int, waiting: int = 0) -> None:
        self.reason: BusyReason = reason
        self.retry_after = retry_after
        self.waiting = waiting
        sentence = {
            "full": f"The model is busy ({waiting} requests are waiting).",
            "timeout": "The model is busy; this request waited too long.",
            "stopping": "The server is restarting.",
        }[reason]
        super().__init__(f"{sentence} Please try again in {retry_after} s.")


@dataclass(frozen=True, slots=True)
class QueueStatus:
    """Where a waiting request stands: `position` 1 starts next; 0 means it has started."""

    position: int
    estimated_wait_s: float | None
    """Seconds until it starts, from the mean time of recent calls (None before the first)."""


StatusListener = Callable[[QueueStatus], None]
_listener: ContextVar[StatusListener | None] = ContextVar("model_queue_listener", default=None)


def status_listener() -> StatusListener | None:
    """The listener `report_queue_status` set for the current context, if any."""
    return _listener.get()


@contextlib.contextmanager
def report_queue_status(listener: StatusListener) -> Iterator[None]:
    """Tell `listener` (called on this context's thread) how the model calls made here wait."""
    token = _listener.set(listener)
    try:
        yield
    finally:
        _listener.reset(token)


Notify = Callable[[str, Any], None]
"""How the queue talks to a waiter: ("status", QueueStatus) or ("rejected", ModelBusyError)."""


class Ticket:
    """One request in the queue: the work to run on a worker thread, and how to reach its waiter."""

    def __init__(self, work: Callable[[Ticket], None], notify: Notify) -> None:
        self.work = work
        self.notify = notify
        self.cancelled = threading.Event()
        """Set when the waiter has gone: the work stops between two tokens."""
        self.enqueued = time.monotonic()
        self.state: Literal["waiting", "running", "done", "withdrawn"] = "waiting"
        self.last: QueueStatus | None = None
        """The place the waiter was last told (once told one, it also hears when it starts)."""


class Admission:
    """An interactive request let in by `ModelQueue.admit`; release it when the request ends."""

    def __init__(self, queue: ModelQueue) -> None:
        self._queue: ModelQueue | None = queue

    def release(self) -> None:
        """Give the place back (once; later calls do nothing)."""
        queue, self._queue = self._queue, None
        if queue is not None:
            queue._release(self)


class ModelQueue:
    """A FIFO of model calls served by `slots` worker threads (started on first use)."""

    def __init__(
        self,
        *,
        slots: int = 1,
        max_waiting: int = 32,
        max_wait: float = 120.0,
        name: str = "model",
    ) -> None:
        self.slots = max(1, slots)
        self.max_waiting = max_waiting
        self.max_wait = max_wait
        self.name = name
        self._waiting: deque[Ticket] = deque()
        self._running = 0
        self._admitted = 0
        self._mean: float | None = None
        self._closed = False
        self._cond = threading.Condition()
        self._threads: list[threading.Thread] = []

    # --- what callers ask ----------------------------------------------------------------------

    def admit(self) -> Admission:
        """Let one more interactive request in, or raise ModelBusyError (full, or too long a wait).

        The chat endpoint asks before it opens a stream and holds the admission until the stream
        ends, so requests that arrive together are counted before they reach the model, and a
        full queue answers 503 at once. Release the admission when the request is done.
        """
        with self._cond:
            if self._closed:
                raise self._busy("stopping")
            if self._admitted >= self.slots or self._running >= self.slots or self._waiting:
                ahead = max(len(self._waiting), self._admitted - self.slots)
                if ahead >= self.max_waiting:
                    raise self._busy("full", ahead=ahead)
                estimate = self._estimate(ahead)
                if estimate is not None and estimate > self.max_wait:
                    raise self._busy("timeout", ahead=ahead)
            self._admitted += 1
            return Admission(self)

    def _release(self, admission: Admission) -> None:
        with self._cond:
            self._admitted -= 1

    def submit(
        self, work: Callable[[Ticket], None], notify: Notify, *, bounded: bool = True
    ) -> Ticket:
        """Queue `work`; raises ModelBusyError when closed, or (bounded) when full."""
        ticket = Ticket(work, notify)
        with self._cond:
            if self._closed:
                raise self._busy("stopping")
            busy = self._running >= self.slots or bool(self._waiting)
            if bounded and busy and len(self._waiting) >= self.max_waiting:
                raise self._busy("full")
            self._start_workers()
            self._waiting.append(ticket)
            metrics.model_queue_entered()
            statuses = self._statuses() if busy else []
            self._cond.notify()
        self._tell(statuses)
        return ticket

    def withdraw(self, ticket: Ticket, outcome: str = "cancelled") -> bool:
        """Take a waiting ticket out of the queue; False if it has started (or ended) already."""
        with self._cond:
            if ticket.state != "waiting":
                return False
            self._waiting.remove(ticket)
            ticket.state = "withdrawn"
            metrics.model_queue_left(time.monotonic() - ticket.enqueued, outcome)
            statuses = self._statuses()
        self._tell(statuses)
        return True

    def busy_error(self, reason: BusyReason) -> ModelBusyError:
        """A ModelBusyError with a `retry_after` hint from the queue as it stands."""
        with self._cond:
            return self._busy(reason)

    def depth(self) -> tuple[int, int]:
        """(waiting, running) now."""
        with self._cond:
            return len(self._waiting), self._running

    def on_worker_thread(self) -> bool:
        """Whether the caller is one of this queue's workers (a nested call runs in place)."""
        return threading.current_thread() in self._threads

    def close(self, timeout: float = 5.0) -> None:
        """Refuse new calls, turn the waiting ones away, and give running ones `timeout` s."""
        with self._cond:
            self._closed = True
            rejected = list(self._waiting)
            self._waiting.clear()
            for ticket in rejected:
                ticket.state = "withdrawn"
                metrics.model_queue_left(time.monotonic() - ticket.enqueued, "stopping")
            error = self._busy("stopping", count=len(rejected))
            self._cond.notify_all()
        for ticket in rejected:
            ticket.notify("rejected", error)
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    # --- inside --------------------------------------------------------------------------------

    def _start_workers(self) -> None:
        while len(self._threads) < self.slots:
            thread = threading.Thread(
                target=self._serve,
                name=f"{self.name}-queue-{len(self._threads)}",
                daemon=True,  # a generation stuck in C must not keep the process alive
            )
            self._threads.append(thread)
            thread.start()

    def _serve(self) -> None:
        _yield_the_cpu()
        while True:
            with self._cond:
                while not self._waiting and not self._closed:
                    self._cond.wait()
                if not self._waiting:
                    return
                ticket = self._waiting.popleft()
                ticket.state = "running"
                self._running += 1
                metrics.model_queue_left(time.monotonic() - ticket.enqueued, "served")
                metrics.model_queue_running(+1)
                statuses = self._statuses()
            if ticket.last is not None:
                statuses.append((ticket, QueueStatus(0, 0.0)))
            self._tell(statuses)
            start = time.monotonic()
            try:
                ticket.work(ticket)
            except BaseException:  # the work reports its own errors; this keeps the worker alive
                logger.exception("a model call failed outside its own error handling")
            finally:
                seconds = time.monotonic() - start
                with self._cond:
                    self._running -= 1
                    ticket.state = "done"
                    if not ticket.cancelled.is_set():
                        self._mean = (
                            seconds if self._mean is None else 0.8 * self._mean + 0.2 * seconds
                        )
                metrics.model_queue_running(-1)

    def _estimate(self, index: int) -> float | None:
        """Seconds until the waiter at `index` (0 = next) starts, if all slots stay busy."""
        if self._mean is None:
            return None
        return round(self._mean * (index // self.slots + 0.5), 1)

    def _statuses(self) -> list[tuple[Ticket, QueueStatus]]:
        """The waiters whose place changed, with their new one (a waiter hears each once)."""
        out = []
        for index, ticket in enumerate(self._waiting):
            status = QueueStatus(index + 1, self._estimate(index))
            if status != ticket.last:
                ticket.last = status
                out.append((ticket, status))
        return out

    @staticmethod
    def _tell(statuses: list[tuple[Ticket, QueueStatus]]) -> None:
        for ticket, status in statuses:
            ticket.notify("status", status)

    def _busy(self, reason: BusyReason, count: int = 1, ahead: int | None = None) -> ModelBusyError:
        waiting = len(self._waiting) if ahead is None else ahead
        estimate = self._estimate(waiting)
        guess = estimate if estimate is not None else 5.0
        retry_after = min(max(1, math.ceil(guess)), max(1, math.ceil(self.max_wait)))
        if count:
            metrics.model_queue_rejected(reason, count)
        return ModelBusyError(reason, retry_after, waiting)


WORKER_NICENESS = 5
"""How much lower a worker's CPU priority is than the API's (threads it starts inherit it)."""


def _yield_the_cpu() -> None:
    """Lower this worker thread's CPU priority, so that on busy cores requests come before tokens.

    A CPU model takes every cycle it gets; at equal priority the event loop waits its turn behind
    it, and sign-in or health answers slow down. Where the cores are idle this changes nothing.
    """
    if sys.platform == "linux" and not lower_priority(WORKER_NICENESS):
        # A sandbox may forbid it: run at normal priority.
        logger.info("model worker keeps its CPU priority")
