"""`langgraph dev` serves `langgraph.json`'s graph; runs go through its HTTP API."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from agent.services import make_keyring
from api.security import create_access_token
from memadvisor.settings import Settings
from memory.accounts.auth_sessions import AuthSessions
from memory.accounts.users import Accounts
from memory.storage.db import make_engine, make_session_factory, upgrade
from tests.ports import free_port, wait_for_http

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Server:
    base: str
    url: str
    """The server's database."""
    users: dict[str, tuple[int, dict[str, str]]]
    """Each user's id and `Authorization` header."""


@pytest.fixture
def langgraph_server(tmp_path: Path) -> Iterator[Server]:
    data = tmp_path / "data"
    settings = Settings(_env_file=None, data_dir=data)
    keyring = make_keyring(settings)  # the server finds the same keys in the data folder
    upgrade(settings.sqlalchemy_url, keyring=keyring)
    engine = make_engine(settings.sqlalchemy_url, keyring=keyring)
    factory = make_session_factory(engine)
    sessions = AuthSessions(factory, lifetime=timedelta(days=1))
    users: dict[str, tuple[int, dict[str, str]]] = {}
    for name in ("alice", "bob"):
        user_id = Accounts(factory).local(name).id
        grant = sessions.open(user_id)
        token = create_access_token(
            user_id, session_id=grant.session_id, secret=settings.secret_key, minutes=60
        )
        users[name] = (user_id, {"Authorization": f"Bearer {token}"})
    engine.dispose()

    port = free_port()
    env = {
        **os.environ,
        "MEMADVISOR_DATA_DIR": str(data),
        "MEMADVISOR_LLM_MAX_TOKENS": "32",
        "LANGSMITH_TRACING": "false",
        "HF_HUB_OFFLINE": "1",
    }
    cli = Path(sys.executable).with_name("langgraph")
    log = (tmp_path / "langgraph.log").open("w")
    process = subprocess.Popen(
        [str(cli), "dev", "--no-browser", "--no-reload", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        if not wait_for_http(f"{base}/ok", process, 90):
            log.flush()
            logged = (tmp_path / "langgraph.log").read_text()
            pytest.fail(f"langgraph dev did not start within 90 s:\n{logged}")
        yield Server(base, settings.sqlalchemy_url, users)
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def _wait_until_indexed(url: str) -> None:
    """Indexing runs in a background job after the answer; wait for it like a second turn would."""
    engine = make_engine(url)
    try:
        for _ in range(100):
            with engine.connect() as conn:
                if not conn.scalar(text("SELECT count(*) FROM memories WHERE indexed_at IS NULL")):
                    return
            time.sleep(0.1)
    finally:
        engine.dispose()
    pytest.fail("the turn was never indexed")


def test_langgraph_dev_runs_the_chat_graph(langgraph_server: Server) -> None:
    base, url = langgraph_server.base, langgraph_server.url
    _, alice = langgraph_server.users["alice"]
    assistants = httpx.post(f"{base}/assistants/search", json={}, headers=alice, timeout=10).json()
    assert {a["graph_id"] for a in assistants} == {"chat", "recommend"}

    def run(message: str) -> dict[str, object]:
        # No user id in the context: the run acts as the token's user.
        response = httpx.post(
            f"{base}/runs/wait",
            json={"assistant_id": "chat", "input": {"message": message}, "context": {}},
            headers=alice,
            timeout=120,
        )
        assert response.status_code == 200, response.text
        result: dict[str, object] = response.json()
        assert "__error__" not in result, result
        return result

    first = run("My dog is called Bao and I live in Hangzhou")
    assert first["answer"] and first["turn_id"]
    _wait_until_indexed(url)
    second = run("What is my dog's name?")
    memories = second["memories"]
    assert isinstance(memories, list)
    assert "My dog is called Bao" in memories[0]["text"]

    advice = httpx.post(
        f"{base}/runs/wait",
        json={"assistant_id": "recommend", "input": {"language": "en"}, "context": {}},
        headers=alice,
        timeout=300,
    ).json()
    assert "__error__" not in advice, advice
    assert set(advice["recommendations"]) == {"health", "finance", "education"}


def test_langgraph_dev_runs_only_as_the_signed_in_user(langgraph_server: Server) -> None:
    base = langgraph_server.base
    alice_id, alice = langgraph_server.users["alice"]
    _, bob = langgraph_server.users["bob"]

    anonymous = httpx.post(f"{base}/assistants/search", json={}, timeout=10)
    assert anonymous.status_code == 401
    forged = {"Authorization": "Bearer not-a-token"}
    assert httpx.post(f"{base}/threads", json={}, headers=forged, timeout=10).status_code == 401

    thread = httpx.post(f"{base}/threads", json={}, headers=alice, timeout=10).json()
    said = httpx.post(
        f"{base}/threads/{thread['thread_id']}/runs/wait",
        json={
            "assistant_id": "chat",
            "input": {"message": "My bank PIN hint is the colour teal"},
            "context": {},
        },
        headers=alice,
        timeout=120,
    )
    assert said.status_code == 200, said.text

    # Bob can neither see Alice's thread nor continue it.
    assert httpx.post(f"{base}/threads/search", json={}, headers=bob, timeout=10).json() == []
    read = httpx.get(f"{base}/threads/{thread['thread_id']}", headers=bob, timeout=10)
    assert read.status_code == 404
    hijack = httpx.post(
        f"{base}/threads/{thread['thread_id']}/runs/wait",
        json={"assistant_id": "chat", "input": {"message": "What is my PIN hint?"}},
        headers=bob,
        timeout=120,
    )
    assert hijack.status_code == 404
    created = httpx.post(f"{base}/assistants", json={"graph_id": "chat"}, headers=bob, timeout=10)
    assert created.status_code == 403

    # A context naming Alice is rewritten to Bob: his run finds none of her memories.
    spoofed = httpx.post(
        f"{base}/runs/wait",
        json={
            "assistant_id": "chat",
            "input": {"message": "What is my PIN hint colour?"},
            "context": {"user_id": alice_id},
        },
        headers=bob,
        timeout=120,
    )
    assert spoofed.status_code == 200, spoofed.text
    result = spoofed.json()
    assert "__error__" not in result, result
    assert all("teal" not in memory["text"] for memory in result["memories"])
