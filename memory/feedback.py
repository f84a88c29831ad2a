"""Users' verdicts on answers and recommendations, and approval per prompt version and variant."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Integer, case, func, select
from sqlalchemy.orm import Session, sessionmaker

from memory.models import ConversationTurn, Feedback, Recommendation


class UnknownTargetError(LookupError):
    """The answer or recommendation does not exist or is someone else's."""


@dataclass(frozen=True, slots=True)
class FeedbackStats:
    """Approval and adoption of one prompt version and variant."""

    target_type: str
    prompt_version: str | None
    variant: str | None
    count: int
    approval_rate: float
    adoption_rate: float


class FeedbackStore:
    """Record feedback on the user's own targets and list it back to them.

    Aggregates across users are for the operator only (`memadvisor feedback-stats`, `/metrics`),
    never served over the API.
    """

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def add(
        self,
        user_id: int,
        *,
        target_type: str,
        target_id: str,
        rating: int,
        comment: str | None = None,
        adopted: bool = False,
    ) -> Feedback:
        """Store feedback; UnknownTargetError unless the target is the user's own."""
        with self._sessions.begin() as session:
            version, variant, with_memories = self._target(session, user_id, target_type, target_id)
            row = Feedback(
                user_id=user_id,
                target_type=target_type,
                target_id=target_id,
                rating=rating,
                comment=comment,
                adopted=adopted,
                prompt_version=version,
                variant=variant,
                with_memories=with_memories,
            )
            session.add(row)
            session.flush()
            session.expunge(row)
            return row

    @staticmethod
    def _target(
        session: Session, user_id: int, target_type: str, target_id: str
    ) -> tuple[str | None, str | None, bool | None]:
        """Prompt version and variant of the target; for an answer, whether it had memories."""
        if target_type == "turn":
            numeric = target_id.isdigit() and int(target_id) < 2**63
            turn = session.get(ConversationTurn, int(target_id)) if numeric else None
            if turn is None or turn.user_id != user_id:
                raise UnknownTargetError(target_id)
            version, _, variant = (turn.prompt_version or "").partition("/")
            return version or None, variant or None, bool(turn.memories_used)
        set_id = target_id.partition("-")[0]
        recommendation = session.get(Recommendation, set_id)
        if recommendation is None or recommendation.user_id != user_id:
            raise UnknownTargetError(target_id)
        ids = {i["id"] for items in recommendation.payload.values() for i in items}
        if target_id not in ids:
            raise UnknownTargetError(target_id)
        return recommendation.prompt_version, recommendation.variant, None

    def mine(
        self,
        user_id: int,
        *,
        target_type: str | None = None,
        target_ids: Sequence[str] = (),
        limit: int = 200,
        offset: int = 0,
    ) -> list[Feedback]:
        """The user's own feedback, newest first: the first row per target is its verdict now.

        Optionally of one target type, or for some targets only.
        """
        stmt = select(Feedback).where(Feedback.user_id == user_id)
        if target_type is not None:
            stmt = stmt.where(Feedback.target_type == target_type)
        if target_ids:
            stmt = stmt.where(Feedback.target_id.in_(list(target_ids)))
        stmt = stmt.order_by(Feedback.created_at.desc(), Feedback.id.desc())
        with self._sessions() as session:
            return list(session.scalars(stmt.limit(limit).offset(offset)))

    def stats(self) -> list[FeedbackStats]:
        """Approval and adoption rates per target type, prompt version and variant."""
        up = func.sum(case((Feedback.rating > 0, 1), else_=0))
        adopted = func.sum(func.cast(Feedback.adopted, Integer))
        stmt = (
            select(
                Feedback.target_type,
                Feedback.prompt_version,
                Feedback.variant,
                func.count(),
                up,
                adopted,
            )
            .group_by(Feedback.target_type, Feedback.prompt_version, Feedback.variant)
            .order_by(Feedback.target_type, Feedback.prompt_version, Feedback.variant)
        )
        with self._sessions() as session:
            rows = session.execute(stmt).all()
        return [
            FeedbackStats(
                target_type=target_type,
                prompt_version=version,
                variant=variant,
                count=int(count),
                approval_rate=round(int(ups or 0) / count, 4),
                adoption_rate=round(int(adoptions or 0) / count, 4),
            )
            for target_type, version, variant, count, ups, adoptions in rows
        ]
