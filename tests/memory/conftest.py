"""Every test of the stores runs twice: on a SQLite file and on a fresh MariaDB/MySQL database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from memadvisor.settings import Settings
from tests.mysql import mysql_database


@pytest.fixture(params=["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)])
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None (the SQLite file in the data folder), or the URL of a throwaway MySQL database."""
    if request.param == "sqlite":
        yield None
    else:
        with mysql_database() as url:
            yield url


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None) -> Settings:
    """Embedded defaults in a fresh data folder, on the database of this run."""
    return Settings(
        _env_file=None, data_dir=tmp_path / "data", env="development", database_url=database_url
    )
