"""The one Alembic migration path runs on SQLite and on MariaDB/MySQL, up and down."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import inspect, text

from memory.accounts import Accounts
from memory.crypto import Keyring
from memory.db import downgrade, make_engine, make_session_factory, upgrade
from memory.history import ChatHistory
from memory.models import Base
from tests.mysql import mysql_database

KEYRING = Keyring([Fernet.generate_key().decode()], "term-hash-key-for-tests-" * 2)


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
    engine = make_engine(url, keyring=KEYRING)
    sessions = make_session_factory(engine)
    user = Accounts(sessions).create("小明", password_hash=None)
    text_in = "我住在杭州 🐶 and I love 小笼包" + "长" * 30000  # beyond MySQL TEXT's 64 KB
    turn = ChatHistory(sessions).begin_turn(user.id, None, text_in)
    assert ChatHistory(sessions).turns(user.id, turn.conversation_id)[0].input_text == text_in
    engine.dispose()


def test_sqlite_round_trip(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sub' / 'db.sqlite'}"
    _round_trip(url)
    _unicode_survives(url)


@pytest.fixture
def mysql_url() -> Iterator[str]:
    with mysql_database() as url:
        yield url


@pytest.mark.mysql
def test_mysql_round_trip_and_utf8mb4(mysql_url: str) -> None:
    _round_trip(mysql_url)
    _unicode_survives(mysql_url)


def _models_and_migrations_agree(url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []


def test_models_and_migrations_agree(tmp_path: Path) -> None:
    """Autogenerate finds nothing to do: the migration creates exactly what the models describe."""
    _models_and_migrations_agree(f"sqlite:///{tmp_path / 'db.sqlite'}")


@pytest.mark.mysql
def test_models_and_migrations_agree_on_mysql(mysql_url: str) -> None:
    """Autogenerate finds nothing to do on MariaDB either (it does not compare DATETIME precision;
    test_sql_stores.py checks that microseconds survive)."""
    _models_and_migrations_agree(mysql_url)


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
    upgrade(url, "0005")
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT thread_id, position, terms, updated_at FROM memories")
        ).one()
    engine.dispose()
    assert row.thread_id == "c1" and row.position == 0
    assert row.terms == "run hangzhou" and row.updated_at is not None


def _seed_0005(url: str) -> None:
    """A user with a conversation, a turn, a memory, a profile and a record, as 0005 stored them."""
    upgrade(url, "0005")
    engine = make_engine(url)
    with engine.begin() as conn:
        for statement in (
            "INSERT INTO users (id, username, is_active, created_at) "
            "VALUES (1, 'a', 1, '2025-01-01')",
            "INSERT INTO conversations (id, user_id, title, created_at, updated_at) "
            "VALUES ('c1', 1, '我住在杭州 title', '2025-01-01', '2025-01-01')",
            "INSERT INTO conversation_history (id, user_id, conversation_id, input_text, "
            "output_text, status, created_at) VALUES (1, 1, 'c1', '我住在杭州 and I was running', "
            "'noted', 'answered', '2025-01-01')",
            "INSERT INTO memories (id, user_id, kind, text, position, terms, meta, created_at, "
            "updated_at) VALUES ('m1', 1, 'turn', 'I was running in Hangzhou', 0, "
            "'run hangzhou', '{}', '2025-01-01', '2025-01-01')",
            "INSERT INTO user_profiles (user_id, summary, preferences, summarized_turns, "
            "edited_by_user, created_at, updated_at) VALUES (1, 'runs daily', "
            "'{\"likes\": [\"tea\"]}', 0, 0, '2025-01-01', '2025-01-01')",
            "INSERT INTO user_data (id, user_id, data_type, data, recorded_at, created_at) "
            "VALUES (1, 1, 'health', '{\"steps\": 9000}', '2025-01-01', '2025-01-01')",
        ):
            conn.execute(text(statement))
    engine.dispose()


def test_upgrade_0006_encrypts_existing_rows_and_hashes_terms(tmp_path: Path) -> None:
    from memory.history import ChatHistory
    from memory.models import MemoryRow, UserData, UserProfile

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    _seed_0005(url)
    with pytest.raises(RuntimeError, match="encryption keys"):
        upgrade(url)  # rows to encrypt, but no keys: refused, nothing half-done
    upgrade(url, keyring=KEYRING)

    raw = make_engine(url)
    with raw.connect() as conn:
        turn = conn.execute(text("SELECT input_text FROM conversation_history")).scalar_one()
        title = conn.execute(text("SELECT title FROM conversations")).scalar_one()
        terms = conn.execute(text("SELECT terms FROM memories")).scalar_one()
    raw.dispose()
    assert "杭州" not in turn and "杭州" not in title
    assert terms.split() == KEYRING.hash_terms(["run", "hangzhou"])

    sessions = make_session_factory(make_engine(url, keyring=KEYRING))
    [read] = ChatHistory(sessions).turns(1, "c1")
    assert read.input_text == "我住在杭州 and I was running" and read.output_text == "noted"
    with sessions() as session:
        assert session.get_one(MemoryRow, "m1").text == "I was running in Hangzhou"
        assert session.get_one(UserProfile, 1).preferences == {"likes": ["tea"]}
        assert session.get_one(UserData, 1).data == {"steps": 9000}

    # And back: plaintext and plain terms again.
    downgrade(url, "0005", keyring=KEYRING)
    raw = make_engine(url)
    with raw.connect() as conn:
        assert (
            conn.execute(text("SELECT title FROM conversations")).scalar_one() == "我住在杭州 title"
        )
        assert conn.execute(text("SELECT terms FROM memories")).scalar_one() == "run hangzhou"
        assert conn.execute(text("SELECT count(*) FROM conversation_history")).scalar_one() == 1
    raw.dispose()


def _upgrade_0009_renumbers_doubled_positions(url: str) -> None:
    upgrade(url, "0007", keyring=KEYRING)
    engine = make_engine(url, keyring=KEYRING)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (id, username, is_active, created_at) "
                "VALUES (1, 'a', 1, '2025-01-01')"
            )
        )
    with engine.begin() as conn:
        # Two writers once took the same position 1 of thread c1 ("max + 1" without a lock).
        for memory_id, position, second, speaker in (
            ("m0", 0, 0, None),
            ("m1", 1, 1, "Melanie"),
            ("m2", 1, 2, None),
            ("m3", 2, 3, None),
        ):
            conn.execute(
                text(
                    "INSERT INTO memories (id, user_id, kind, text, thread_id, position, speaker, "
                    "terms, meta, created_at, updated_at) VALUES (:id, 1, 'turn', :text, 'c1', "
                    ":position, :speaker, '', '{}', :at, :at)"
                ),
                {
                    "id": memory_id,
                    "text": KEYRING.encrypt(f"turn {memory_id} with Caroline"),
                    "position": position,
                    "speaker": speaker,
                    "at": datetime(2025, 1, 1, 0, 0, second),
                },
            )
    upgrade(url, keyring=KEYRING)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, position, people FROM memories ORDER BY id")).all()
        clocks = conn.execute(text("SELECT user_id, seq FROM memory_clocks")).all()
    assert [(r.id, r.position) for r in rows] == [("m0", 0), ("m1", 1), ("m2", 2), ("m3", 3)]
    assert rows[1].people.split() == KEYRING.hash_terms(["melanie"])
    assert rows[0].people.split() == KEYRING.hash_terms(["caroline"])
    assert [(c.user_id, c.seq) for c in clocks] == [(1, 0)]
    downgrade(url, "0007", keyring=KEYRING)
    upgrade(url, keyring=KEYRING)
    engine.dispose()


def test_upgrade_0009_on_sqlite(tmp_path: Path) -> None:
    _upgrade_0009_renumbers_doubled_positions(f"sqlite:///{tmp_path / 'db.sqlite'}")


@pytest.mark.mysql
def test_upgrade_0009_on_mysql(mysql_url: str) -> None:
    _upgrade_0009_renumbers_doubled_positions(mysql_url)
