"""The signed-in account: who am I, everything held about me, who touched it, and deleting it."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, cast

from fastapi import APIRouter, Query, Response, status

from api.audit import audited
from api.deps import CurrentUser, ServicesDep
from api.schemas import AuditEntryOut, ConsentChange, ConsentOut, ConsentUpdate, Offset, UserOut
from memory.records.userdata import ConsentKind

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
    offset: Offset = 0,
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
    # Behind the work queued before it: any vector that work wrote after the erasure goes too.
    services.jobs.enqueue("sweep_erased", user_id=user.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/consent", dependencies=[audited("read", "consent")])
async def get_consent(user: CurrentUser, services: ServicesDep) -> ConsentOut:
    """Which types of data you allow to be collected and used (all off until you turn them on)."""
    return ConsentOut(**await asyncio.to_thread(services.user_data.consents.get, user.id))


@router.put("/consent", dependencies=[audited("write", "consent")])
async def set_consent(
    body: ConsentUpdate, user: CurrentUser, services: ServicesDep
) -> ConsentChange:
    """Turn types on or off; omitted types stay as they are.

    Off stops collection and use at once (and drops the insights drawn from that type); the
    records stay until you delete them: `records_kept` says how many. `model_training` off deletes
    the examples kept for fine-tuning and marks models trained on them for retraining.
    """
    changes = cast(dict[ConsentKind, bool], body.model_dump(exclude_none=True))
    consents = await asyncio.to_thread(services.user_data.consents.set, user.id, changes)
    counts = await asyncio.to_thread(services.user_data.counts, user.id)
    kept = {t: counts[t] for t, on in changes.items() if not on and counts.get(t)}
    if any(not on for on in changes.values()):
        services.jobs.enqueue("analyse_user", user_id=user.id)
    return ConsentChange(**consents, records_kept=kept)
