"""Read a `text/event-stream` response into (event, data) pairs, with httpx-sse."""

from __future__ import annotations

import json
from typing import Any

import httpx
from httpx_sse import EventSource


def parse_sse(response: httpx.Response) -> list[tuple[str, Any]]:
    """Events in order; `data` is decoded JSON (the response must be an event stream)."""
    return [
        (sse.event, json.loads(sse.data)) for sse in EventSource(response).iter_sse() if sse.data
    ]
