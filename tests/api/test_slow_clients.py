"""Slow clients on a real uvicorn: headers and bodies that arrive late, or never, are cut off.

The server runs the protocol and the body limit `memadvisor serve` runs (`server_options`), in a
thread, with one-second deadlines, around a small app that reads the body and answers its size.
`tests/api/test_served.py` checks the same through `memadvisor serve` itself.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from api.body_limit import BodyLimitMiddleware
from cli.serving import server_options
from memadvisor.settings import Settings
from tests.ports import free_port
from tests.raw_http import send_slowly

TIMEOUT = 1.0


async def _echo_size(scope: Scope, receive: Receive, send: Send) -> None:
    """Reads the whole body (`/read`) or none of it, and answers its size."""
    if scope["type"] != "http":
        return
    size = 0
    if scope["path"] == "/read":
        more = True
        while more:
            message = await receive()
            size += len(message.get("body", b""))
            more = message.get("more_body", False)
    body = json.dumps({"size": size}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    settings = Settings(
        header_timeout_seconds=TIMEOUT,
        max_header_bytes=8192,
        body_timeout_seconds=TIMEOUT,
        body_min_bytes_per_second=1000,
    )
    app = BodyLimitMiddleware(
        _echo_size,
        max_bytes=1_000_000,
        max_import_bytes=1_000_000,
        timeout_seconds=settings.body_timeout_seconds,
        min_bytes_per_second=settings.body_min_bytes_per_second,
    )
    chosen = free_port()
    config = uvicorn.Config(app, port=chosen, log_level="warning", **server_options(settings))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield chosen
    server.should_exit = True
    thread.join(timeout=30)


def _post(path: str, length: int, *, close: bool = False) -> bytes:
    connection = b"connection: close\r\n" if close else b""
    return b"POST %s HTTP/1.1\r\nhost: x\r\n%scontent-length: %d\r\n\r\n" % (
        path.encode(),
        connection,
        length,
    )


def test_half_a_header_is_answered_408_and_closed_after_the_timeout(port: int) -> None:
    closed = send_slowly(port, [b"GET /read HTTP/1.1\r\nhost: x\r\n"])
    assert closed.status == 408 and b"did not arrive in time" in closed.reply
    assert 0.8 * TIMEOUT < closed.after < 4 * TIMEOUT


def test_a_connection_that_sends_nothing_is_closed(port: int) -> None:
    closed = send_slowly(port, [])
    assert closed.reply == b"" and closed.after < 4 * TIMEOUT


def test_a_header_trickled_byte_by_byte_is_cut_at_the_timeout(port: int) -> None:
    start = time.monotonic()
    request = b"GET /read HTTP/1.1\r\nhost: x\r\nx-slow: " + b"a" * 40 + b"\r\n\r\n"
    closed = send_slowly(port, [bytes([b]) for b in request], every=0.1)
    assert closed.status == 408
    assert time.monotonic() - start < 4 * TIMEOUT  # not the 5 s the whole header would take


def test_the_next_request_on_a_kept_alive_connection_has_the_same_deadline(port: int) -> None:
    first = b"GET /read HTTP/1.1\r\nhost: x\r\n\r\n"
    closed = send_slowly(port, [first, b"GET /read HTTP/1.1\r\nho"], every=0.2)
    assert closed.reply.startswith(b"HTTP/1.1 200") and b'{"size": 0}' in closed.reply
    assert b"HTTP/1.1 408" in closed.reply and closed.after < 4 * TIMEOUT


def test_headers_past_the_limit_get_431_before_they_end(port: int) -> None:
    pad = b"x-pad: " + b"a" * 1000 + b"\r\n"
    closed = send_slowly(port, [b"GET /read HTTP/1.1\r\nhost: x\r\n", *[pad] * 10])
    assert closed.status == 431 and closed.after < TIMEOUT


def test_headers_under_the_limit_pass(port: int) -> None:
    pad = b"x-pad: " + b"a" * 1000 + b"\r\n"
    request = b"GET /read HTTP/1.1\r\nhost: x\r\nconnection: close\r\n" + pad * 6 + b"\r\n"
    closed = send_slowly(port, [request])
    assert closed.status == 200


def test_a_stalled_body_gets_408_and_the_connection_closes(port: int) -> None:
    closed = send_slowly(port, [_post("/read", 100) + b'{"a": '])
    assert closed.status == 408 and b"did not arrive in time" in closed.reply
    assert b"connection: close" in closed.reply.lower()
    assert 0.8 * TIMEOUT < closed.after < 4 * TIMEOUT


def test_a_body_trickling_below_the_minimum_rate_gets_408(port: int) -> None:
    start = time.monotonic()
    closed = send_slowly(port, [_post("/read", 2000), *[b"x" * 10] * 40], every=0.1)
    assert closed.status == 408
    assert time.monotonic() - start < 3.5 * TIMEOUT  # 40 B/s: cut after about a second


def test_an_upload_faster_than_the_minimum_rate_is_never_cut(port: int) -> None:
    """2.5 KB/s for 2.4 s: longer than the timeout, faster than the 1 KB/s minimum."""
    chunks = [_post("/read", 6000, close=True), *[b"y" * 250] * 24]
    closed = send_slowly(port, chunks, every=0.1)
    assert closed.status == 200 and b'{"size": 6000}' in closed.reply


def test_a_body_the_app_does_not_read_closes_the_connection(port: int) -> None:
    """The answer comes first; the rest of the body is not read on a kept-alive connection."""
    closed = send_slowly(port, [_post("/ignore", 100_000) + b"z" * 1000])
    assert closed.status == 200 and b"connection: close" in closed.reply.lower()
    assert closed.after < TIMEOUT


def test_the_body_deadline_counts_only_the_waits() -> None:
    """At the ASGI level: an app that is slow between reads is not the client's fault."""
    messages = [{"type": "http.request", "body": b"x" * 10, "more_body": True}] * 3
    messages.append({"type": "http.request", "body": b"", "more_body": False})

    async def receive() -> dict[str, object]:
        await asyncio.sleep(0.05)
        return messages.pop(0)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        more = True
        while more:
            more = (await receive()).get("more_body", False)
            await asyncio.sleep(0.3)  # the app's own work: 1.2 s in all

    sent: list[dict[str, object]] = []

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    limited = BodyLimitMiddleware(
        app, max_bytes=1000, max_import_bytes=1000, timeout_seconds=0.5, min_bytes_per_second=1
    )
    scope = {"type": "http", "path": "/", "headers": [(b"content-length", b"30")]}
    asyncio.run(limited(scope, receive, send))  # type: ignore[arg-type]
    assert sent == [] and messages == []
