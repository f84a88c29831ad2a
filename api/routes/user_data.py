"""Structured data about the current user (health, finance, education, behavior)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, UploadFile, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, SecretStr, ValidationError
from sse_starlette import EventSourceResponse

from agent.analysis.charts import user_charts
from agent.analysis.guidelines import pick_guidelines
from agent.remembering import add_records, after_new_data
from agent.services import Services
from api.audit import audited
from api.deps import CurrentUser, ServicesDep
from api.import_job import ImportFailedError, ImportJob, ImportOptions
from api.language import response_language
from api.openapi import sse_content
from api.schemas import (
    ChartsOut,
    ClientTime,
    CsvPreviewOut,
    ErrorOut,
    ImportFailure,
    ImportProgress,
    ImportReport,
    Offset,
    RowId,
    UserDataIn,
    UserDataOut,
    new_record,
)
from memory.records.datatypes import DATA_TYPES, SCHEMAS, UNITS, DataType, error_messages
from memory.records.importers import (
    ColumnMapping,
    ImportFormat,
    ImportFormatError,
    preview_csv,
)
from memory.records.userdata import ConsentRequiredError
from memory.storage.models import UserData, utcnow
from prompts.language import Language

router = APIRouter(prefix="/user-data", tags=["user-data"])

STREAM_EVENTS: list[type[BaseModel]] = [ImportProgress, ImportFailure]
"""Shapes of the import's event stream, published in the OpenAPI components for typed clients."""


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
    try:
        [row] = await asyncio.to_thread(add_records, services, user.id, [new_record(body)])
    except ConsentRequiredError as exc:
        raise _forbidden(exc) from exc
    return UserDataOut.model_validate(row)


@router.get("", dependencies=[audited("read", "user_data")])
async def list_records(
    user: CurrentUser,
    services: ServicesDep,
    type: Annotated[DataType | None, Query(description="Only this type.")] = None,
    since: Annotated[
        ClientTime | None, Query(description="Only records from this time on (naive: UTC).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> list[UserDataOut]:
    """Your records, newest first."""
    rows = await asyncio.to_thread(
        services.user_data.list, user.id, data_type=type, since=since, limit=limit, offset=offset
    )
    return [UserDataOut.model_validate(row) for row in rows]


@router.get("/charts", dependencies=[audited("read", "user_data")])
async def charts(
    user: CurrentUser,
    services: ServicesDep,
    language: Annotated[Language, Depends(response_language)],
    days: Annotated[
        int,
        Query(ge=1, le=366, description="The period in days (the client offers 7, 30, 90, 365)."),
    ] = 30,
) -> ChartsOut:
    """A trend chart per metric you record, with guideline bands and insights as markers."""
    return await asyncio.to_thread(_charts, services, user.id, days, language)


def _charts(services: Services, user_id: int, days: int, language: Language) -> ChartsOut:
    now = utcnow()
    start = now - timedelta(days=days)
    guidelines = pick_guidelines(
        services.settings.health_guidelines, services.analyst.language(user_id)
    )
    records: dict[str, Sequence[UserData]] = {
        data_type: services.user_data.window(
            user_id,
            data_type,
            min(start, now - timedelta(days=366)) if data_type == "education" else start,
        )
        for data_type in DATA_TYPES
    }
    allowed = services.user_data.consents.granted(user_id)
    built = user_charts(
        records,
        services.insights.list(user_id, set(allowed)),
        start=start,
        guidelines=guidelines,
        height_cm=services.accounts.profile(user_id).height_cm,
        language=language,
    )
    return ChartsOut(
        days=days,
        guidelines=guidelines,
        charts=built,
    )


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


_IMPORT_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": (
            "The `ImportReport` as JSON; or, when the request accepts `text/event-stream`, "
            "`progress` events (`ImportProgress`) then one `report` (`ImportReport`) or `error` "
            "(`ImportFailure`)."
        ),
        "content": {"application/json": {}, **sse_content(["progress", "report", "error"])},
    },
    400: {"model": ImportFailure},
    403: {"model": ImportFailure},
    413: {"model": ErrorOut},
}


