"""What the assistant remembers about the current user: list, search, forget."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from agent.remembering import forget_memory
from api.audit import audited
from api.deps import CurrentUser, ServicesDep
from api.schemas import (
    ErrorOut,
    MemoryChangeOut,
    MemoryOut,
    MemorySearch,
    MemoryUpdate,
    Offset,
)
from memadvisor import metrics

router = APIRouter(prefix="/memories", tags=["memories"])


SEARCH_MOVED = (
    "Search with POST /api/memories/search and the text in the body: a URL's query string is "
    "written to access logs."
)


@router.get(
    "",
    dependencies=[audited("read", "memories")],
    responses={400: {"model": ErrorOut, "description": "A search text in `query` (see there)."}},
)
async def list_memories(
    user: CurrentUser,
    services: ServicesDep,
    query: Annotated[
        str | None,
        Query(
            max_length=1000,
            deprecated=True,
            description="Removed (400): search with `POST /api/memories/search`.",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> list[MemoryOut]:
    """Newest first (to search, `POST /api/memories/search`)."""
    if query and query.strip():
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail=SEARCH_MOVED)
    found = await asyncio.to_thread(services.memory.list, user.id, limit=limit, offset=offset)
    return [MemoryOut.model_validate(m) for m in found]


@router.post("/search", dependencies=[audited("read", "memories")])
async def search_memories(
    body: MemorySearch, user: CurrentUser, services: ServicesDep
) -> list[MemoryOut]:
    """Your memories closest in meaning to `query`, best first, each with its score."""
    found = await asyncio.to_thread(services.memory.search, user.id, body.query, body.limit)
    return [MemoryOut.model_validate(m) for m in found]


@router.delete(
    "/{memory_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={404: {"model": ErrorOut}},
    dependencies=[audited("delete", "memories", id_param="memory_id")],
)
async def delete_memory(memory_id: str, user: CurrentUser, services: ServicesDep) -> None:
    """Forget one memory, everywhere it is stored."""
    if not await asyncio.to_thread(forget_memory, services, user.id, memory_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="No such memory.")


@router.patch(
    "/{memory_id}",
    responses={404: {"model": ErrorOut}},
    dependencies=[audited("write", "memories", id_param="memory_id")],
)
async def edit_memory(
    memory_id: str, body: MemoryUpdate, user: CurrentUser, services: ServicesDep
) -> MemoryOut:
    """Correct what a memory says; the old text is kept in its history."""
    shown = await asyncio.to_thread(services.memory.shown_to_model, user.id, memory_id)
    updated = await asyncio.to_thread(services.memory.update, user.id, memory_id, body.text)
    if updated is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="No such memory.")
    metrics.memory_corrected("edit", shown_to_model=shown)
    return MemoryOut.model_validate(updated)


@router.get(
    "/{memory_id}/history",
    responses={404: {"model": ErrorOut}},
    dependencies=[audited("read", "memories", id_param="memory_id")],
)
async def memory_history(
    memory_id: str, user: CurrentUser, services: ServicesDep
) -> list[MemoryChangeOut]:
    """How a memory changed (edits, and facts consolidated from later messages), oldest first."""
    if await asyncio.to_thread(services.memory.get, user.id, memory_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="No such memory.")
    changes = await asyncio.to_thread(services.memory.history, user.id, memory_id)
    return [MemoryChangeOut.model_validate(change) for change in changes]
