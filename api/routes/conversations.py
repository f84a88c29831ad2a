"""The current user's conversation history."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from api.audit import audited
from api.deps import CurrentUser, ServicesDep
from api.schemas import ConversationDetail, ConversationOut, ErrorOut, MemoryOut, Offset, TurnOut
from memory.conversations.history import ConversationNotFoundError, Turn
from memory.retrieval.store import Memory

router = APIRouter(prefix="/conversations", tags=["conversations"])


@router.get("", dependencies=[audited("read", "conversation")])
def list_conversations(
    user: CurrentUser,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> list[ConversationOut]:
    """Most recently active first."""
    found = services.history.conversations(user.id, limit=limit, offset=offset)
    return [ConversationOut.model_validate(c) for c in found]


@router.get(
    "/{conversation_id}",
    responses={404: {"model": ErrorOut}},
    dependencies=[audited("read", "conversation", id_param="conversation_id")],
)
def get_conversation(
    conversation_id: str, user: CurrentUser, services: ServicesDep
) -> ConversationDetail:
    """One conversation with every turn, oldest first."""
    try:
        summary = services.history.get_conversation(user.id, conversation_id)
        turns = services.history.turns(user.id, conversation_id)
    except ConversationNotFoundError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="No such conversation.") from exc
    used = services.memory.get_many(
        user.id, {entry["id"] for turn in turns for entry in turn.memories_used}
    )
    return ConversationDetail(
        **ConversationOut.model_validate(summary).model_dump(),
        messages=[_turn_out(turn, used) for turn in turns],
    )


def _turn_out(turn: Turn, memories: dict[str, Memory]) -> TurnOut:
    out = TurnOut.model_validate(turn)
    out.memories = [
        MemoryOut.model_validate(replace(memories[entry["id"]], score=entry.get("score")))
        for entry in turn.memories_used
        if entry.get("id") in memories
    ]
    return out