@router.post(
    "/import",
    response_model=ImportReport,
    responses=_IMPORT_DOC,
    dependencies=[audited("write", "user_data")],
)
async def import_records(
    request: Request,
    file: UploadFile,
    user: CurrentUser,
    services: ServicesDep,
    language: Annotated[Language, Depends(response_language)],
    strict: Annotated[bool, Query(description="Write nothing if any row is rejected.")] = False,
    dry_run: Annotated[
        bool,
        Query(
            description="Read and check the file and answer what it would bring (`summary`, "
            "notes, rejected rows), writing nothing: the import's preview."
        ),
    ] = False,
    format: Annotated[
        ImportFormat,
        Query(
            description="`records` (our CSV/JSON layout), `apple_health` (export.xml or its "
            "ZIP), `alipay`, `wechat_pay` (bills as CSV, `.xlsx` or their ZIP), `csv` (any CSV, "
            "with `mapping`); `auto` finds it from the file's content."
        ),
    ] = "auto",
    mapping: Annotated[
        str | None,
        Form(
            max_length=20_000,
            description='For `csv`: JSON `{"data_type": ..., "columns": {column: field}}`.',
        ),
    ] = None,
    password: Annotated[
        SecretStr | None,
        Form(
            max_length=200,
            description="The password of a locked ZIP (WeChat Pay and Alipay send one with a "
            "bill). Used to open the file for this request only: never stored nor logged.",
        ),
    ] = None,
) -> ImportReport | EventSourceResponse | JSONResponse:
    """Import a file of records, or preview it (`dry_run`); see the docs' "Data and advice" page.

    Valid rows are written together (all or none); each rejected row is reported with its reasons.
    Rows whose type lacks your consent are not written. A newer export of the same app replaces
    the days, months and readings a former one brought. Ask for `text/event-stream` to follow the
    progress of a large file. Errors and notes are in the language asked for (`lang`, or the
    browser's).
    """
    # The whole request was already held to this limit as it arrived (api/body_limit.py).
    limit = services.settings.max_import_bytes
    if file.size is not None and file.size > limit:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            detail=f"The file is larger than {limit / 1_048_576:g} MB; split it.",
        )
    column_mapping = _mapping(mapping) if mapping is not None or format == "csv" else None
    options = ImportOptions(format, column_mapping, strict, dry_run, password, language)
    job = ImportJob(services, user.id, file, options, lambda: after_new_data(services, user.id))
    if "text/event-stream" not in request.headers.get("accept", ""):
        try:
            return await job.run()
        except ImportFailedError as exc:
            return JSONResponse(exc.failure.model_dump(), status_code=exc.failure.status)
    return EventSourceResponse(job.events(), ping=15)


@router.post(
    "/import/preview",
    responses={400: {"model": ErrorOut}, 413: {"model": ErrorOut}},
    dependencies=[audited("read", "user_data")],
)
async def preview_import(
    file: UploadFile,
    user: CurrentUser,
    language: Annotated[Language, Depends(response_language)],
    type: Annotated[DataType, Query(description="The data type to guess a mapping for.")] = (
        "health"
    ),
) -> CsvPreviewOut:
    """The columns and first rows of a CSV, with a guessed mapping onto a data type's fields."""
    try:
        preview = await asyncio.to_thread(preview_csv, file.file, type)
    except ImportFormatError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail=exc.in_(language)) from exc
    return CsvPreviewOut(
        columns=preview.columns,
        rows=preview.rows,
        guess=preview.guess,
        fields=["recorded_at", *SCHEMAS[type].model_fields],
        units=UNITS,
    )


def _mapping(raw: str | None) -> ColumnMapping:
    if raw is None:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            detail="A CSV import needs a mapping of its columns "
            "(see /api/user-data/import/preview).",
        )
    try:
        return ColumnMapping.model_validate_json(raw)
    except ValidationError as exc:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            detail="The column mapping is invalid: " + "; ".join(error_messages(exc)),
        ) from exc
