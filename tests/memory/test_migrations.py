"""The one Alembic migration path runs on SQLite and on MariaDB/MySQL, up and down."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from memory.accounts import Accounts
from memory.db import downgrade, make_engine, make_session_factory, upgrade
from memory.history import ChatHistory
from memory.models import Base

MYSQL_SERVER = os.environ.get("MEMADVISOR_TEST_MYSQL", "mysql+pymysql://root@127.0.0.1:3306")


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _round_trip(url: str) -> None:
    upgrade(url)
    assert set(Base.metadata.tables) <= _tables(url)
    downgrade(url, "base")
    assert not (set(Base.metadata.tables) & _tables(url))
    upgrade(url)
    assert set(Base.metadata.tables) <= _tables(url)


def _unicode_survives(url: str) -> None:
    sessions = make_session_factory(make_engine(url))
    user = Accounts(sessions).create("小明", password_hash=None)
    text_in = "我住在杭州 🐶 and I love 小笼包" + "长" * 30000  # beyond MySQL TEXT's 64 KB
    turn = ChatHistory(sessions).begin_turn(user.id, None, text_in)
    assert ChatHistory(sessions).turns(user.id, turn.conversation_id)[0].input_text == text_in


def test_sqlite_round_trip(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sub' / 'db.sqlite'}"
    _round_trip(url)
    _unicode_survives(url)


@pytest.fixture
def mysql_url() -> Iterator[str]:
    name = f"memadvisor_test_{uuid.uuid4().hex[:8]}"
    server = create_engine(MYSQL_SERVER)
    with server.begin() as conn:
        conn.execute(
            text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        )
    try:
        yield f"{MYSQL_SERVER}/{name}"
    finally:
        with server.begin() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        server.dispose()


@pytest.mark.mysql
def test_mysql_round_trip_and_utf8mb4(mysql_url: str) -> None:
    _round_trip(mysql_url)
    _unicode_survives(mysql_url)


def test_models_and_migrations_agree(tmp_path: Path) -> None:
    """Autogenerate finds nothing to do: the migration creates exactly what the models describe."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []


def test_upgrade_0002_gives_existing_memories_terms_threads_and_order(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade(url, "0001")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (id, username, is_active, created_at) "
                "VALUES (1, 'a', 1, '2025-01-01')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO memories (id, user_id, kind, text, meta, created_at) VALUES "
                "('m1', 1, 'turn', 'I was running in Hangzhou', :meta, '2025-01-01')"
            ),
            {"meta": '{"conversation_id": "c1"}'},
        )
    upgrade(url)
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT thread_id, position, terms, updated_at FROM memories")
        ).one()
    engine.dispose()
    assert row.thread_id == "c1" and row.position == 0
    assert row.terms == "run hangzhou" and row.updated_at is not None
