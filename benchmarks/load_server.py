"""The API as `benchmarks.load` runs it: real uvicorn, stores and embeddings; a scripted model.

    python -m benchmarks.load_server --fd N --data-dir DIR

Serves on an already bound loopback socket handed over by its parent (no port race with other
programs on the machine). The model is a `langchain_core` scripted fake that streams at once, so
the figures measure this project's own path (HTTP, SQL, memory search, SSE, jobs), not a model.
The summariser is off: a scripted model cannot write the JSON profile it asks for.
"""

from __future__ import annotations

import argparse
import itertools
import re
import socket
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, GenericFakeChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk

from agent.services import build_services
from api.main import create_app
from memadvisor.settings import Settings

ANSWERS = (
    "Noted: I will remember that. Keep a steady routine and tell me how it goes. 好的,我记住了。",
    "Thanks for telling me. A short walk after dinner helps; shall we plan the week? 我们计划吧。",
    "I see. Write down one small goal for tomorrow and check it off in the evening. 明天见。",
)


class ScriptedModel(GenericFakeChatModel):
    """GenericFakeChatModel with a native async stream.

    The inherited async stream runs the sync one in a worker thread, one hop per chunk; under load
    those hops queue behind the app's own thread work and the figures would measure the fake.
    Real async clients (Ollama's) stream on the event loop, as this does.
    """

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        answer = next(self.messages)  # the base class reports each chunk to the callbacks
        text = answer if isinstance(answer, str) else answer.text
        for token in re.split(r"(\s)", text):
            if token:
                yield ChatGenerationChunk(message=AIMessageChunk(content=token))


def scripted_model() -> BaseChatModel:
    """A model that streams one of a few fixed answers, word by word, without delay."""
    return ScriptedModel(messages=itertools.cycle([AIMessage(a) for a in ANSWERS]))


def make_app(data_dir: Path) -> FastAPI:
    """The real app on `data_dir`, with the scripted model; its services close on shutdown."""
    settings = Settings(
        _env_file=None,
        env="development",
        data_dir=data_dir,
        summary_every_turns=10**9,
        llm_languages=["zh", "en"],  # the scripted model stands in for one that writes both
    )
    services = build_services(settings, chat_model=scripted_model())
    app = create_app(services=services)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with inner(app):
            yield
        services.close()  # finish queued indexing, as a process that owns its services does

    app.router.lifespan_context = lifespan
    return app


def main(argv: Sequence[str] | None = None) -> None:
    """Serve until SIGINT/SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fd", type=int, required=True, help="a bound TCP socket to serve on")
    parser.add_argument("--data-dir", type=Path, required=True)
    args = parser.parse_args(argv)
    sock = socket.socket(fileno=args.fd)  # family and type read from the descriptor
    config = uvicorn.Config(make_app(args.data_dir), log_level="warning", backlog=1024)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
