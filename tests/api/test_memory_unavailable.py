"""The Chroma server goes down mid-conversation: chat still answers, nothing is lost, and
`memadvisor reindex` settles SQL and vectors once it is back. Real `chroma run`, real stores.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from pydantic import ValidationError
from typer.testing import CliRunner

from agent.services import Services, build_services
from api.main import create_app
from cli.main import app as cli
from memadvisor.settings import Settings, get_settings
from tests.accounts import sign_up
from tests.api.sse import parse_sse
from tests.chroma_server import ChromaServer
from tests.fakes.models import RecordingFakeModel
from tests.ports import free_port


def _unavailable_searches() -> float:
    sample = REGISTRY.get_sample_value(
        "memadvisor_vector_store_unavailable_total", {"operation": "search"}
    )
    return sample or 0.0


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ChromaServer]:
    with ChromaServer(tmp_path / "chroma-server") as running:
        yield running


@pytest.fixture
def services(tmp_path: Path, server: ChromaServer, model: RecordingFakeModel) -> Iterator[Services]:
    settings = Settings(
        _env_file=None, data_dir=tmp_path / "data", env="development", chroma_url=server.url
    )
    built = build_services(settings, chat_model=model, inline_jobs=True)
    yield built
    built.close()


def _chat(client: TestClient, headers: dict[str, str], message: str) -> dict[str, object]:
    response = client.post("/api/chat/stream", headers=headers, json={"message": message})
    assert response.status_code == 200, response.text
    name, final = parse_sse(response)[-1]
    assert name == "final"
    assert isinstance(final, dict)
    return final


@pytest.mark.slow
def test_chat_answers_without_memories_while_chroma_is_down_then_reindex_catches_up(
    services: Services,
    server: ChromaServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with TestClient(create_app(services=services)) as client:
        alice = sign_up(client, "alice")
        assert _chat(client, alice, "I live in Hangzhou")["memory"] == "ok"
        [hangzhou] = client.get("/api/memories", headers=alice).json()
        assert services.memory.vector_count() == 1
        # Another process (a Celery worker) indexes a memory too: this one holds no copy of its
        # vector (those it wrote itself it has in memory), so its next search must read Chroma.
        worker = build_services(services.settings, chat_model=services.chat_model, inline_jobs=True)
        try:
            worker.memory.add(services.accounts.local("alice").id, "I work in a tea shop")
        finally:
            worker.close()

        server.stop()
        before = _unavailable_searches()
        final = _chat(client, alice, "My dog is called Bao")

        # Answered, without memories, and said so (in the event, the log and the counter).
        assert final["answer"] == "Noted. 好的。"
        assert (final["memory"], final["memories"]) == ("unavailable", [])
        assert _unavailable_searches() == before + 1
        assert "answering without memories" in caplog.text
        # The turn is saved in SQL, its vector owed; SQL reads still work, search says 503.
        assert services.memory.count_pending() == 1
        listed = client.get("/api/memories", headers=alice).json()
        assert {m["text"] for m in listed} == {
            "I live in Hangzhou",
            "I work in a tea shop",
            "My dog is called Bao",
        }
        searched = client.post("/api/memories/search", headers=alice, json={"query": "dog"})
        assert searched.status_code == 503 and "try again" in searched.json()["detail"]
        # Forgetting works too: SQL first; the orphaned vector waits for reconcile.
        assert client.delete(f"/api/memories/{hangzhou['id']}", headers=alice).status_code == 204

        server.start()
        monkeypatch.setenv("MEMADVISOR_DATA_DIR", str(services.settings.data_dir))
        monkeypatch.setenv("MEMADVISOR_CHROMA_URL", server.url)
        get_settings.cache_clear()
        try:
            reindexed = CliRunner().invoke(cli, ["reindex"])
        finally:
            get_settings.cache_clear()
        assert reindexed.exit_code == 0, reindexed.output
        assert "Indexed 1 owed, removed 1 orphaned; the vector index holds 2." in reindexed.output

        assert services.memory.count_pending() == 0
        found = client.post("/api/memories/search", headers=alice, json={"query": "my pet's name"})
        assert [m["text"] for m in found.json()] == ["My dog is called Bao", "I work in a tea shop"]
        assert _chat(client, alice, "What is my dog called?")["memory"] == "ok"


@pytest.mark.slow
def test_a_server_down_at_start_is_reached_once_it_is_up(
    services: Services, server: ChromaServer
) -> None:
    settings = services.settings
    server.stop()
    late = build_services(settings, chat_model=services.chat_model, inline_jobs=True)
    try:
        alice = late.accounts.local("alice").id
        late.memory.add(alice, "I drink oolong tea every afternoon")  # owed, not lost
        assert late.memory.count_pending() == 1
        server.start()
        assert late.memory.index_pending() == 1
        assert late.memory.search(alice, "which tea do I like?", k=1)[0].text.startswith("I drink")
    finally:
        late.close()


def test_a_dead_chroma_port_still_gets_an_answer_and_owes_the_memory(
    tmp_path: Path, model: RecordingFakeModel
) -> None:
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        env="development",
        chroma_url=f"http://127.0.0.1:{free_port()}",  # nothing listens there
        llm_languages=["zh", "en"],  # the scripted model writes Chinese
    )
    services = build_services(settings, chat_model=model, inline_jobs=True)
    try:
        with TestClient(create_app(services=services)) as client:
            alice = sign_up(client, "alice")
            final = _chat(client, alice, "我住在杭州")
            # Search reads Chroma only for vectors its index lacks; a new user has none to read,
            # so nothing was missing (the test above shows `unavailable` once one is).
            assert (final["answer"], final["memory"]) == ("Noted. 好的。", "ok")
            assert services.memory.count_pending() == 1
            [turn] = client.get("/api/conversations", headers=alice).json()
            assert turn["turns"] == 1
    finally:
        services.close()


@pytest.mark.parametrize("url", ["127.0.0.1:8000", "ftp://host:21", "http://host/path"])
def test_a_chroma_url_that_is_not_a_server_address_is_refused(url: str) -> None:
    with pytest.raises(ValidationError, match="MEMADVISOR_CHROMA_URL"):
        Settings(_env_file=None, chroma_url=url)


def test_reindex_with_the_server_down_says_so_and_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEMADVISOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MEMADVISOR_CHROMA_URL", f"http://127.0.0.1:{free_port()}")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["reindex"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    said = " ".join(result.output.split())  # unwrapped
    assert "Cannot reindex: the Chroma server is unavailable" in said and "Nothing is lost" in said
