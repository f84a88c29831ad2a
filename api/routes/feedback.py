"""Thumbs up or down on answers and recommendations; approval per prompt version and variant."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, HTTPException, status

from api.audit import audited
from api.deps import CurrentUser, ServicesDep
from api.schemas import ErrorOut, FeedbackIn, FeedbackOut, FeedbackStatsRow
from memadvisor import metrics
from memory.feedback import UnknownTargetError

router = APIRouter(tags=["feedback"])


@router.post(
    "/feedback",
    status_code=status.HTTP_201_CREATED,
    responses={404: {"model": ErrorOut}},
    dependencies=[audited("write", "feedback")],
)
async def give_feedback(body: FeedbackIn, user: CurrentUser, services: ServicesDep) -> FeedbackOut:
    """Rate one of your answers (`turn`) or recommendation items; "I did this" sets `adopted`."""
    try:
        row = await asyncio.to_thread(
            services.feedback.add,
            user.id,
            target_type=body.target_type,
            target_id=body.target_id,
            rating=body.rating,
            comment=body.comment,
            adopted=body.adopted,
        )
    except UnknownTargetError as exc:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, detail=f"You have no {body.target_type} with that id."
        ) from exc
    metrics.feedback_given(
        target_type=row.target_type,
        rating=row.rating,
        prompt_version=row.prompt_version,
        variant=row.variant,
    )
    return FeedbackOut.model_validate(row)


@router.get("/stats/feedback")
async def feedback_stats(user: CurrentUser, services: ServicesDep) -> list[FeedbackStatsRow]:
    """Approval and adoption rates per prompt version, variant and model, over all users.

    Counts and rates only: nothing that identifies anyone.
    """
    rows = await asyncio.to_thread(services.feedback.stats)
    return [FeedbackStatsRow.model_validate(row, from_attributes=True) for row in rows]
