"""Erasure reaches every process: two real API servers on one MariaDB database and Chroma server.

Issue 26 erased a user through one of two API processes; the other kept the user's search index
in memory (`memadvisor_memory_index_cache_users 2`, unchanged 30 s later), since a cached index was
checked only at its user's next search, which never comes. Here the second process has searched
for the user, the user is erased through the first, and the second's gauge drops to what it held
before, within its sweep interval, without anyone searching again.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import httpx
import pytest

from agent.services import build_services
from memadvisor.settings import Settings
from tests.chroma_server import ChromaServer
from tests.mysql import mysql_database
from tests.test_busy_server import PASSWORD, serve

pytestmark = [pytest.mark.slow, pytest.mark.mysql]

SWEEP_SECONDS = 1.0
BOUND = 15.0
"""The sweep interval, plus room for a busy shared machine to run the sweep and serve /metrics."""


def _gauge(client: httpx.Client, name: str) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


def _sign_up(client: httpx.Client, username: str) -> dict[str, str]:
    account = {"username": username, "password": PASSWORD}
    assert client.post("/api/auth/register", json=account).status_code == 201
    token = client.post("/api/auth/login", json=account).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _remember(client: httpx.Client, headers: dict[str, str], steps: int) -> None:
    assert client.put("/api/me/consent", json={"health": True}, headers=headers).is_success
    record = {"data_type": "health", "data": {"steps": steps}}
    assert client.post("/api/user-data", json=record, headers=headers).status_code == 201


def test_an_erasure_through_one_api_process_empties_the_others_index_cache(
    tmp_path: Path, chroma_server: ChromaServer
) -> None:
    data_dir = tmp_path / "data"
    with mysql_database() as url:
        settings = Settings(
            _env_file=None,
            data_dir=data_dir,
            env="development",
            database_url=url,
            chroma_url=chroma_server.url,
            chroma_collection=f"test-{uuid.uuid4().hex[:12]}",
            memory_index_sweep_seconds=SWEEP_SECONDS,
        )
        # Migrated (and the development keys made) once, before two processes start at once.
        build_services(settings).close()
        shared = {
            name: str(getattr(settings, name))
            for name in ("database_url", "chroma_url", "chroma_collection")
        }
        shared["memory_index_sweep_seconds"] = str(SWEEP_SECONDS)
        with (
            serve(data_dir, tmp_path / "first.log", **shared, migrate_on_start="false") as (_, a),
            serve(data_dir, tmp_path / "second.log", **shared, migrate_on_start="false") as (_, b),
            httpx.Client(base_url=a, timeout=60) as first,
            httpx.Client(base_url=b, timeout=60) as second,
        ):
            hank, alice = _sign_up(first, "hank"), _sign_up(first, "alice")
            _remember(first, hank, 4267)
            _remember(first, alice, 9000)
            for headers in (hank, alice):  # the second process builds and keeps both indexes
                query = {"query": "steps"}
                found = second.post("/api/memories/search", json=query, headers=headers)
                assert found.status_code == 200 and len(found.json()) == 1
            assert _gauge(second, "memadvisor_memory_index_cache_users") == 2
            alice_bytes = _gauge(second, "memadvisor_memory_index_cache_bytes") / 2

            assert first.delete("/api/me", headers=hank).status_code == 204
            erased = time.monotonic()
            while _gauge(second, "memadvisor_memory_index_cache_users") != 1:
                assert time.monotonic() - erased < BOUND, "the erased user's index is still held"
                time.sleep(0.2)

            assert _gauge(second, "memadvisor_memory_index_cache_bytes") == pytest.approx(
                alice_bytes, rel=0.5
            )
            assert second.get("/api/me", headers=hank).status_code == 401
            again = second.post("/api/memories/search", json={"query": "steps"}, headers=alice)
            assert len(again.json()) == 1
