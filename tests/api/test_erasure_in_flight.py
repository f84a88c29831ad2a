"""Erasure is final while work is in flight: an import's background indexing leaves no vector.

Issue 26 found 256 vectors of an erased user in Chroma 10 s after the 204 (and 70 s later): one
batch of a 400-record import that was being embedded when `DELETE /api/me` came. Here the real
embeddings are held at a gate while that batch is embedded, the account is erased, the gate
opens, and once the jobs in flight are done no vector of the user is left, in the embedded Chroma
folder and on a `chroma run` server. Jobs run in the background, as in the server.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from agent.services import Services, build_services
from api.main import create_app
from memadvisor.settings import Settings
from memory.retrieval.embeddings import make_embeddings
from tests.accounts import sign_up
from tests.chroma_server import ChromaServer
from tests.fakes.embeddings import GatedEmbeddings
from tests.fakes.models import scripted

RECORDS = 400


@pytest.fixture(params=["folder", pytest.param("server", marks=pytest.mark.slow)])
def vector_settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """The test's settings on the embedded Chroma folder, or on the shared `chroma run` server."""
    if request.param == "folder":
        return settings
    server = request.getfixturevalue("chroma_server")
    assert isinstance(server, ChromaServer)
    return settings.model_copy(
        update={"chroma_url": server.url, "chroma_collection": f"test-{uuid.uuid4().hex[:12]}"}
    )


@pytest.fixture
def gated(vector_settings: Settings) -> GatedEmbeddings:
    return GatedEmbeddings(make_embeddings(vector_settings.embedding_model))


@pytest.fixture
def background_services(vector_settings: Settings, gated: GatedEmbeddings) -> Iterator[Services]:
    services = build_services(
        vector_settings, chat_model=scripted(["ok"]), inline_jobs=False, embeddings=gated
    )
    try:
        yield services
    finally:
        gated.gate.set()
        services.close()


def test_erasure_during_an_imports_indexing_leaves_no_vector_of_the_user(
    background_services: Services, gated: GatedEmbeddings
) -> None:
    services = background_services
    records = [
        {
            "data_type": "health",
            "data": {"steps": 5000 + i},
            "recorded_at": f"2026-01-{1 + i // 24:02d}T{i % 24:02d}:00:00Z",
        }
        for i in range(RECORDS)
    ]
    with TestClient(create_app(services=services)) as client:
        hank = sign_up(client, "hank")
        hank_id = client.get("/api/me", headers=hank).json()["id"]
        assert client.put("/api/me/consent", json={"health": True}, headers=hank).is_success
        report = client.post(
            "/api/user-data/import",
            files={"file": ("records.json", json.dumps(records).encode(), "application/json")},
            headers=hank,
        ).json()
        assert report["accepted"] == RECORDS and report["written"] is True
        assert gated.embedding.wait(30), "the import's indexing job never started"

        assert client.delete("/api/me", headers=hank).status_code == 204
        gated.gate.set()  # the batch in flight is embedded and written after the erasure
        services.jobs.drain(timeout=120)

        assert services.jobs.queued() == 0
        assert services.memory.vector_count(hank_id) == 0
        assert services.memory.count(hank_id) == 0
