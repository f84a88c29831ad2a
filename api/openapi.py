"""Extra component schemas in the OpenAPI document, for shapes no route returns as JSON.

The chat stream's events travel as `text/event-stream`, so FastAPI never sees their models; typed
clients (the web app generates its types from `/openapi.json`) still need them.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel


def publish_schemas(app: FastAPI, models: list[type[BaseModel]]) -> None:
    """Add `models` to `components.schemas` of the app's OpenAPI document."""
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
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
