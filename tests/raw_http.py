"""A client that speaks HTTP/1.1 by hand, slowly or not at all: what a slow client sends."""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Closed:
    """What the server sent before it closed the connection, and when it closed it."""

    reply: bytes
    after: float
    """Seconds from the last byte sent to the close."""

    @property
    def status(self) -> int | None:
        """The status code of the first response, if any."""
        parts = self.reply.split(b" ", 2)
        return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def send_slowly(
    port: int, chunks: list[bytes], *, every: float = 0.0, wait: float = 15.0
) -> Closed:
    """Send `chunks` one per `every` seconds, then read until the server closes (or `wait`
    seconds pass: then `after` is infinite). A chunk the server refuses ends the sending."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        for number, chunk in enumerate(chunks):
            if number and every:
                time.sleep(every)
            try:
                sock.sendall(chunk)
            except OSError:  # closed by the server while we were sending
                break
        sent = time.monotonic()
        reply = b""
        try:
            while block := sock.recv(65536):
                reply += block
        except TimeoutError:
            return Closed(reply, float("inf"))
        except ConnectionResetError:
            pass
        return Closed(reply, time.monotonic() - sent)
