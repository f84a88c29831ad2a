"""Personalised recommendations per dimension, each with its rationale and sources."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from agent.context import Context
from api.audit import audited
from api.deps import CurrentUser, RecommendGraphDep, ServicesDep
from api.language import response_language
from api.schemas import RecommendationsOut
from prompts.language import Language

router = APIRouter(prefix="/recommendations", tags=["recommendations"])


@router.get(
    "",
    response_model_exclude_none=True,
    dependencies=[audited("read", "recommendations")],
)
async def get_recommendations(
    user: CurrentUser,
    services: ServicesDep,
    graph: RecommendGraphDep,
    language: Annotated[Language, Depends(response_language)],
    refresh: Annotated[bool, Query(description="Compute anew even if nothing changed.")] = False,
) -> RecommendationsOut:
    """Advice on health, finance and education (and behaviour when there is data).

    Runs the recommend graph (`analyse → recommend`). Served from the cache until your data,
    insights, memories, profile or consents change; computing anew takes the model a while.
    When the model cannot write it (its answer stays invalid, or it is down or busy), the rules
    do: `written_by` and `written_by_reason` say so.
    """
    result = await graph.ainvoke(
        {"language": language, "refresh": refresh}, context=Context(user_id=user.id)
    )
    row = await asyncio.to_thread(services.advisor.get, user.id, result["recommendation_id"])
    assert row is not None  # just stored for this user
    return RecommendationsOut(
        id=row.id,
        **row.payload,
        language=row.language,
        prompt_version=row.prompt_version,
        variant=row.variant,
        model_name=row.model_name,
        written_by=row.written_by,
        written_by_reason=row.written_by_reason,
        created_at=row.created_at,
        cached=result["cached"],
    )
