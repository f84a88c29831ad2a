"""Which browser origins may call the API, and with which credentials.

Credentials (cookies, `Authorization`) are only ever allowed for origins that are listed by name:
with `*` Starlette would echo any origin back together with `Allow-Credentials`, which lets every
site on the web call the API as the visitor. Settings refuse `*` outside development.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

ALLOWED_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
ALLOWED_HEADERS = ["Authorization", "Content-Type", "Accept", "Last-Event-ID"]


def add_cors(app: FastAPI, origins: list[str]) -> None:
    """Allow the listed origins (with credentials), or any origin without credentials for `*`."""
    any_origin = "*" in origins
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"] if any_origin else origins,
        allow_credentials=not any_origin,
        allow_methods=ALLOWED_METHODS,
        allow_headers=ALLOWED_HEADERS,
        max_age=600,
    )
