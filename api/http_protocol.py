"""The HTTP protocol of `memadvisor serve`: uvicorn's, with a deadline and a size limit on headers.

uvicorn bounds the idle time between two requests of a connection (`timeout_keep_alive`), but
neither the time a client takes to send a request's headers nor their size: httptools reads any
amount, and a client that connects and trickles a header, or sends nothing, holds its connection
and what it sent indefinitely. Here a request's headers must be complete within `header_timeout`
seconds of the connection (or of the first byte of a following request on it), else 408; and hold
at most `max_header_bytes`, else 431. Either way the connection is closed. The body has a deadline
of its own in the app (`api.body_limit`), which holds under any ASGI server.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState


class BoundedHeadersProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, closing a connection whose headers are late or too large."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
        *,
        header_timeout: float,
        max_header_bytes: int,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._header_timeout = header_timeout
        self._max_header_bytes = max_header_bytes
        self._deadline: asyncio.TimerHandle | None = None
        self._reading_headers = False
        self._received = 0  # bytes fed while the headers were incomplete (what httptools holds)
        self._parsed = 0  # the size of the request line and headers parsed so far

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the clock for the first request's headers."""
        super().connection_made(transport)
        self._start_clock()

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop the clock."""
        self._stop_clock()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """Feed the parser; refuse headers that grow past the limit before they are complete."""
        super().data_received(data)
        if self._reading_headers and not self.transport.is_closing():
            self._received += len(data)
            if self._received > self._max_header_bytes:
                self._refuse(431, "Request header fields too large.")

    def on_message_begin(self) -> None:
        """A request starts: its headers are counted, and timed if the clock is not running."""
        super().on_message_begin()
        self._reading_headers = True
        self._received = self._parsed = 0
        if not self.transport.is_closing():
            self._start_clock()

    def on_url(self, url: bytes) -> None:
        """Count the request line."""
        super().on_url(url)
        self._parsed += len(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        """Count each header as `name: value` with its line end."""
        super().on_header(name, value)
        self._parsed += len(name) + len(value) + 4

    def on_headers_complete(self) -> None:
        """Headers in time: stop the clock, and hand the request on unless they are too large."""
        self._stop_clock()
        self._reading_headers = False
        if self._parsed > self._max_header_bytes:
            self._refuse(431, "Request header fields too large.")
            return
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        """Drop what follows the headers of a refused request."""
        if not self.transport.is_closing():
            super().on_body(body)

    def on_message_complete(self) -> None:
        """Nothing to complete for a refused request."""
        if not self.transport.is_closing():
            super().on_message_complete()

    def _start_clock(self) -> None:
        if self._deadline is None:
            self._deadline = self.loop.call_later(self._header_timeout, self._too_slow)

    def _stop_clock(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self._reading_headers:
            self._refuse(408, "The request headers did not arrive in time.")
        else:  # connected and sent nothing
            self.transport.close()

    def _refuse(self, status: int, message: str) -> None:
        """Answer `status` and close, as uvicorn answers a request it cannot parse.

        While the answer to an earlier request of the connection is still being sent, only close.
        """
        self._stop_clock()
        self._reading_headers = False
        if self.cycle is not None and not self.cycle.response_complete:
            self.transport.close()
            return
        body = message.encode("ascii")
        head = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head += [
            b"content-type: text/plain; charset=utf-8\r\n",
            b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + body)
        self.transport.close()
