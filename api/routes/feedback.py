"""Thumbs up or down on answers and recommendations, and the user's own feedback back."""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import StringConstraints

from api.audit import audited
from api.deps import CurrentUser, ServicesDep
from api.schemas import ErrorOut, FeedbackIn, FeedbackOut, Offset
from memadvisor import metrics
from memory.conversations.feedback import UnknownTargetError

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
        with_memories=row.with_memories,
    )
    return FeedbackOut.model_validate(row)


@router.get("/feedback", dependencies=[audited("read", "feedback")])
async def my_feedback(
    user: CurrentUser,
    services: ServicesDep,
    target_type: Annotated[
        Literal["turn", "recommendation"] | None, Query(description="Only this kind of target.")
    ] = None,
    target_id: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=64)]],
        Query(max_length=200, description="Only these targets (repeat the parameter)."),
    ] = [],  # noqa: B006 (FastAPI copies defaults per request)
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
    offset: Offset = 0,
) -> list[FeedbackOut]:
    """Your own feedback, newest first: the first entry per target is your current verdict.

    Only yours: approval across users is the operator's view (`memadvisor feedback-stats` and
    the `memadvisor_feedback_*` metrics), not the API's.
    """
    rows = await asyncio.to_thread(
        services.feedback.mine,
        user.id,
        target_type=target_type,
        target_ids=target_id,
        limit=limit,
        offset=offset,
    )
    return [FeedbackOut.model_validate(row) for row in rows]
