"""The real server (`python -m cli serve`) on the real bundled model, as issue 11 probed it.

Many chats at once used to hang the whole API for good; now each ends (answered, or turned away
with a time to retry: 503 with `Retry-After` when the queue is full, an `error` event with
`retry_after` after waiting past the bound) while sign-in and the rest of the API answer. SIGTERM
in the middle of streams ends the process and leaves no turn `pending`. Correctness and termination
are checked here; speed is the load benchmark's business (`benchmarks.load --model bundled`).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from httpx_sse import EventSource

from agent.services import build_services
from memadvisor.settings import Settings
from tests.ports import free_port, wait_for_http

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery"
LIVENESS = 60.0
"""A generous bound for an answer that must not hang (the bug hung for good)."""


@contextmanager
def serve(
    data_dir: Path, log: Path, **settings: str
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMADVISOR_")}
    env.update(HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False", LANGSMITH_TRACING="false")
    env.update(MEMADVISOR_ENV="development", MEMADVISOR_DATA_DIR=str(data_dir))
    env.update({f"MEMADVISOR_{k.upper()}": v for k, v in settings.items()})
    command = [sys.executable, "-m", "cli", "serve", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_for_http(f"{base}/api/health", process, 180), log.read_text()[-3000:]
        yield process, base
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


async def sign_up(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    account = {"username": username, "password": PASSWORD}
    assert (await client.post("/api/auth/register", json=account)).status_code == 201
    login = await client.post("/api/auth/login", json=account)
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


async def chat(client: httpx.AsyncClient, headers: dict[str, str], message: str) -> list[Any]:
    """The events of one turn as (name, data), or [("503", retry_after)] when refused."""
    async with client.stream(
        "POST", "/api/chat/stream", json={"message": message}, headers=headers
    ) as response:
        if response.status_code == 503:
            return [("503", int(response.headers["retry-after"]))]
        assert response.status_code == 200
        return [(sse.event, sse.json()) async for sse in EventSource(response).aiter_sse()]


async def gauge(client: httpx.AsyncClient, name: str) -> float:
    for line in (await client.get("/metrics")).text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


async def until(condition: Any, seconds: float = LIVENESS) -> None:
    deadline = time.monotonic() + seconds
    while not await condition():
        assert time.monotonic() < deadline, "not reached in time"
        await asyncio.sleep(0.1)


def test_ten_chats_at_once_end_answered_or_refused_while_sign_in_and_the_api_answer(
    tmp_path: Path,
) -> None:
    async def scenario(base: str) -> None:
        async with httpx.AsyncClient(base_url=base, timeout=LIVENESS) as client:
            users = [await sign_up(client, f"user{i}") for i in range(10)]
            chats = [asyncio.create_task(chat(client, h, "How can I sleep better?")) for h in users]
            await until(lambda: _positive(gauge(client, "memadvisor_model_queue_running")))
            # The model is busy: the rest of the API still answers (the bug: everything hung).
            account = {"username": "user0", "password": PASSWORD}
            assert (await client.post("/api/auth/login", json=account)).status_code == 200
            assert (await client.get("/api/me", headers=users[0])).status_code == 200
            assert (await client.get("/api/conversations", headers=users[1])).status_code == 200
            outcomes = await asyncio.wait_for(asyncio.gather(*chats), 10 * LIVENESS)

            # Each ends answered, or turned away with a hint when to retry: 503 at once (the
            # queue was full), or an `error` event once it waited past the bound.
            ends = [events[-1] for events in outcomes]
            busy = [data for name, data in ends if name == "error" and data.get("retry_after")]
            refused = [retry for name, retry in ends if name == "503"]
            answered = [name for name, _ in ends if name == "final"]
            assert len(answered) + len(refused) + len(busy) == 10, ends
            assert answered and refused  # ten at once: room for one running and four waiting
            assert all(retry >= 1 for retry in refused)
            assert any(name == "queued" for events in outcomes for name, _ in events)
            for headers in users:  # every message kept; none left pending
                for conversation in (
                    await client.get("/api/conversations", headers=headers)
                ).json():
                    url = f"/api/conversations/{conversation['id']}"
                    turns = (await client.get(url, headers=headers)).json()["messages"]
                    assert {t["status"] for t in turns} <= {"answered", "failed"}

    with serve(
        tmp_path / "data", tmp_path / "server.log", llm_queue_max_waiting="4", llm_max_tokens="48"
    ) as (_, base):
        asyncio.run(scenario(base))


def test_sigterm_in_the_middle_of_streams_stops_the_server_and_leaves_no_turn_pending(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"

    async def scenario(process: subprocess.Popen[bytes], base: str) -> list[list[Any]]:
        async with httpx.AsyncClient(base_url=base, timeout=LIVENESS) as client:
            users = [await sign_up(client, f"user{i}") for i in range(4)]
            chats = [
                asyncio.create_task(chat(client, h, "Tell me a long story about a cat."))
                for h in users
            ]
            await until(lambda: _positive(gauge(client, "memadvisor_model_queue_running")))
            process.send_signal(signal.SIGTERM)
            return await asyncio.wait_for(asyncio.gather(*chats, return_exceptions=True), LIVENESS)

    with serve(data_dir, tmp_path / "server.log", shutdown_grace_seconds="1") as (process, base):
        outcomes = asyncio.run(scenario(process, base))
        # uvicorn ends by raising the signal it handled again: -SIGTERM is its clean exit.
        assert process.wait(timeout=LIVENESS) in (0, -signal.SIGTERM)
    log = (tmp_path / "server.log").read_text()
    assert "Application shutdown complete" in log and "ERROR" not in log, log[-3000:]
    # Each stream ended properly: answered, or told that the server stopped (none cut off).
    assert all(isinstance(e, list) and e[-1][0] in ("final", "error") for e in outcomes), outcomes

    services = build_services(
        Settings(_env_file=None, env="development", data_dir=data_dir), migrate=False
    )
    try:
        assert services.history.fail_pending("checked by the test") == 0
        users = [services.accounts.by_username(f"user{i}") for i in range(4)]
        for user in users:
            assert user is not None
            [turn] = services.history.latest_turns(user.id, 10) or _all_turns(services, user.id)
            assert turn.input_text == "Tell me a long story about a cat."
            assert turn.status in ("answered", "failed")
    finally:
        services.close()


async def _positive(value: Any) -> bool:
    return bool(await value > 0)


def _all_turns(services: Any, user_id: int) -> list[Any]:
    return [
        turn
        for conversation in services.history.conversations(user_id)
        for turn in services.history.turns(user_id, conversation.id)
    ]
