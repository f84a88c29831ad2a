"""The signed-in account: who am I, everything held about me, and deleting it all."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Response, status

from api.deps import CurrentUser, ServicesDep
from api.schemas import UserOut

router = APIRouter(prefix="/me", tags=["me"])


@router.get("")
def me(user: CurrentUser) -> UserOut:
    """The signed-in account."""
    return UserOut.model_validate(user)


@router.get("/export")
async def export_me(user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    """Right of access: everything held about you, as one JSON document.

    The account, conversations, memories, profile, data, insights and feedback; password hashes
    and search indexes are left out.
    """
    document: dict[str, Any] = await asyncio.to_thread(services.privacy.export, user.id)
    return document


@router.delete("", status_code=status.HTTP_204_NO_CONTENT)
async def delete_me(user: CurrentUser, services: ServicesDep) -> Response:
    """Right to erasure: delete your account and everything held about you, in every store."""
    await asyncio.to_thread(services.privacy.erase, user.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
