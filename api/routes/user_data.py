"""Structured data about the current user (health, finance, education, behavior)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, UploadFile, status

from agent.services import Services
from api.audit import audited
from api.deps import CurrentUser, ServicesDep
from api.schemas import ErrorOut, ImportReport, Offset, RejectedRow, RowId, UserDataIn, UserDataOut
from memory.datatypes import DataType
from memory.importing import ImportFormatError, parse_import
from memory.userdata import ConsentRequiredError, NewRecord

router = APIRouter(prefix="/user-data", tags=["user-data"])


def _after_new_data(services: Services, user_id: int) -> None:
    """Index the new records' memories and rerun the analysis, off the request's path."""
    services.jobs.enqueue("index_memories")
    services.jobs.enqueue("analyse_user", user_id=user_id)


def _forbidden(exc: ConsentRequiredError) -> HTTPException:
    return HTTPException(status.HTTP_403_FORBIDDEN, detail=str(exc))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={403: {"model": ErrorOut}},
    dependencies=[audited("write", "user_data")],
)
async def add_record(body: UserDataIn, user: CurrentUser, services: ServicesDep) -> UserDataOut:
    """Store one record (its type must have your consent); it becomes searchable in chat."""
    record = NewRecord(
        body.data_type, body.data.model_dump(mode="json", exclude_none=True), body.recorded_at
    )
    try:
        [row] = await asyncio.to_thread(services.user_data.add_many, user.id, [record])
    except ConsentRequiredError as exc:
        raise _forbidden(exc) from exc
    _after_new_data(services, user.id)
    return UserDataOut.model_validate(row)


@router.get("", dependencies=[audited("read", "user_data")])
async def list_records(
    user: CurrentUser,
    services: ServicesDep,
    type: Annotated[DataType | None, Query(description="Only this type.")] = None,
    since: Annotated[datetime | None, Query(description="Only records from this time on.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> list[UserDataOut]:
    """Your records, newest first."""
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    rows = await asyncio.to_thread(
        services.user_data.list, user.id, data_type=type, since=since, limit=limit, offset=offset
    )
    return [UserDataOut.model_validate(row) for row in rows]


@router.delete(
    "/{record_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={404: {"model": ErrorOut}},
    dependencies=[audited("delete", "user_data", id_param="record_id")],
)
async def delete_record(record_id: RowId, user: CurrentUser, services: ServicesDep) -> None:
    """Delete one record and the memory made from it."""
    if not await asyncio.to_thread(services.user_data.delete_ids, user.id, [record_id]):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="No such record.")
    services.jobs.enqueue("analyse_user", user_id=user.id)


@router.delete("", dependencies=[audited("delete", "user_data")])
async def delete_type(
    user: CurrentUser,
    services: ServicesDep,
    type: Annotated[DataType, Query(description="Delete every record of this type.")],
) -> dict[str, int]:
    """Delete all your records of one type (e.g. after withdrawing consent)."""
    deleted = await asyncio.to_thread(services.user_data.delete_type, user.id, type)
    services.jobs.enqueue("analyse_user", user_id=user.id)
    return {"deleted": deleted}


@router.post(
    "/import",
    responses={400: {"model": ErrorOut}, 413: {"model": ErrorOut}},
    dependencies=[audited("write", "user_data")],
)
async def import_records(
    file: UploadFile,
    user: CurrentUser,
    services: ServicesDep,
    strict: Annotated[bool, Query(description="Write nothing if any row is rejected.")] = False,
) -> ImportReport:
    """Import a CSV or JSON file of records; see the README for the columns.

    Valid rows are written together (all or none); each rejected row is reported with its reasons.
    Rows whose type lacks your consent are rejected.
    """
    # The whole request was already held to this limit as it arrived (api/body_limit.py).
    limit = services.settings.max_import_bytes
    content = await file.read(limit + 1)
    if len(content) > limit:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            detail=f"The file is larger than {limit / 1_048_576:g} MB; split it.",
        )
    try:
        parsed = await asyncio.to_thread(parse_import, content, file.filename or "")
    except ImportFormatError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail=f"Cannot import: {exc}.") from exc
    allowed = await asyncio.to_thread(services.user_data.consents.granted, user.id)
    rejected = [RejectedRow(row=n, errors=errors) for n, errors in parsed.rejected]
    accepted = []
    for number, record in parsed.records:
        if record.data_type in allowed:
            accepted.append(record)
        else:
            rejected.append(
                RejectedRow(row=number, errors=[f"data_type: no consent for {record.data_type}"])
            )
    rejected.sort(key=lambda r: r.row)
    if not accepted or (strict and rejected):
        return ImportReport(accepted=len(accepted), rejected=rejected, written=False, ids=[])
    rows = await asyncio.to_thread(services.user_data.add_many, user.id, accepted)
    _after_new_data(services, user.id)
    return ImportReport(
        accepted=len(rows), rejected=rejected, written=True, ids=[row.id for row in rows]
    )
