"""Personalised recommendations per dimension, each with its rationale and sources."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status

from agent.context import Context
from agent.graph import RecommendGraph
from agent.model.structured import StructuredOutputError
from agent.services import Services
from api.audit import audited
from api.deps import CurrentUser, RecommendGraphDep, ServicesDep
from api.language import response_language
from api.schemas import RecommendationsOut
from prompts.language import Language

router = APIRouter(prefix="/recommendations", tags=["recommendations"])

UNAVAILABLE = "The model could not produce valid advice this time; please try again."


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
    try:
        return await recommend(graph, services, user.id, language, refresh=refresh)
    except StructuredOutputError as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=UNAVAILABLE) from exc


async def recommend(
    graph: RecommendGraph,
    services: Services,
    user_id: int,
    language: Language,
    *,
    refresh: bool = False,
) -> RecommendationsOut:
    """Run the recommend graph for the user (StructuredOutputError when the model fails)."""
    result = await graph.ainvoke(
        {"language": language, "refresh": refresh}, context=Context(user_id=user_id)
    )
    row = await asyncio.to_thread(services.advisor.get, user_id, result["recommendation_id"])
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
