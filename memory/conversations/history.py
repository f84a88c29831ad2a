"""The SQL chat-history store: conversations and their turns, always scoped to one user.

A turn is written in two steps: `begin_turn` saves the user's message before the model runs (so it
survives a model that is down), `finish_turn` or `fail_turn` completes it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from memory.storage.models import Conversation, ConversationTurn, MemoryRow, utcnow
from memory.storage.owners import owned_write

TITLE_CHARS = 60


@dataclass(frozen=True, slots=True)
class Turn:
    """One exchange as other layers see it."""

    id: int
    conversation_id: str
    input_text: str
    output_text: str | None
    status: str
    created_at: datetime
    prompt_version: str | None = None
    model_name: str | None = None
    memories_used: list[dict[str, Any]] = field(default_factory=list)
    """`[{"id", "score"}]` of the memories the answer was given, best first."""
    answered_by: str = "model"
    """`model`, or `fallback` when the answer was put together without the model."""

    @classmethod
    def from_row(cls, row: ConversationTurn) -> Turn:
        """Copy a SQL row into the public shape."""
        return cls(
            id=row.id,
            conversation_id=row.conversation_id,
            input_text=row.input_text,
            output_text=row.output_text,
            status=row.status,
            created_at=row.created_at,
            prompt_version=row.prompt_version,
            model_name=row.model_name,
            memories_used=list(row.memories_used or []),
            answered_by=row.answered_by or "model",
        )


@dataclass(frozen=True, slots=True)
class ConversationSummary:
    """A conversation in a list: its title, times and number of turns."""

    id: str
    title: str
    created_at: datetime
    updated_at: datetime
    turns: int


class ConversationNotFoundError(LookupError):
    """The conversation does not exist or belongs to another user (the two are not told apart)."""


class TurnNotFoundError(LookupError):
    """The turn is gone: its conversation or account was deleted while it was being answered."""


class ChatHistory:
    """Conversations and turns in SQL, the source of truth of what was said."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def begin_turn(self, user_id: int, conversation_id: str | None, text: str) -> Turn:
        """Save the user's message, in a new conversation when `conversation_id` is None."""
        with owned_write(self._sessions, user_id) as session:
            if conversation_id is None:
                conversation = Conversation(user_id=user_id, title=_title(text))
                session.add(conversation)
                session.flush()
            else:
                conversation = self._owned(session, user_id, conversation_id)
            conversation.updated_at = utcnow()
            row = ConversationTurn(
                user_id=user_id, conversation_id=conversation.id, input_text=text, status="pending"
            )
            session.add(row)
            session.flush()
            return Turn.from_row(row)

    def finish_turn(
        self,
        user_id: int,
        conversation_id: str,
        turn_id: int,
        answer: str,
        *,
        prompt_version: str,
        model_name: str,
        memories_used: list[dict[str, Any]] | None = None,
        answered_by: str = "model",
    ) -> Turn:
        """Record the answer, who gave it (the model or the fallback) and the memories used.

        The memories are stamped as used just now. Raises TurnNotFoundError when the turn is not
        there any more (its conversation or account was deleted meanwhile).
        """
        with self._sessions.begin() as session:
            row = _owned_turn(session, user_id, conversation_id, turn_id)
            if row is None:
                raise TurnNotFoundError(turn_id)
            row.output_text = answer
            row.status = "answered"
            row.error = None
            row.prompt_version = prompt_version
            row.model_name = model_name
            row.memories_used = list(memories_used or [])
            row.answered_by = answered_by
            row.answered_at = utcnow()
            if used := [str(m["id"]) for m in row.memories_used if m.get("id")]:
                session.execute(
                    update(MemoryRow)
                    .where(MemoryRow.user_id == user_id, MemoryRow.id.in_(used))
                    .values(last_used_at=row.answered_at)
                )
            return Turn.from_row(row)

    def fail_turn(self, user_id: int, conversation_id: str, turn_id: int, error: str) -> None:
        """Mark a turn whose answer could not be produced; the message itself stays.

        A turn deleted meanwhile (with its conversation or account) has nothing left to mark.
        """
        with self._sessions.begin() as session:
            row = _owned_turn(session, user_id, conversation_id, turn_id)
            if row is not None:
                row.status = "failed"
                row.error = error[:2000]

    def fail_pending(self, error: str, turn_ids: Collection[int] | None = None) -> int:
        """Mark failed the turns still `pending` (of `turn_ids`, or all); how many there were.

        For turns a stopped server will never answer: its own at shutdown, a crashed one's at
        the next start.
        """
        stmt = update(ConversationTurn).where(ConversationTurn.status == "pending")
        if turn_ids is not None:
            if not turn_ids:
                return 0
            stmt = stmt.where(ConversationTurn.id.in_(list(turn_ids)))
        with self._sessions.begin() as session:
            result = session.execute(stmt.values(status="failed", error=error[:2000]))
            return int(getattr(result, "rowcount", 0) or 0)

    def recent_turns(self, user_id: int, conversation_id: str, limit: int) -> list[Turn]:
        """The last answered turns of a conversation, oldest first (for the prompt)."""
        if limit <= 0:
            return []
        stmt = (
            select(ConversationTurn)
            .where(
                ConversationTurn.user_id == user_id,
                ConversationTurn.conversation_id == conversation_id,
                ConversationTurn.status == "answered",
            )
            .order_by(ConversationTurn.created_at.desc(), ConversationTurn.id.desc())
            .limit(limit)
        )
        with self._sessions() as session:
            rows = list(session.scalars(stmt))
        return [Turn.from_row(row) for row in reversed(rows)]

    def answered_count(self, user_id: int) -> int:
        """How many answered turns the user has in all (the summariser's clock)."""
        with self._sessions() as session:
            return int(
                session.scalar(
                    select(func.count()).where(
                        ConversationTurn.user_id == user_id, ConversationTurn.status == "answered"
                    )
                )
                or 0
            )

    def latest_turns(self, user_id: int, limit: int) -> list[Turn]:
        """The user's last answered turns across conversations, oldest first."""
        stmt = (
            select(ConversationTurn)
            .where(ConversationTurn.user_id == user_id, ConversationTurn.status == "answered")
            .order_by(ConversationTurn.created_at.desc(), ConversationTurn.id.desc())
            .limit(limit)
        )
        with self._sessions() as session:
            rows = list(session.scalars(stmt))
        return [Turn.from_row(row) for row in reversed(rows)]

    def get_turn(self, user_id: int, turn_id: int) -> Turn | None:
        """One of the user's turns, or None (someone else's turn is None too)."""
        with self._sessions() as session:
            row = session.get(ConversationTurn, turn_id)
            return Turn.from_row(row) if row is not None and row.user_id == user_id else None

    def turns(self, user_id: int, conversation_id: str) -> list[Turn]:
        """Every turn of one of the user's conversations, oldest first."""
        with self._sessions() as session:
            self._owned(session, user_id, conversation_id)
            stmt = (
                select(ConversationTurn)
                .where(ConversationTurn.conversation_id == conversation_id)
                .order_by(ConversationTurn.created_at, ConversationTurn.id)
            )
            return [Turn.from_row(row) for row in session.scalars(stmt)]

    def get_conversation(self, user_id: int, conversation_id: str) -> ConversationSummary:
        """One of the user's conversations, or ConversationNotFoundError."""
        with self._sessions() as session:
            conversation = self._owned(session, user_id, conversation_id)
            count = session.scalar(
                select(func.count())
                .select_from(ConversationTurn)
                .where(ConversationTurn.conversation_id == conversation_id)
            )
            return _summary(conversation, int(count or 0))

    def conversations(
        self, user_id: int, *, limit: int = 50, offset: int = 0
    ) -> list[ConversationSummary]:
        """The user's conversations, most recently active first."""
        counts = (
            select(ConversationTurn.conversation_id, func.count().label("n"))
            .where(ConversationTurn.user_id == user_id)
            .group_by(ConversationTurn.conversation_id)
            .subquery()
        )
        stmt = (
            select(Conversation, func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.conversation_id == Conversation.id)
            .where(Conversation.user_id == user_id)
            .order_by(Conversation.updated_at.desc(), Conversation.id)
            .limit(limit)
            .offset(offset)
        )
        with self._sessions() as session:
            return [_summary(conv, int(n)) for conv, n in session.execute(stmt)]

    @staticmethod
    def _owned(session: Session, user_id: int, conversation_id: str) -> Conversation:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None or conversation.user_id != user_id:
            raise ConversationNotFoundError(conversation_id)
        return conversation


def _owned_turn(
    session: Session, user_id: int, conversation_id: str, turn_id: int
) -> ConversationTurn | None:
    """The turn, if it is still this user's, in this conversation (late writes find it so).

    Never by id alone: an answer that arrives after its account or conversation was deleted must
    find nothing, not whatever row has that id now.
    """
    return session.scalar(
        select(ConversationTurn).where(
            ConversationTurn.id == turn_id,
            ConversationTurn.user_id == user_id,
            ConversationTurn.conversation_id == conversation_id,
        )
    )


def _title(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1] + "…"


def _summary(conversation: Conversation, turns: int) -> ConversationSummary:
    return ConversationSummary(
        id=conversation.id,
        title=conversation.title,
        created_at=conversation.created_at,
        updated_at=conversation.updated_at,
        turns=turns,
    )
