"""What the assistant remembers and forgets, one path for every door (chat, REST, MCP).

Chat, the REST routes and the MCP tools call these functions rather than the stores, so a rule
added here (the understanding of what the user says, consent checks, metrics) reaches them all.
Store calls are synchronous; async callers run these in a worker thread.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

from agent.services import Services
from memadvisor import metrics
from memory.records.datatypes import NewRecord
from memory.retrieval.store import Memory
from memory.storage.models import UserData


def remember_said(
    services: Services,
    user_id: int,
    text: str,
    *,
    said_at: datetime | None = None,
    source_id: str | None = None,
    metadata: dict[str, Any] | None = None,
    thread: str | None = None,
) -> str:
    """Remember something the user said; returns the memory's id.

    The one path for what the user says, whichever door it came through (a chat turn, an MCP
    client's `add_memory`): what runs after a message (understanding it, consolidating facts)
    is enqueued here, so every door gets it. Only the SQL row is written now (keyword search
    finds it at once); the vector copy and the facts drawn from it are background jobs, so the
    caller is never held up by the model or by embedding.
    """
    memory_id = services.memory.add(
        user_id,
        text,
        kind="turn",
        created_at=said_at,
        source_id=source_id,
        metadata=metadata,
        thread=thread,
        index=False,
    )
    services.jobs.enqueue("index_memories", ids=[memory_id])
    if services.consolidates:
        services.jobs.enqueue("consolidate_memory", user_id=user_id, memory_id=memory_id)
    return memory_id


def forget_memory(services: Services, user_id: int, memory_id: str) -> bool:
    """Forget one of the user's memories everywhere it is stored; False if they have no such one."""
    shown = services.memory.shown_to_model(user_id, memory_id)
    if not services.memory.delete(user_id, memory_id):
        return False
    metrics.memory_corrected("delete", shown_to_model=shown)
    return True


def usable_memories(memories: Iterable[Memory], allowed: Collection[str]) -> list[Memory]:
    """The memories a model may be given: records of a type whose consent was withdrawn are not."""
    return [m for m in memories if m.kind != "data" or m.metadata.get("data_type") in allowed]


def add_records(services: Services, user_id: int, records: Sequence[NewRecord]) -> list[UserData]:
    """Store records (ConsentRequiredError for a type without consent), then index and analyse."""
    rows = services.user_data.add_many(user_id, records)
    after_new_data(services, user_id)
    return rows


def after_new_data(services: Services, user_id: int) -> None:
    """Index the new records' memories and rerun the analysis, off the caller's path."""
    services.jobs.enqueue("index_memories")
    services.jobs.enqueue("analyse_user", user_id=user_id)
