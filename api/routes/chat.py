"""`POST /api/chat/stream`: one chat turn as Server-Sent Events, for the Vue3 client.

Events: one `start` (`{"conversation_id", "turn_id"}`: where the message was saved, so a client
that stops early still knows its conversation), `token` (`{"text"}`) as the model writes, then one
`final` (`{"conversation_id", "turn_id", "answer", "memories", "memory", "answered_by"}`; `memory`
is `unavailable` when the vector store was down and the answer was given without memories;
`answered_by` is `fallback` when the model cannot write the message's language and the answer was
put together without it, with no `token` events), or `error` (`{"message"}`) if the turn fails
midway.
The message is saved before the model runs, so it survives a model that is down (503).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sse_starlette import EventSourceResponse, ServerSentEvent

from agent.context import Context
from agent.llm import LLMUnavailableError, check_llm
from agent.services import Services
from agent.streaming import Saved, Token, stream_turn
from api.audit import AuditorDep
from api.deps import CurrentUser, GraphDep, ServicesDep
from api.openapi import sse_content
from api.schemas import (
    ChatError,
    ChatFinal,
    ChatIn,
    ChatStart,
    ChatToken,
    ErrorOut,
    MemoryOut,
)
from memory.history import ConversationNotFoundError

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/chat", tags=["chat"])

_SSE_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": (
            "`text/event-stream`: `start`, `token` events, then `final` (or `error`); each "
            "event's `data` is JSON of the component schema of the same name: `ChatStart`, "
            "`ChatToken`, `ChatFinal`, `ChatError`."
        ),
        "content": sse_content(["start", "token", "final", "error"]),
    },
    404: {"model": ErrorOut},
    503: {"model": ErrorOut},
}


@router.post("/stream", response_model=None, responses=_SSE_DOC)
async def chat_stream(
    body: ChatIn, user: CurrentUser, services: ServicesDep, graph: GraphDep, audit: AuditorDep
) -> EventSourceResponse | JSONResponse:
    """Send a message and receive the answer token by token."""
    try:
        turn = await asyncio.to_thread(
            services.history.begin_turn, user.id, body.conversation_id, body.message
        )
    except ConversationNotFoundError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="No such conversation.") from exc
    await audit("write", "conversation", turn.conversation_id)
    try:
        await asyncio.to_thread(check_llm, services.settings)
    except LLMUnavailableError as exc:
        await asyncio.to_thread(services.history.fail_turn, turn.id, str(exc))
        return JSONResponse(
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            content={
                "detail": f"{exc} Your message was saved.",
                "conversation_id": turn.conversation_id,
                "turn_id": turn.id,
            },
        )
    context = Context(user_id=user.id, conversation_id=turn.conversation_id, turn_id=turn.id)
    return EventSourceResponse(_events(graph, services, body.message, context, turn.id), ping=15)


async def _events(
    graph: GraphDep, services: Services, message: str, context: Context, turn_id: int
) -> AsyncIterator[ServerSentEvent]:
    assert context.conversation_id is not None
    yield _event("start", ChatStart(conversation_id=context.conversation_id, turn_id=turn_id))
    saved = False
    try:
        async for event in stream_turn(graph, message, context):
            if isinstance(event, Token):
                yield _event("token", ChatToken(text=event.text))
            elif isinstance(event, Saved):
                final = ChatFinal(
                    conversation_id=event.conversation_id,
                    turn_id=event.turn_id,
                    answer=event.answer,
                    memories=[MemoryOut.model_validate(m) for m in event.memories],
                    memory=event.memory_status,
                    answered_by=event.answered_by,
                )
                saved = True  # a client that leaves from here on has its answer, and it is stored
                yield _event("final", final)
    except asyncio.CancelledError:
        # The client stopped the stream: keep the message, note why there is no answer.
        if not saved:
            await asyncio.shield(
                asyncio.to_thread(services.history.fail_turn, turn_id, "stopped by the user")
            )
        raise
    except Exception as exc:
        logger.exception("chat turn %s failed", turn_id)
        await asyncio.to_thread(services.history.fail_turn, turn_id, repr(exc))
        reason = str(exc) if isinstance(exc, LLMUnavailableError) else "The model failed to answer."
        yield _event(
            "error", ChatError(message=f"{reason} Your message was saved; please try again.")
        )


def _event(name: str, data: BaseModel) -> ServerSentEvent:
    return ServerSentEvent(data=data.model_dump_json(), event=name)


STREAM_EVENTS: dict[str, type[BaseModel]] = {
    "start": ChatStart,
    "token": ChatToken,
    "final": ChatFinal,
    "error": ChatError,
}
"""The `data` shape of each event name; published as OpenAPI components for typed clients."""
