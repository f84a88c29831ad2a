"""One import over HTTP: read, check consent, write (a preview stops before writing).

The file is read in a worker thread (off the event loop), progress reported as Server-Sent Events.

A preview (`dry_run`) and an import are the same code path up to the write, so what the preview
shows is what the import brings. The password of a locked ZIP lives in this object for the one
request and is handed to the reader; it is never stored, logged or echoed. The event stream
always ends with one `report` or `error` event, whatever went wrong.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from fastapi import UploadFile, status
from pydantic import SecretStr
from sse_starlette import ServerSentEvent

from agent.services import Services
from api.schemas import ImportFailure, ImportProgress, ImportReport, ImportSummaryOut, RejectedRow
from memory.records.datatypes import NewRecord
from memory.records.importers import (
    MAX_REPORTED_ROWS,
    ColumnMapping,
    ImportFormat,
    ImportFormatError,
    ImportLimits,
    PasswordRequiredError,
    Progress,
    parse_import,
    split_by_consent,
    summarize,
)
from memory.records.userdata import ConsentRequiredError
from memory.storage.models import UserData
from prompts.language import Language

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportOptions:
    """How to read the file and whether to write what it holds."""

    format: ImportFormat
    mapping: ColumnMapping | None
    strict: bool
    dry_run: bool
    password: SecretStr | None
    language: Language


class ImportFailedError(Exception):
    """The file cannot be imported: the status and sentence of the answer."""

    def __init__(self, failure: ImportFailure) -> None:
        super().__init__(failure.detail)
        self.failure = failure


def _failure(exc: ImportFormatError, language: Language) -> ImportFailure:
    code = None
    if isinstance(exc, PasswordRequiredError):
        code = "password_wrong" if exc.wrong else "password_required"
    return ImportFailure(
        status=status.HTTP_400_BAD_REQUEST, detail=exc.in_(language), app=exc.app, code=code
    )


class ImportJob:
    """One import of one user's file; `run` for a JSON answer, `events` for a stream."""

    def __init__(
        self,
        services: Services,
        user_id: int,
        file: UploadFile,
        options: ImportOptions,
        written: Callable[[], None],
    ) -> None:
        self._services = services
        self._user_id = user_id
        self._file = file
        self._options = options
        self._written = written

    async def run(
        self, reading: Progress | None = None, writing: Callable[[int], None] | None = None
    ) -> ImportReport:
        """Read, check consent, write; ImportFailedError for a file that cannot be imported."""
        options = self._options
        password = options.password.get_secret_value() if options.password else None
        try:
            parsed = await asyncio.to_thread(
                parse_import,
                self._file.file,
                self._file.filename or "",
                format=options.format,
                mapping=options.mapping,
                progress=reading,
                password=password,
                limits=ImportLimits.from_settings(self._services.settings),
            )
        except ImportFormatError as exc:
            raise ImportFailedError(_failure(exc, options.language)) from exc
        allowed = await asyncio.to_thread(self._services.user_data.consents.granted, self._user_id)
        accepted, rejected = split_by_consent(parsed, allowed)
        summary = summarize(accepted)
        report = ImportReport(
            accepted=len(accepted),
            rejected=[RejectedRow(row=n, errors=e) for n, e in rejected[:MAX_REPORTED_ROWS]],
            rejected_total=len(rejected) - len(parsed.rejected) + parsed.rejected_total,
            written=False,
            ids=[],
            format=parsed.format,
            notes=[note.in_(options.language) for note in parsed.notes],
            dry_run=options.dry_run,
            summary=ImportSummaryOut(
                first=summary.first,
                last=summary.last,
                records=summary.records,
                kinds=summary.kinds,
                money=summary.money,
            ),
        )
        if options.dry_run or not accepted or (options.strict and rejected):
            return report
        if writing is not None:
            writing(len(accepted))
        try:
            rows, replaced = await asyncio.to_thread(self._write, accepted)
        except ConsentRequiredError as exc:  # consent withdrawn while the file was read
            raise ImportFailedError(
                ImportFailure(status=status.HTTP_403_FORBIDDEN, detail=str(exc))
            ) from exc
        report.written, report.ids, report.replaced = True, [row.id for row in rows], replaced
        report.accepted = len(rows)
        return report

    def _write(self, records: list[NewRecord]) -> tuple[list[UserData], int]:
        """Write the records and start the jobs they need.

        One thread does both, so a write that has begun completes even if the request is
        cancelled (its client left).
        """
        rows, replaced = self._services.user_data.import_many(self._user_id, records)
        self._written()
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

        task = asyncio.ensure_future(self.run(reading, writing))
        try:
            while not task.done() or not queue.empty():
                getter = asyncio.ensure_future(queue.get())
                await asyncio.wait({task, getter}, return_when=asyncio.FIRST_COMPLETED)
                if getter.done():
                    yield ServerSentEvent(data=getter.result().model_dump_json(), event="progress")
                else:
                    getter.cancel()
        finally:
            if not task.done():  # the client left: let the reading finish on its own
                task.add_done_callback(lambda done: done.exception())
        try:
            report = task.result()
        except ImportFailedError as exc:
            yield ServerSentEvent(data=exc.failure.model_dump_json(), event="error")
            return
        except Exception:  # a bug must still end the stream with an answer the client reads
            logger.exception("an import failed unexpectedly")
            failure = ImportFailure(
                status=status.HTTP_500_INTERNAL_SERVER_ERROR,
                detail="The import failed on the server; nothing was written.",
            )
            yield ServerSentEvent(data=failure.model_dump_json(), event="error")
            return
        yield ServerSentEvent(data=report.model_dump_json(), event="report")
