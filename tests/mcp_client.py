"""The app on a real uvicorn server, and the MCP SDK's own client against it, for the MCP tests."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx2
import uvicorn
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult

from tests.ports import free_port

MODES = ["legacy", "auto"]
"""The initialize handshake (2025-11-25, what most clients speak), and the SDK's default: probe for
the per-request protocol (2026-07-28), falling back to the handshake."""


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve `app` with uvicorn on a free loopback port (its lifespan included); yields the URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@asynccontextmanager
async def connect(base_url: str, token: str, mode: str = "legacy") -> AsyncIterator[Client]:
    """The SDK's client on `/mcp`, presenting `token` as a bearer token."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx2.AsyncClient(headers=headers, timeout=60) as http:
        transport = streamable_http_client(f"{base_url}/mcp", http_client=http)
        async with Client(transport, mode=mode) as client:
            yield client


def structured(result: CallToolResult) -> dict[str, Any]:
    """The structured answer of a successful tool call."""
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


def error_text(result: CallToolResult) -> str:
    """The message of a tool call that failed."""
    assert result.is_error
    return " ".join(getattr(block, "text", "") for block in result.content)
