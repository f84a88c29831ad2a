"""Users' verdicts on answers and recommendations, and approval per prompt, variant and model.

The model and its fine-tuned adapter are recorded with each verdict, so adapters can be compared.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Integer, case, func, select
from sqlalchemy.orm import Session, sessionmaker

from memory.storage.models import ConversationTurn, Feedback, Recommendation
from memory.storage.owners import owned_write


class UnknownTargetError(LookupError):
    """The answer or recommendation does not exist or is someone else's."""


@dataclass(frozen=True, slots=True)
class FeedbackStats:
    """Approval and adoption of one prompt version, variant and model."""

    target_type: str
    prompt_version: str | None
    variant: str | None
    model_name: str | None
    adapter_id: str | None
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
        with owned_write(self._sessions, user_id) as session:
            version, variant, with_memories, model, adapter = self._target(
                session, user_id, target_type, target_id
            )
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
                model_name=model,
                adapter_id=adapter,
            )
            session.add(row)
            session.flush()
            session.expunge(row)
            return row

    @staticmethod
    def _target(
        session: Session, user_id: int, target_type: str, target_id: str
    ) -> tuple[str | None, str | None, bool | None, str | None, str | None]:
        """Prompt version, variant, memories (answers only), model and adapter of the target."""
        if target_type == "turn":
            numeric = target_id.isdigit() and int(target_id) < 2**63
            turn = session.get(ConversationTurn, int(target_id)) if numeric else None
            if turn is None or turn.user_id != user_id:
                raise UnknownTargetError(target_id)
            version, _, variant = (turn.prompt_version or "").partition("/")
            return version or None, variant or None, bool(turn.memories_used), turn.model_name, None
        set_id = target_id.partition("-")[0]
        recommendation = session.get(Recommendation, set_id)
        if recommendation is None or recommendation.user_id != user_id:
            raise UnknownTargetError(target_id)
        ids = {i["id"] for items in recommendation.payload.values() for i in items}
        if target_id not in ids:
            raise UnknownTargetError(target_id)
        return (
            recommendation.prompt_version,
            recommendation.variant,
            None,
            recommendation.model_name,
            recommendation.adapter_id,
        )

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

    def approved(self, user_id: int, target_type: str = "recommendation") -> set[str]:
        """The user's targets whose latest verdict is a thumbs up or "I did this"."""
        with self._sessions() as session:
            rows = session.execute(
                select(Feedback.target_id, Feedback.rating, Feedback.adopted)
                .where(Feedback.user_id == user_id, Feedback.target_type == target_type)
                .order_by(Feedback.created_at, Feedback.id)
            ).all()
        latest = {target: rating > 0 or bool(adopted) for target, rating, adopted in rows}
        return {target for target, good in latest.items() if good}

    def stats(self) -> list[FeedbackStats]:
        """Approval and adoption rates per target type, prompt version, variant and model."""
        up = func.sum(case((Feedback.rating > 0, 1), else_=0))
        adopted = func.sum(func.cast(Feedback.adopted, Integer))
        groups = (
            Feedback.target_type,
            Feedback.prompt_version,
            Feedback.variant,
            Feedback.model_name,
            Feedback.adapter_id,
        )
        stmt = (
            select(
                Feedback.target_type,
                Feedback.prompt_version,
                Feedback.variant,
                Feedback.model_name,
                Feedback.adapter_id,
                func.count(),
                up,
                adopted,
            )
            .group_by(*groups)
            .order_by(*groups)
        )
        with self._sessions() as session:
            rows = session.execute(stmt).all()
        return [
            FeedbackStats(
                target_type=target_type,
                prompt_version=version,
                variant=variant,
                model_name=model,
                adapter_id=adapter,
                count=int(count),
                approval_rate=round(int(ups or 0) / count, 4),
                adoption_rate=round(int(adoptions or 0) / count, 4),
            )
            for target_type, version, variant, model, adapter, count, ups, adoptions in rows
        ]
