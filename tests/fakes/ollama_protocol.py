"""OllamaProtocolFake: a tiny local server speaking Ollama's documented HTTP protocol.

No Ollama server can be installed here, so the `ollama` provider is tested against this protocol
fake: `GET /api/tags` lists models; `POST /api/chat` answers with streamed NDJSON chunks (or one
JSON object when `"stream": false`). Every request body is recorded so tests can check what the
project sends (model, messages, options such as `num_ctx`, `format`).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.ports import free_port


class OllamaProtocolFake:
    """Serves `models` and answers every chat with `reply`, split into word chunks."""

    def __init__(self, models: list[str], reply: str = "Hello from the protocol fake.") -> None:
        self.models = models
        self.reply = reply
        self.chat_requests: list[dict[str, Any]] = []
        self.app = Starlette(
            routes=[
                Route("/api/tags", self._tags, methods=["GET"]),
                Route("/api/chat", self._chat, methods=["POST"]),
            ]
        )

    async def _tags(self, request: Request) -> Response:
        now = datetime.now(UTC).isoformat()
        return JSONResponse(
            {
                "models": [
                    {"name": m, "model": m, "modified_at": now, "size": 1, "digest": "0" * 64}
                    for m in self.models
                ]
            }
        )

    async def _chat(self, request: Request) -> Response:
        body = await request.json()
        self.chat_requests.append(body)
        if body.get("model") not in self.models:
            return JSONResponse({"error": f"model '{body.get('model')}' not found"}, 404)
        words = self.reply.split(" ")
        pieces = [w if i == 0 else f" {w}" for i, w in enumerate(words)]
        if body.get("stream", True) is False:
            return JSONResponse(self._chunk(self.reply, done=True))

        async def ndjson() -> AsyncIterator[bytes]:
            for piece in pieces:
                yield (json.dumps(self._chunk(piece, done=False)) + "\n").encode()
            yield (json.dumps(self._chunk("", done=True)) + "\n").encode()

        return StreamingResponse(ndjson(), media_type="application/x-ndjson")

    def _chunk(self, content: str, *, done: bool) -> dict[str, Any]:
        chunk: dict[str, Any] = {
            "model": self.models[0],
            "created_at": datetime.now(UTC).isoformat(),
            "message": {"role": "assistant", "content": content},
            "done": done,
        }
        if done:
            chunk.update(
                done_reason="stop",
                total_duration=1_000_000,
                load_duration=1,
                prompt_eval_count=10,
                prompt_eval_duration=1,
                eval_count=len(self.reply.split()),
                eval_duration=1,
            )
        return chunk

    @contextmanager
    def serve(self) -> Iterator[str]:
        """Run on a free loopback port; yields the base URL."""
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(self.app, host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(timeout=10)
