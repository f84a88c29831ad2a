"""Structured data about the current user (health, finance, education, behavior)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, UploadFile, status
from pydantic import BaseModel, ValidationError
from sse_starlette import EventSourceResponse, ServerSentEvent

from agent.analysis.guidelines import pick_guidelines
from agent.charts import user_charts
from agent.services import Services
from api.audit import audited
from api.deps import CurrentUser, ServicesDep
from api.language import response_language
from api.openapi import sse_content
from api.schemas import (
    ChartOut,
    ChartsOut,
    ClientTime,
    CsvPreviewOut,
    ErrorOut,
    ImportFailure,
    ImportProgress,
    ImportReport,
    Offset,
    RejectedRow,
    RowId,
    UserDataIn,
    UserDataOut,
)
from memory.datatypes import DATA_TYPES, SCHEMAS, UNITS, DataType, error_messages
from memory.importers import (
    MAX_REPORTED_ROWS,
    ColumnMapping,
    ImportFormat,
    ImportFormatError,
    Progress,
    parse_import,
    preview_csv,
    split_by_consent,
)
from memory.models import UserData, utcnow
from memory.userdata import ConsentRequiredError, NewRecord
from prompts.language import Language

router = APIRouter(prefix="/user-data", tags=["user-data"])

STREAM_EVENTS: list[type[BaseModel]] = [ImportProgress, ImportFailure]
"""Shapes of the import's event stream, published in the OpenAPI components for typed clients."""


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
        charts=[ChartOut.model_validate(chart) for chart in built],
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
    400: {"model": ErrorOut},
    403: {"model": ErrorOut},
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
    strict: Annotated[bool, Query(description="Write nothing if any row is rejected.")] = False,
    format: Annotated[
        ImportFormat,
        Query(
            description="`records` (our CSV/JSON layout), `apple_health` (export.xml or .zip), "
            "`alipay`, `wechat_pay` (bill CSVs), `csv` (any CSV, with `mapping`); `auto` "
            "detects it from the file."
        ),
    ] = "auto",
    mapping: Annotated[
        str | None,
        Form(
            max_length=20_000,
            description='For `csv`: JSON `{"data_type": ..., "columns": {column: field}}`.',
        ),
    ] = None,
) -> ImportReport | EventSourceResponse:
    """Import a file of records; see the README for the formats and columns.

    Valid rows are written together (all or none); each rejected row is reported with its reasons.
    Rows whose type lacks your consent are rejected. A newer export of the same app replaces the
    days, months and readings a former one brought. Ask for `text/event-stream` to follow the
    progress of a large file.
    """
    # The whole request was already held to this limit as it arrived (api/body_limit.py).
    limit = services.settings.max_import_bytes
    if file.size is not None and file.size > limit:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            detail=f"The file is larger than {limit / 1_048_576:g} MB; split it.",
        )
    column_mapping = _mapping(mapping) if mapping is not None or format == "csv" else None
    job = _Import(services, user.id, file, format, column_mapping, strict)
    if "text/event-stream" not in request.headers.get("accept", ""):
        try:
            return await job.run()
        except _ImportFailedError as exc:
            raise HTTPException(exc.status, detail=exc.detail) from exc
    return EventSourceResponse(job.events(), ping=15)


@router.post(
    "/import/preview",
    responses={400: {"model": ErrorOut}, 413: {"model": ErrorOut}},
    dependencies=[audited("read", "user_data")],
)
async def preview_import(
    file: UploadFile,
    user: CurrentUser,
    type: Annotated[DataType, Query(description="The data type to guess a mapping for.")] = (
        "health"
    ),
) -> CsvPreviewOut:
    """The columns and first rows of a CSV, with a guessed mapping onto a data type's fields."""
    try:
        preview = await asyncio.to_thread(preview_csv, file.file, type)
    except ImportFormatError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail=f"Cannot read: {exc}.") from exc
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


class _ImportFailedError(Exception):
    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status_code
        self.detail = detail


class _Import:
    """One import: read in a worker thread (off the event loop), then write, reporting progress."""

    def __init__(
        self,
        services: Services,
        user_id: int,
        file: UploadFile,
        format: ImportFormat,
        mapping: ColumnMapping | None,
        strict: bool,
    ) -> None:
        self._services = services
        self._user_id = user_id
        self._file = file
        self._format = format
        self._mapping = mapping
        self._strict = strict

    async def run(
        self, reading: Progress | None = None, writing: Callable[[int], None] | None = None
    ) -> ImportReport:
        """Read, check consent, write; _ImportFailedError for a file that cannot be imported."""
        try:
            parsed = await asyncio.to_thread(
                parse_import,
                self._file.file,
                self._file.filename or "",
                format=self._format,
                mapping=self._mapping,
                progress=reading,
            )
        except ImportFormatError as exc:
            raise _ImportFailedError(status.HTTP_400_BAD_REQUEST, f"Cannot import: {exc}.") from exc
        allowed = await asyncio.to_thread(self._services.user_data.consents.granted, self._user_id)
        accepted, rejected = split_by_consent(parsed, allowed)
        report = ImportReport(
            accepted=len(accepted),
            rejected=[RejectedRow(row=n, errors=e) for n, e in rejected[:MAX_REPORTED_ROWS]],
            rejected_total=len(rejected) - len(parsed.rejected) + parsed.rejected_total,
            written=False,
            ids=[],
            format=parsed.format,
            notes=parsed.notes,
        )
        if not accepted or (self._strict and rejected):
            return report
        if writing is not None:
            writing(len(accepted))
        try:
            rows, replaced = await asyncio.to_thread(self._write, accepted)
        except ConsentRequiredError as exc:  # consent withdrawn while the file was read
            raise _ImportFailedError(status.HTTP_403_FORBIDDEN, str(exc)) from exc
        report.written, report.ids, report.replaced = True, [row.id for row in rows], replaced
        report.accepted = len(rows)
        return report

    def _write(self, records: list[NewRecord]) -> tuple[list[UserData], int]:
        """Write the records and start the jobs they need.

        One thread does both, so a write that has begun completes even if the request is
        cancelled (its client left).
        """
        rows, replaced = self._services.user_data.import_many(self._user_id, records)
        _after_new_data(self._services, self._user_id)
        return rows, replaced

    async def events(self) -> AsyncIterator[ServerSentEvent]:
        """`progress` events while the file is read and written, then `report` or `error`."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[ImportProgress] = asyncio.Queue()

        def reading(done: int, total: int | None) -> None:
            event = ImportProgress(phase="reading", done=done, total=total)
            loop.call_soon_threadsafe(queue.put_nowait, event)

        def writing(records: int) -> None:
            queue.put_nowait(ImportProgress(phase="writing", done=0, total=records))

        task = asyncio.create_task(self.run(reading, writing))
        getter: asyncio.Task[ImportProgress] | None = None
        try:
            while not task.done() or not queue.empty():
                getter = asyncio.create_task(queue.get())
                await asyncio.wait({task, getter}, return_when=asyncio.FIRST_COMPLETED)
                if getter.done():
                    yield ServerSentEvent(data=getter.result().model_dump_json(), event="progress")
                else:
                    getter.cancel()
        finally:
            # End every task: one left pending is logged as an ERROR when it is collected.
            if getter is not None:
                getter.cancel()
            if not task.done():  # the client left; a write already begun still completes
                task.cancel()
        try:
            report = task.result()
        except _ImportFailedError as exc:
            failure = ImportFailure(status=exc.status, detail=exc.detail)
            yield ServerSentEvent(data=failure.model_dump_json(), event="error")
            return
        yield ServerSentEvent(data=report.model_dump_json(), event="report")
