"""A request body limit that answers 413 before reading a body that is too large.

A body announced as too large (`Content-Length`) is refused before one byte of it is read; a
chunked one is counted as it arrives and refused at the first chunk past the limit, so nothing
is parsed or held in memory beyond the limit. The import upload has a larger limit of its own.
"""

from __future__ import annotations

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


def _size(limit: int) -> str:
    return f"{limit / 1_048_576:g} MB" if limit >= 1_048_576 else f"{limit / 1024:g} KB"


class BodyLimitMiddleware:
    """Pure ASGI middleware (it must see the body stream, which `BaseHTTPMiddleware` buffers)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, max_import_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_import_bytes = max_import_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse an announced oversize body at once; count the rest as it is received."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_import_bytes if scope["path"].startswith(IMPORT_PATH) else self.max_bytes
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _answer(send, BodyTooLargeError(limit))
            return

        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLargeError(limit)
            return message

        started = False

        async def watching(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited, watching)
        except BodyTooLargeError as exc:
            # Normally answered inside the app; this catches bodies read outside a route.
            if started:
                raise
            await _answer(send, exc)


async def _answer(send: Send, exc: BodyTooLargeError) -> None:
    body = json.dumps({"detail": exc.detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": exc.status_code,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
