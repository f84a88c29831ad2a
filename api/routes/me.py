"""The signed-in account: who am I, everything held about me, who touched it, and deleting it."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from api.audit import audited
from api.deps import CurrentUser, ServicesDep
from api.schemas import AuditEntryOut, UserOut

router = APIRouter(prefix="/me", tags=["me"])


@router.get("", dependencies=[audited("read", "account")])
def me(user: CurrentUser) -> UserOut:
    """The signed-in account."""
    return UserOut.model_validate(user)


@router.get("/export", dependencies=[audited("export", "account")])
async def export_me(user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    """Right of access: everything held about you, as one JSON document.

    The account, conversations, memories, profile, data, insights, feedback, sign-ins and the
    audit log; password and token hashes and search indexes are left out.
    """
    document: dict[str, Any] = await asyncio.to_thread(services.privacy.export, user.id)
    return document


@router.get("/audit")
async def my_audit_log(
    user: CurrentUser,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[AuditEntryOut]:
    """Who read, wrote, deleted or exported your data, and when: newest first.

    Reading the log is not itself logged (it would fill the log with its own reads).
    """
    entries = await asyncio.to_thread(services.audit.entries, user.id, limit=limit, offset=offset)
    return [AuditEntryOut.model_validate(entry) for entry in entries]


@router.delete("", status_code=status.HTTP_204_NO_CONTENT)
async def delete_me(user: CurrentUser, services: ServicesDep) -> Response:
    """Right to erasure: delete your account and everything held about you, in every store.

    The audit log goes with it: nothing of the account is kept, not even a record of the erasure.
    """
    await asyncio.to_thread(services.privacy.erase, user.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
