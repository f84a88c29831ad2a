"""Extra component schemas in the OpenAPI document, for shapes no route returns as JSON.

The chat stream's events travel as `text/event-stream`, so FastAPI never sees their models; typed
clients (the web app generates its types from `/openapi.json`) still need them.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel


def sse_content(events: list[str]) -> dict[str, Any]:
    """The OpenAPI `content` of a Server-Sent Events answer.

    The schema describes one event, which is how schemathesis and other tools read it.
    """
    return {
        "text/event-stream": {
            "schema": {
                "type": "object",
                "properties": {
                    "event": {"enum": events},
                    "data": {"type": "string", "description": "JSON of the event's payload"},
                },
                "required": ["data"],
            }
        }
    }


LANGSERVE_STREAMS = {
    "/advisor/stream": ["metadata", "data", "error", "end"],
    "/advisor/stream_events": ["metadata", "data", "error", "end"],
}
"""LangServe's streaming routes, which its own schema documents as JSON."""


def publish_schemas(app: FastAPI, models: list[type[BaseModel]]) -> None:
    """Add `models` to the OpenAPI components; document LangServe's streams as event streams."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = build()
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        for model in models:
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, definition in schema.pop("$defs", {}).items():
                schemas.setdefault(name, definition)
            schemas.setdefault(model.__name__, schema)
        for path, events in LANGSERVE_STREAMS.items():
            if ok := document.get("paths", {}).get(path, {}).get("post", {}).get("responses", {}):
                ok["200"]["content"] = sse_content(events)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
