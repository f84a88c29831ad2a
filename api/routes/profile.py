"""The profile: what the assistant concluded about you (summary, preferences, insights)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status

from agent.model.structured import StructuredOutputError
from agent.services import Services
from api.audit import audited
from api.deps import CurrentUser, ServicesDep
from api.language import response_language
from api.schemas import ErrorOut, InsightOut, ProfileOut, ProfileUpdate
from memory.accounts.users import Preferences
from memory.storage.models import UserInsight
from prompts.insights import render_insight
from prompts.language import Language

router = APIRouter(prefix="/profile", tags=["profile"])

LanguageDep = Annotated[Language, Depends(response_language)]


def insight_out(row: UserInsight, language: Language) -> InsightOut:
    """An insight with its sentence in the reader's language."""
    out = InsightOut.model_validate(row)
    out.text = render_insight(row.key, row.figures, language)
    return out


def read_profile(services: Services, user_id: int, language: Language) -> ProfileOut:
    """The profile as every door shows it: insights only of types the user still consents to."""
    profile = services.accounts.profile(user_id)
    allowed = services.user_data.consents.granted(user_id)
    insights = services.insights.list(user_id, set(allowed))
    return ProfileOut(
        summary=profile.summary,
        preferences=Preferences.model_validate(profile.preferences or {}),
        insights=[insight_out(row, language) for row in insights],
        edited_by_user=profile.edited_by_user,
        summarized_turns=profile.summarized_turns,
        updated_at=profile.updated_at,
        height_cm=profile.height_cm,
    )


@router.get("", dependencies=[audited("read", "profile")])
async def get_profile(
    user: CurrentUser, services: ServicesDep, language: LanguageDep
) -> ProfileOut:
    """Your summary, preferences and current insights."""
    return await asyncio.to_thread(read_profile, services, user.id, language)


@router.put("", dependencies=[audited("write", "profile")])
async def update_profile(
    body: ProfileUpdate, user: CurrentUser, services: ServicesDep, language: LanguageDep
) -> ProfileOut:
    """Correct the summary or preferences (later summaries build on them), or set your height."""
    if "height_cm" in body.model_fields_set:
        await asyncio.to_thread(services.accounts.set_height, user.id, body.height_cm)
        services.jobs.enqueue("analyse_user", user_id=user.id)  # the BMI depends on it
    if body.summary is not None or body.preferences is not None:
        await asyncio.to_thread(
            services.accounts.update_profile,
            user.id,
            summary=body.summary,
            preferences=body.preferences,
            by_user=True,
        )
    return await asyncio.to_thread(read_profile, services, user.id, language)


@router.post(
    "/refresh", responses={503: {"model": ErrorOut}}, dependencies=[audited("write", "profile")]
)
async def refresh_profile(
    user: CurrentUser, services: ServicesDep, language: LanguageDep
) -> ProfileOut:
    """Rerun the analysers and the summariser now (the summariser needs the model)."""
    await asyncio.to_thread(services.analyst.analyse_user, user.id)
    try:
        await asyncio.to_thread(services.summarize_profile, user.id, force=True)
    except StructuredOutputError as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail="The model could not write a valid profile this time; nothing was changed. "
            "Please try again.",
        ) from exc
    return await asyncio.to_thread(read_profile, services, user.id, language)
