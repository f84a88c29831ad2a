"""Error answers a person can read: every 4xx/5xx carries a sentence in `detail` or `message`."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from agent.model.errors import LLMUnavailableError
from agent.model.queue import ModelBusyError
from memory.records.datatypes import explain
from memory.retrieval.vectors import VectorStoreUnavailableError
from memory.storage.owners import UserGoneError

logger = logging.getLogger(__name__)


def _sentence(error: dict[str, Any]) -> str:
    if error.get("type") == "json_invalid":
        return "the request body is not valid JSON"
    loc = error.get("loc", ())
    where = ".".join(str(part) for part in loc if part != "body")
    return f"{where or 'request'}: {explain(loc, error.get('msg', 'is invalid'))}"


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # Never echo the input back: it may be a password or a 100 KB message.
    errors = [
        {k: v for k, v in e.items() if k not in ("input", "ctx", "url")} for e in exc.errors()
    ]
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        content=jsonable_encoder(
            {"detail": errors, "message": "; ".join(_sentence(e) for e in errors)}
        ),
    )


async def _llm_unavailable(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE, content={"detail": str(exc)}
    )


async def _model_busy(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ModelBusyError)
    return JSONResponse(
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        content={"detail": str(exc)},
        headers={"Retry-After": str(exc.retry_after)},
    )


async def _vectors_unavailable(request: Request, exc: Exception) -> JSONResponse:
    logger.warning("%s %s: %s", request.method, request.url.path, exc)
    return JSONResponse(
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        content={"detail": "Memory search is unavailable for a moment; please try again."},
    )


async def _user_gone(request: Request, exc: Exception) -> JSONResponse:
    # The account was erased while this request of its was running: it is signed out now.
    logger.info("%s %s: the account was erased meanwhile", request.method, request.url.path)
    return JSONResponse(
        status_code=status.HTTP_401_UNAUTHORIZED,
        content={"detail": "This account no longer exists."},
        headers={"WWW-Authenticate": "Bearer"},
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on `app`."""
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(LLMUnavailableError, _llm_unavailable)
    app.add_exception_handler(ModelBusyError, _model_busy)
    app.add_exception_handler(VectorStoreUnavailableError, _vectors_unavailable)
    app.add_exception_handler(UserGoneError, _user_gone)
