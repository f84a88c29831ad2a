"""Every test of the stores runs on each stack: the embedded one (SQLite file, Chroma folder), a
fresh MariaDB/MySQL or PostgreSQL database, and the scaled-out one (MySQL and a `chroma run`
server).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from memadvisor.settings import Settings
from tests.chroma_server import ChromaServer
from tests.mysql import mysql_database
from tests.postgres import postgres_database

STACKS = [
    pytest.param(("sqlite", "folder"), id="sqlite"),
    pytest.param(("mysql", "folder"), id="mysql", marks=pytest.mark.mysql),
    pytest.param(("postgres", "folder"), id="postgres", marks=pytest.mark.postgres),
    pytest.param(
        ("mysql", "server"),
        id="mysql-chroma-server",
        marks=[pytest.mark.mysql, pytest.mark.slow],
    ),
]


@pytest.fixture(params=STACKS)
def stack(request: pytest.FixtureRequest) -> tuple[str, str]:
    """(database, vector store) of this run."""
    return tuple(request.param)  # type: ignore[return-value]


@pytest.fixture
def database_url(stack: tuple[str, str]) -> Iterator[str | None]:
    """None (the SQLite file in the data folder), or the URL of a throwaway server database."""
    if stack[0] == "sqlite":
        yield None
    else:
        with mysql_database() if stack[0] == "mysql" else postgres_database() as url:
            yield url


@pytest.fixture
def vector_server(stack: tuple[str, str], request: pytest.FixtureRequest) -> ChromaServer | None:
    """The shared `chroma run` server when this run uses one."""
    if stack[1] == "folder":
        return None
    server = request.getfixturevalue("chroma_server")
    assert isinstance(server, ChromaServer)
    return server


@pytest.fixture
def settings(
    tmp_path: Path, database_url: str | None, vector_server: ChromaServer | None
) -> Settings:
    """Embedded defaults in a fresh data folder, on this run's database and vector store."""
    return Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        env="development",
        database_url=database_url,
        chroma_url=vector_server.url if vector_server else None,
        # One collection per test on the shared server, as separate as separate folders.
        chroma_collection=f"test-{uuid.uuid4().hex[:12]}",
    )
