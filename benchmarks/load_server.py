"""The API as `benchmarks.load` runs it: real uvicorn, stores and embeddings, and a model.

    python -m benchmarks.load_server --fd N --data-dir DIR [--model scripted|bundled]

Serves on an already bound loopback socket handed over by its parent (no port race with other
programs on the machine): `start_server`, `wait_ready` and `stop_server` are the parent's side.
`scripted` (the default) is a `langchain_core` scripted fake that streams at once, so the figures
measure this project's own path (HTTP, SQL, memory search, SSE, jobs), not a model; its summariser
is off (a scripted model cannot write the JSON profile it asks for). `bundled` is the real SmolLM2
through llama.cpp and the model queue, summariser included, as `make run` serves it.
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, GenericFakeChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk

from agent.services import build_services
from api.main import create_app
from memadvisor.settings import Settings

ROOT = Path(__file__).resolve().parents[1]

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


def load_settings(data_dir: Path, model: str) -> Settings:
    """The settings the load test serves with (the defaults, on `data_dir`).

    Every simulated user signs up and chats from one loopback address, without pause: the abuse
    limits are not what this measures. The scripted model never summarises profiles. With the
    bundled model, Chinese messages get the answer written without it, as they would in use.
    """
    settings = Settings(
        _env_file=None,
        env="development",
        data_dir=data_dir,
        registrations_per_address="100000 per hour",
        chat_turns_per_user="100000 per minute",
    )
    if model == "scripted":
        # The scripted model stands in for one that writes both languages.
        return settings.model_copy(
            update={"summary_every_turns": 10**9, "llm_languages": ["zh", "en"]}
        )
    return settings


def make_app(data_dir: Path, model: str = "scripted") -> FastAPI:
    """The real app on `data_dir` with `model`; its services close on shutdown."""
    settings = load_settings(data_dir, model)
    services = build_services(
        settings, chat_model=scripted_model() if model == "scripted" else None
    )
    app = create_app(services=services, freeze_after_start=True)  # as `memadvisor serve`
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
    parser.add_argument("--model", choices=("scripted", "bundled"), default="scripted")
    args = parser.parse_args(argv)
    sock = socket.socket(fileno=args.fd)  # family and type read from the descriptor
    config = uvicorn.Config(
        make_app(args.data_dir, args.model),
        log_level="warning",
        backlog=1024,
        timeout_graceful_shutdown=load_settings(args.data_dir, args.model).server_shutdown_seconds,
    )
    uvicorn.Server(config).run(sockets=[sock])


def start_server(data_dir: Path, log: Path, model: str) -> tuple[subprocess.Popen[bytes], str]:
    """The server in a child process, on a loopback socket bound here (port chosen by the OS)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
    env["LANGSMITH_TRACING"] = "false"
    command = [sys.executable, "-m", "benchmarks.load_server", "--fd", str(sock.fileno())]
    command += ["--model", model]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--data-dir", str(data_dir)],
            cwd=ROOT,
            env=env,
            pass_fds=[sock.fileno()],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    sock.close()  # the child holds its own copy
    return process, f"http://127.0.0.1:{port}"


def wait_ready(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    """Block until the server answers its health check."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(f"{base_url}/api/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError("the server did not start in time")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """Ask the server to shut down gracefully (it finishes queued jobs); kill it if it hangs."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


if __name__ == "__main__":
    main()
