"""`POST /api/chat/stream`: one chat turn as Server-Sent Events, for the Vue3 client.

Events: one `start` (`{"conversation_id", "turn_id"}`: where the message was saved, so a client
that stops early still knows its conversation), `queued` (`{"position", "estimated_wait_s"}`) while
the answer waits for the model (position 0 when the model starts on it), `token` (`{"text"}`) as
the model writes, then one `final` (`{"conversation_id", "turn_id", "answer", "memories",
"memory", "answered_by"}`; `memory` is `unavailable` when the vector store was down and the answer
was given without memories; `answered_by` is `fallback` when the model cannot write the message's
language and the answer was put together without it, with no `token` events), or `error`
(`{"message", "retry_after"}`) if the turn fails midway.

The message is saved before the model runs, so it survives a model that is down or too busy (503,
with `Retry-After` when busy; the turn is then marked failed). Every turn ends answered or failed,
never `pending`: a client that leaves, a wait past the bound and a server that shuts down (after
`shutdown_grace_seconds`) each mark it failed with the reason.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import anyio
from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.types import Receive, Scope, Send

from agent.context import Context
from agent.model.errors import LLMUnavailableError
from agent.model.llm import check_llm
from agent.model.queue import Admission, ModelBusyError
from agent.services import Services
from agent.streaming import Queued, Saved, Token, TurnEvent, stream_turn
from api.audit import AuditorDep
from api.deps import CurrentUser, GraphDep, ServicesDep
from api.openapi import sse_content
from api.schemas import (
    ChatError,
    ChatFinal,
    ChatIn,
    ChatQueued,
    ChatStart,
    ChatToken,
    ErrorOut,
    MemoryOut,
)
from memadvisor import metrics
from memory.conversations.history import ConversationNotFoundError, Turn

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/chat", tags=["chat"])

_SSE_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": (
            "`text/event-stream`: `start`, `queued` while the answer waits for the model, "
            "`token` events, then `final` (or `error`); each event's `data` is JSON of the "
            "component schema of the same name: `ChatStart`, `ChatQueued`, `ChatToken`, "
            "`ChatFinal`, `ChatError`."
        ),
        "content": sse_content(["start", "queued", "token", "final", "error"]),
    },
    404: {"model": ErrorOut},
    429: {"model": ErrorOut},
    503: {
        "model": ErrorOut,
        "description": "The model is down, or too busy (then with `Retry-After`); the message "
        "was saved and the turn marked failed.",
    },
}


@router.post("/stream", response_model=None, responses=_SSE_DOC)
async def chat_stream(
    body: ChatIn,
    request: Request,
    user: CurrentUser,
    services: ServicesDep,
    graph: GraphDep,
    audit: AuditorDep,
) -> EventSourceResponse | JSONResponse:
    """Send a message and receive the answer token by token (429 past the user's rate limit)."""
    request.app.state.rate_limits.chat_turn(user.id)
    try:
        turn = await asyncio.to_thread(
            services.history.begin_turn, user.id, body.conversation_id, body.message
        )
    except ConversationNotFoundError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="No such conversation.") from exc
    await audit("write", "conversation", turn.conversation_id)
    try:
        await asyncio.to_thread(check_llm, services.settings)
        admission = services.model_queue.admit()
    except LLMUnavailableError as exc:
        metrics.model_unavailable()
        return await _refuse(services, user.id, turn, str(exc))
    except ModelBusyError as exc:
        return await _refuse(services, user.id, turn, str(exc), retry_after=exc.retry_after)
    context = Context(user_id=user.id, conversation_id=turn.conversation_id, turn_id=turn.id)
    stopping = anyio.Event()  # set by sse-starlette when the server begins to shut down
    state = _TurnState(context, services, admission, in_flight(request), stopping)
    return _TurnResponse(
        _events(graph, services, body.message, context, state),
        state,
        ping=15,
        shutdown_event=stopping,
        # Past our own grace the turn ends itself with an `error` event (`_within_grace`);
        # sse-starlette's cut, a little later, is only a backstop.
        shutdown_grace_period=services.settings.shutdown_grace_seconds + 3,
    )


async def _refuse(
    services: Services, user_id: int, turn: Turn, reason: str, retry_after: int | None = None
) -> JSONResponse:
    """503 for a turn the model cannot take now: the message stays, the turn is marked failed."""
    fail = services.history.fail_turn
    await asyncio.to_thread(fail, user_id, turn.conversation_id, turn.id, reason)
    return JSONResponse(
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        content={
            "detail": f"{reason} Your message was saved.",
            "conversation_id": turn.conversation_id,
            "turn_id": turn.id,
        },
        headers={"Retry-After": str(retry_after)} if retry_after is not None else None,
    )


def in_flight(request: Request) -> set[int]:
    """The ids of the turns this process is answering now (failed at shutdown if unfinished)."""
    turns: set[int] = request.app.state.turns_in_flight
    return turns


@dataclass(slots=True)
class _TurnState:
    """One streamed turn's bookkeeping, from the route to the end of its response."""

    context: Context
    """Whose turn, in which conversation: a late write names all three."""
    services: Services
    admission: Admission
    turns: set[int]
    stopping: anyio.Event
    started: bool = False

    def __post_init__(self) -> None:
        self.turns.add(self.turn_id)

    @property
    def turn_id(self) -> int:
        """The turn's id (the route saved it before the stream began)."""
        assert self.context.turn_id is not None
        return self.context.turn_id

    def stop_reason(self) -> str:
        """Why a stream that is cut short ends: the client left, or the server stops."""
        return SERVER_STOPPED if self.stopping.is_set() else "stopped by the user"

    async def fail(self, reason: str) -> None:
        """Mark the turn failed (if it is still there and still this user's), even if cancelled."""
        ctx, fail = self.context, self.services.history.fail_turn
        assert ctx.conversation_id is not None
        done = asyncio.to_thread(fail, ctx.user_id, ctx.conversation_id, self.turn_id, reason)
        await asyncio.shield(done)


