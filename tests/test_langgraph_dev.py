"""`langgraph dev` serves `langgraph.json`'s graph; runs go through its HTTP API."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from agent.services import make_keyring
from memadvisor.settings import Settings
from memory.accounts import Accounts
from memory.db import make_engine, make_session_factory, upgrade
from tests.fakes.ollama_protocol import free_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def langgraph_server(tmp_path: Path) -> Iterator[tuple[str, int, str]]:
    data = tmp_path / "data"
    settings = Settings(_env_file=None, data_dir=data)
    keyring = make_keyring(settings)  # the server finds the same keys in the data folder
    upgrade(settings.sqlalchemy_url, keyring=keyring)
    engine = make_engine(settings.sqlalchemy_url, keyring=keyring)
    user_id = Accounts(make_session_factory(engine)).local("alice").id
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
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/ok", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None:
                pytest.fail((tmp_path / "langgraph.log").read_text())
            time.sleep(0.5)
        else:
            pytest.fail("langgraph dev did not start in 90 s")
        yield base, user_id, settings.sqlalchemy_url
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


def test_langgraph_dev_runs_the_chat_graph(langgraph_server: tuple[str, int, str]) -> None:
    base, user_id, url = langgraph_server
    assistants = httpx.post(f"{base}/assistants/search", json={}, timeout=10).json()
    assert {a["graph_id"] for a in assistants} == {"chat", "recommend"}

    def run(message: str) -> dict[str, object]:
        response = httpx.post(
            f"{base}/runs/wait",
            json={
                "assistant_id": "chat",
                "input": {"message": message},
                "context": {"user_id": user_id},
            },
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
    assert memories[0]["text"] == "My dog is called Bao and I live in Hangzhou"

    advice = httpx.post(
        f"{base}/runs/wait",
        json={
            "assistant_id": "recommend",
            "input": {"language": "en"},
            "context": {"user_id": user_id},
        },
        timeout=300,
    ).json()
    assert "__error__" not in advice, advice
    assert set(advice["recommendations"]) == {"health", "finance", "education"}
