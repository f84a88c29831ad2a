"""Limits on a request body: 413 before reading one too large, 408 for one too slow.

A body announced as too large (`Content-Length`) is refused before one byte of it is read; a
chunked one is counted as it arrives and refused at the first chunk past the limit, so nothing
is parsed or held in memory beyond the limit. The import upload has a larger limit of its own.

A body must also keep arriving: the time spent waiting for it may not exceed `timeout_seconds`
plus one second per `min_bytes_per_second` bytes received (the rule of Apache's mod_reqtimeout),
so a stalled or trickling client gets 408 while any upload at least that fast is never cut. Only
the waits count, not the time the app takes between reads. A response that starts before the
body has been read to its end (a 408, a 413, an answer that ignores the body) closes the
connection, so the server does not go on reading what the client still sends.
"""

from __future__ import annotations

import asyncio
import json

from fastapi import HTTPException, status
from starlette.types import ASGIApp, Message, Receive, Scope, Send

IMPORT_PATH = "/api/user-data/import"


class BodyTooLargeError(HTTPException):
    """Raised from `receive` when the body grows past the limit; FastAPI's handlers answer 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            status.HTTP_413_CONTENT_TOO_LARGE,
            detail=f"The request body is larger than the {_size(limit)} this endpoint accepts.",
        )


class BodyTooSlowError(HTTPException):
    """Raised from `receive` when the body stops arriving in time; answered 408."""

    def __init__(self) -> None:
        super().__init__(
            status.HTTP_408_REQUEST_TIMEOUT,
            detail="The request body did not arrive in time; please send it again.",
        )


def _size(limit: int) -> str:
    return f"{limit / 1_048_576:g} MB" if limit >= 1_048_576 else f"{limit / 1024:g} KB"


def _has_body(scope: Scope) -> bool:
    headers = dict(scope["headers"])
    length = headers.get(b"content-length", b"0")
    return b"transfer-encoding" in headers or not length.isdigit() or int(length) > 0


class BodyLimitMiddleware:
    """Pure ASGI middleware (it must see the body stream, which `BaseHTTPMiddleware` buffers)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        max_import_bytes: int,
        timeout_seconds: float | None = None,
        min_bytes_per_second: int = 1024,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_import_bytes = max_import_bytes
        self.timeout_seconds = timeout_seconds
        self.min_bytes_per_second = min_bytes_per_second

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse an announced oversize body at once; count and time the rest as it arrives."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_import_bytes if scope["path"].startswith(IMPORT_PATH) else self.max_bytes
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _answer(send, BodyTooLargeError(limit))
            return

        received, waited, complete = 0, 0.0, not _has_body(scope)
        loop = asyncio.get_running_loop()

        async def limited() -> Message:
            nonlocal received, waited, complete
            if complete or self.timeout_seconds is None:
                message = await receive()  # after the body: the wait for a disconnect
            else:
                allowed = self.timeout_seconds + received / self.min_bytes_per_second - waited
                start = loop.time()
                try:
                    async with asyncio.timeout(max(allowed, 0.0)):
                        message = await receive()
                except TimeoutError:
                    raise BodyTooSlowError from None
                finally:
                    waited += loop.time() - start
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                complete = not message.get("more_body", False)
                if received > limit:
                    raise BodyTooLargeError(limit)
            else:  # http.disconnect
                complete = True
            return message

        started = False

        async def watching(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                if not complete and _CLOSE[0] not in headers:  # the rest is not wanted: close
                    message = {**message, "headers": [*headers, *_CLOSE]}
            await send(message)

        try:
            await self.app(scope, limited, watching)
        except (BodyTooLargeError, BodyTooSlowError) as exc:
            # Normally answered inside the app; this catches bodies read outside a route.
            if started:
                raise
            await _answer(send, exc)


_CLOSE = [(b"connection", b"close")]


async def _answer(send: Send, exc: HTTPException) -> None:
    body = json.dumps({"detail": exc.detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": exc.status_code,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *_CLOSE,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
