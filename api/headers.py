"""Security headers on every answer, and the content security policy of the web client.

Every answer: no MIME sniffing, no referrer sent on, and no framing by another site
(clickjacking). The web client's pages also get `WEB_CSP`: scripts, styles, images and API calls
from this origin only, so injected markup can neither run script nor send data elsewhere. The
API's own docs pages (Swagger UI, ReDoc, the LangServe playground) keep their defaults: they load
inline scripts, and production closes them (`MEMADVISOR_API_DOCS`).
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

WEB_CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
"""Served with the web client (`api/web.py`); the end-to-end run fails on any violation."""

EVERY_ANSWER = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
}


class SecurityHeadersMiddleware:
    """Adds `EVERY_ANSWER` to each response that does not set the header itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add the headers as the response starts."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in EVERY_ANSWER.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)


def add_security_headers(app: FastAPI) -> None:
    """Install the middleware on `app`."""
    app.add_middleware(SecurityHeadersMiddleware)
