"""After a load run: what the clients were told, checked against what SQL and Chroma hold.

Every answered turn must be in SQL with its answer, no turn left `pending`, every turn's memory
in SQL and indexed, and the vector store must hold as many vectors per user as SQL holds memories.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from agent.services import build_services
from memadvisor.settings import Settings
from memory.storage.models import ConversationTurn, MemoryRow


@dataclass(frozen=True, slots=True)
class Turn:
    """One answered turn as the client saw it."""

    user_id: int
    turn_id: int
    message: str
    answer: str
    seconds: float
    first_token: float


def check_stores(data_dir: Path, turns: Sequence[Turn]) -> dict[str, int]:
    """Compare what clients were told with what SQL and the vector store hold."""
    settings = Settings(_env_file=None, env="development", data_dir=data_dir)
    services = build_services(settings, migrate=False, inline_jobs=True)
    try:
        missing_turns = missing_memories = unindexed = 0
        by_user: dict[int, list[Turn]] = {}
        for turn in turns:
            by_user.setdefault(turn.user_id, []).append(turn)
        vector_mismatch = 0
        with services.sessions() as session:
            pending = session.scalar(
                select(func.count()).where(ConversationTurn.status == "pending")
            )
        for user_id, own in by_user.items():
            with services.sessions() as session:
                rows = session.scalars(
                    select(MemoryRow).where(
                        MemoryRow.user_id == user_id, MemoryRow.source_id.is_not(None)
                    )
                ).all()
                memories: dict[str | None, list[MemoryRow]] = {}
                for row in rows:
                    memories.setdefault(row.source_id, []).append(row)
            for turn in own:
                saved = services.history.get_turn(user_id, turn.turn_id)
                if saved is None or (saved.input_text, saved.output_text) != (
                    turn.message,
                    turn.answer,
                ):
                    missing_turns += 1
                # What a turn said is remembered as facts or in its words (questions leave
                # nothing), so only what was remembered can be checked: a memory that is not in
                # the message's words (or taken from them) is missing, and each must be indexed.
                for memory in memories.get(str(turn.turn_id), []):
                    if memory.text not in turn.message:
                        missing_memories += 1
                    elif memory.indexed_at is None:
                        unindexed += 1
            if services.memory.vector_count(user_id) != services.memory.count(user_id):
                vector_mismatch += 1
        return {
            "turns_missing_in_sql": missing_turns,
            "turns_left_pending": int(pending or 0),
            "memories_missing_in_sql": missing_memories,
            "memories_not_indexed": unindexed,
            "users_with_vector_count_mismatch": vector_mismatch,
            "memories_in_sql": services.memory.count(),
            "vectors": services.memory.vector_count(),
        }
    finally:
        services.close()