class _TurnResponse(EventSourceResponse):
    """The stream of one turn; however it ends, its place in the model queue is given back.

    The end is handled here rather than in the generator, whose `finally` never runs when the
    client left before the first byte was sent (the turn is then marked failed here too).
    """

    def __init__(self, content: AsyncIterator[ServerSentEvent], state: _TurnState, **kw: Any):
        super().__init__(content, **kw)
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = self.state
        try:
            await super().__call__(scope, receive, send)
        finally:
            state.admission.release()
            state.turns.discard(state.turn_id)
            if not state.started:
                await state.fail(state.stop_reason())


async def _events(
    graph: GraphDep, services: Services, message: str, context: Context, state: _TurnState
) -> AsyncIterator[ServerSentEvent]:
    assert context.conversation_id is not None
    with metrics.CHAT_STREAMS.track_inprogress():
        turn_id = state.turn_id
        state.started = True
        yield _event("start", ChatStart(conversation_id=context.conversation_id, turn_id=turn_id))
        saved = False
        try:
            async for event in _within_grace(stream_turn(graph, message, context), state):
                if isinstance(event, Token):
                    yield _event("token", ChatToken(text=event.text))
                elif isinstance(event, Queued):
                    wait = event.estimated_wait_s
                    yield _event(
                        "queued", ChatQueued(position=event.position, estimated_wait_s=wait)
                    )
                elif isinstance(event, Saved):
                    final = ChatFinal(
                        conversation_id=event.conversation_id,
                        turn_id=event.turn_id,
                        answer=event.answer,
                        memories=[MemoryOut.model_validate(m) for m in event.memories],
                        memory=event.memory_status,
                        answered_by=event.answered_by,
                    )
                    saved = True  # a client that leaves from here on has its answer, stored
                    yield _event("final", final)
        except ServerStoppingError:
            logger.info("chat turn %s: unfinished when the server stopped", turn_id)
            await state.fail(SERVER_STOPPED)
            yield _event("error", ChatError(message=SERVER_STOPPED))
        except asyncio.CancelledError:
            # The client stopped the stream, or the server stops: keep the message, note why.
            if not saved:
                await state.fail(state.stop_reason())
            raise
        except ModelBusyError as exc:
            logger.info("chat turn %s: %s", turn_id, exc)
            await state.fail(str(exc))
            error = ChatError(message=f"{exc} Your message was saved.", retry_after=exc.retry_after)
            yield _event("error", error)
        except Exception as exc:
            if await asyncio.to_thread(services.history.get_turn, context.user_id, turn_id) is None:
                # Not a fault: the account or the conversation was deleted while it was answered.
                name = type(exc).__name__  # never its text: it may quote the message
                logger.info("chat turn %s ended: deleted while it was answered (%s)", turn_id, name)
                yield _event("error", ChatError(message=DELETED))
                return
            logger.exception("chat turn %s failed", turn_id)
            reason = (
                str(exc) if isinstance(exc, LLMUnavailableError) else "The model failed to answer."
            )
            # The reason the user is shown, not the exception's text: the row is not encrypted.
            await state.fail(reason)
            yield _event(
                "error", ChatError(message=f"{reason} Your message was saved; please try again.")
            )


class ServerStoppingError(Exception):
    """The server has been stopping for the grace period and the turn is still unanswered."""


async def _within_grace(
    source: AsyncIterator[TurnEvent], state: _TurnState
) -> AsyncIterator[TurnEvent]:
    """The events of `source` until the server has been stopping for the grace period.

    The turn runs in a task of its own, so it can be left at any moment (ServerStoppingError)
    and the stream still ends properly, with an `error` event, rather than being cut mid-answer.
    """
    inbox: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    async def pump() -> None:
        try:
            async for event in source:
                inbox.put_nowait(("event", event))
            inbox.put_nowait(("end", None))
        except Exception as exc:
            inbox.put_nowait(("error", exc))

    async def grace_over() -> None:
        await state.stopping.wait()
        await asyncio.sleep(state.services.settings.shutdown_grace_seconds)

    turn, deadline = asyncio.create_task(pump()), asyncio.create_task(grace_over())
    item: asyncio.Task[tuple[str, Any]] | None = None
    try:
        while True:
            item = asyncio.create_task(inbox.get())
            await asyncio.wait({item, deadline}, return_when=asyncio.FIRST_COMPLETED)
            if not item.done():
                raise ServerStoppingError
            kind, value = item.result()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        # A client that left, or the grace is over: the model stops too. Every task is ended
        # here; one left pending (the wait on the inbox) was logged as an ERROR when collected.
        for task in (turn, deadline, item):
            if task is not None:
                task.cancel()


SERVER_STOPPED = "The server stopped before the answer was complete; please send it again."
DELETED = "This conversation was deleted while its answer was being written."


def _event(name: str, data: BaseModel) -> ServerSentEvent:
    return ServerSentEvent(data=data.model_dump_json(), event=name)


STREAM_EVENTS: dict[str, type[BaseModel]] = {
    "start": ChatStart,
    "queued": ChatQueued,
    "token": ChatToken,
    "final": ChatFinal,
    "error": ChatError,
}
"""The `data` shape of each event name; published as OpenAPI components for typed clients."""
