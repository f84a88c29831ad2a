"""The one Alembic migration path runs on SQLite, MariaDB/MySQL and PostgreSQL, up and down."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import inspect, text

from memory.accounts.users import Accounts
from memory.conversations.history import ChatHistory
from memory.storage.crypto import Keyring
from memory.storage.db import downgrade, make_engine, make_session_factory, upgrade
from memory.storage.models import Base
from tests.mysql import mysql_database
from tests.postgres import postgres_database

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


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with postgres_database() as url:
        yield url


@pytest.mark.mysql
def test_mysql_round_trip_and_utf8mb4(mysql_url: str) -> None:
    _round_trip(mysql_url)
    _unicode_survives(mysql_url)


@pytest.mark.postgres
def test_postgres_round_trip_and_unicode(postgres_url: str) -> None:
    _round_trip(postgres_url)
    _unicode_survives(postgres_url)


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


@pytest.mark.postgres
def test_models_and_migrations_agree_on_postgres(postgres_url: str) -> None:
    _models_and_migrations_agree(postgres_url)


def test_upgrade_0002_gives_existing_memories_terms_threads_and_order(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade(url, "0001")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (id, username, is_active, created_at) "
                "VALUES (1, 'a', true, '2025-01-01')"
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
            "VALUES (1, 'a', true, '2025-01-01')",
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
            "'{\"likes\": [\"tea\"]}', 0, false, '2025-01-01', '2025-01-01')",
            "INSERT INTO user_data (id, user_id, data_type, data, recorded_at, created_at) "
            "VALUES (1, 1, 'health', '{\"steps\": 9000}', '2025-01-01', '2025-01-01')",
        ):
            conn.execute(text(statement))
    engine.dispose()


def test_upgrade_0006_encrypts_existing_rows_and_hashes_terms(tmp_path: Path) -> None:
    from memory.conversations.history import ChatHistory
    from memory.storage.models import MemoryRow, UserData, UserProfile

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


def _upgrade_0008_keys_names_and_keeps_look_alike_accounts(url: str) -> None:
    """Existing look-alike names (Latin `alice`, Cyrillic `аlice`, as 0007 allowed) all survive:
    the oldest owns the key, the later one keeps signing in with its exact name, and no new
    variant can be registered."""
    from memory.accounts.users import UsernameTakenError

    upgrade(url, "0007")
    engine = make_engine(url)
    with engine.begin() as conn:
        for user_id, name in ((1, "alice"), (2, "аlice"), (3, "Bob")):
            conn.execute(
                text(
                    "INSERT INTO users (id, username, is_active, created_at) "
                    "VALUES (:id, :name, true, '2025-01-01')"
                ),
                {"id": user_id, "name": name},
            )
    upgrade(url, "0008")
    with engine.connect() as conn:
        keys = dict(conn.execute(text("SELECT id, username_key FROM users")).all())
    assert keys == {1: "alice", 2: "alice#2", 3: "bob"}

    accounts = Accounts(make_session_factory(engine))
    assert accounts.by_username("аlice").id == 2  # type: ignore[union-attr]
    assert accounts.by_username("ALICE").id == 1  # type: ignore[union-attr]
    assert accounts.by_username("ｂｏｂ").id == 3  # type: ignore[union-attr]
    for variant in ("Alice", "ａｌｉｃｅ", "BOB"):
        with pytest.raises(UsernameTakenError):
            accounts.create(variant, password_hash=None)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM user_profiles"))
        conn.execute(text("DELETE FROM users WHERE id > 3"))
    downgrade(url, "0007")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM users")).scalar_one() == 3
    upgrade(url)
    engine.dispose()


def test_upgrade_0008_keys_names_and_keeps_look_alike_accounts(tmp_path: Path) -> None:
    _upgrade_0008_keys_names_and_keeps_look_alike_accounts(f"sqlite:///{tmp_path / 'db.sqlite'}")


@pytest.mark.mysql
def test_upgrade_0008_on_mysql(mysql_url: str) -> None:
    _upgrade_0008_keys_names_and_keeps_look_alike_accounts(mysql_url)


@pytest.mark.postgres
def test_upgrade_0008_on_postgres(postgres_url: str) -> None:
    _upgrade_0008_keys_names_and_keeps_look_alike_accounts(postgres_url)


def _feedback_with_memories_is_filled(url: str) -> None:
    """0011 marks existing feedback on answers with whether the answer had memories."""
    upgrade(url, "0007", keyring=KEYRING)
    engine = make_engine(url)
    with engine.begin() as conn:
        for statement in (
            "INSERT INTO users (id, username, is_active, created_at) "
            "VALUES (1, 'a', true, '2025-01-01')",
            "INSERT INTO conversations (id, user_id, title, created_at, updated_at) "
            "VALUES ('c1', 1, 'x', '2025-01-01', '2025-01-01')",
            "INSERT INTO conversation_history (id, user_id, conversation_id, input_text, status, "
            "memories_used, created_at) VALUES (1, 1, 'c1', 'x', 'answered', "
            '\'[{"id": "m1", "score": 0.9}]\', \'2025-01-01\')',
            "INSERT INTO conversation_history (id, user_id, conversation_id, input_text, status, "
            "memories_used, created_at) VALUES (2, 1, 'c1', 'x', 'answered', '[]', '2025-01-01')",
        ):
            conn.execute(text(statement))
        for feedback_id, target_type, target_id in (
            (1, "turn", "1"),
            (2, "turn", "2"),
            (3, "recommendation", "r-health-1"),
        ):
            conn.execute(
                text(
                    "INSERT INTO feedback (id, user_id, target_type, target_id, rating, adopted, "
                    "created_at) VALUES (:id, 1, :type, :target, 1, false, '2025-01-01')"
                ),
                {"id": feedback_id, "type": target_type, "target": target_id},
            )
    upgrade(url, keyring=KEYRING)
    with engine.connect() as conn:
        filled = dict(conn.execute(text("SELECT id, with_memories FROM feedback")).all())
    engine.dispose()
    assert {k: None if v is None else bool(v) for k, v in filled.items()} == {
        1: True,
        2: False,
        3: None,
    }


def test_upgrade_0011_fills_feedback_with_memories(tmp_path: Path) -> None:
    _feedback_with_memories_is_filled(f"sqlite:///{tmp_path / 'db.sqlite'}")


@pytest.mark.mysql
def test_upgrade_0011_fills_feedback_with_memories_on_mysql(mysql_url: str) -> None:
    _feedback_with_memories_is_filled(mysql_url)


@pytest.mark.postgres
def test_upgrade_0011_fills_feedback_with_memories_on_postgres(postgres_url: str) -> None:
    _feedback_with_memories_is_filled(postgres_url)


def _upgrade_0010_turns_study_hours_into_sessions(url: str) -> None:
    """An old `study_hours` (hours studied that day) becomes a session of as many minutes."""
    import json

    upgrade(url, "0007", keyring=KEYRING)
    engine = make_engine(url)
    old = [
        (1, "education", {"study_hours": 2.5, "goals": ["IELTS 7"]}),
        (2, "education", {"courses": ["Calculus"]}),
        (3, "health", {"steps": 9000}),
    ]
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (id, username, is_active, created_at) "
                "VALUES (1, 'a', true, '2025-01-01')"
            )
        )
        for row_id, data_type, data in old:
            conn.execute(
                text(
                    "INSERT INTO user_data (id, user_id, data_type, data, recorded_at, created_at) "
                    "VALUES (:id, 1, :type, :data, '2025-01-01', '2025-01-01')"
                ),
                {"id": row_id, "type": data_type, "data": KEYRING.encrypt(json.dumps(data))},
            )
    engine.dispose()

    def stored() -> dict[int, dict[str, object]]:
        raw = make_engine(url)
        with raw.connect() as conn:
            rows = conn.execute(text("SELECT id, data FROM user_data ORDER BY id")).all()
        raw.dispose()
        return {row_id: json.loads(KEYRING.decrypt(data)) for row_id, data in rows}

    with pytest.raises(RuntimeError, match="encryption keys"):
        upgrade(url)  # education rows to rewrite, but no keys: refused
    upgrade(url, keyring=KEYRING)
    assert stored() == {
        1: {"study_minutes": 150.0, "goals": ["IELTS 7"]},
        2: {"courses": ["Calculus"]},
        3: {"steps": 9000},
    }
    assert "height_cm" in {
        c["name"] for c in inspect(make_engine(url)).get_columns("user_profiles")
    }
    downgrade(url, "0007", keyring=KEYRING)
    assert stored()[1] == {"study_hours": 2.5, "goals": ["IELTS 7"]}
    upgrade(url, keyring=KEYRING)


def test_upgrade_0010_on_sqlite(tmp_path: Path) -> None:
    _upgrade_0010_turns_study_hours_into_sessions(f"sqlite:///{tmp_path / 'db.sqlite'}")


@pytest.mark.mysql
def test_upgrade_0010_on_mysql(mysql_url: str) -> None:
    _upgrade_0010_turns_study_hours_into_sessions(mysql_url)


@pytest.mark.postgres
def test_upgrade_0010_on_postgres(postgres_url: str) -> None:
    _upgrade_0010_turns_study_hours_into_sessions(postgres_url)


def test_upgrade_0012_records_who_answered_and_reads_older_turns_as_the_model(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade(url, "0011", keyring=KEYRING)
    engine = make_engine(url, keyring=KEYRING)
    sessions = make_session_factory(engine)
    user = Accounts(sessions).create("a", password_hash=None)
    engine.dispose()
    upgrade(url, keyring=KEYRING)
    engine = make_engine(url, keyring=KEYRING)
    sessions = make_session_factory(engine)
    history = ChatHistory(sessions)
    old = history.begin_turn(user.id, None, "hello")
    with engine.begin() as conn:  # a turn answered before the column existed
        conn.execute(text("UPDATE conversation_history SET status='answered', answered_by=NULL"))
    assert history.get_turn(user.id, old.id).answered_by == "model"  # type: ignore[union-attr]
    new = history.begin_turn(user.id, old.conversation_id, "你好")
    history.finish_turn(
        user.id,
        new.conversation_id,
        new.id,
        "…",
        prompt_version="f",
        model_name="m",
        answered_by="fallback",
    )
    assert history.get_turn(user.id, new.id).answered_by == "fallback"  # type: ignore[union-attr]
    engine.dispose()
    downgrade(url, "0011")
    engine = make_engine(url)
    columns = {c["name"] for c in inspect(engine).get_columns("conversation_history")}
    engine.dispose()
    assert "answered_by" not in columns


def _upgrade_0009_renumbers_doubled_positions(url: str) -> None:
    upgrade(url, "0007", keyring=KEYRING)
    engine = make_engine(url, keyring=KEYRING)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (id, username, is_active, created_at) "
                "VALUES (1, 'a', true, '2025-01-01')"
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


@pytest.mark.postgres
def test_upgrade_0009_on_postgres(postgres_url: str) -> None:
    _upgrade_0009_renumbers_doubled_positions(postgres_url)


def test_upgrade_0014_gives_integer_keys_autoincrement_and_keeps_every_row(
    tmp_path: Path,
) -> None:
    """SQLite's tables are rebuilt with AUTOINCREMENT, rows and encrypted text intact; the ids of
    the erased highest rows are not handed out again."""
    from memory.storage.models import NEVER_REUSED

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade(url, "0013", keyring=KEYRING)
    engine = make_engine(url, keyring=KEYRING)
    sessions = make_session_factory(engine)
    accounts, history = Accounts(sessions), ChatHistory(sessions)
    alice, bob = (accounts.create(name, password_hash=None) for name in ("alice", "bob"))
    kept = history.begin_turn(alice.id, None, "我住在杭州")
    gone = history.begin_turn(bob.id, None, "bob's turn")
    engine.dispose()

    upgrade(url, keyring=KEYRING)
    engine = make_engine(url, keyring=KEYRING)
    sessions = make_session_factory(engine)
    accounts, history = Accounts(sessions), ChatHistory(sessions)
    with engine.connect() as conn:
        ddl = dict(
            conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type='table'")).all()
        )
    rebuilt = {t.name for t in Base.metadata.sorted_tables if t.kwargs == NEVER_REUSED}
    assert len(rebuilt) == 10
    assert {name for name, sql in ddl.items() if "AUTOINCREMENT" in sql} == rebuilt
    assert [t.input_text for t in history.turns(alice.id, kept.conversation_id)] == ["我住在杭州"]
    assert accounts.by_username("bob") is not None

    with engine.begin() as conn:  # the highest user and turn go (as erasure deletes them)
        conn.execute(text("PRAGMA foreign_keys=ON"))
        conn.execute(text("DELETE FROM users WHERE id = :id"), {"id": bob.id})
    carol = accounts.create("carol", password_hash=None)
    turn = history.begin_turn(carol.id, None, "carol's turn")
    engine.dispose()
    assert carol.id > bob.id and turn.id > gone.id
    _models_and_migrations_agree(url)


def _upgrade_0016_reads_the_writer_of_older_sets_from_their_prompt_version(url: str) -> None:
    upgrade(url, "0013", keyring=KEYRING)
    engine = make_engine(url, keyring=KEYRING)
    user = Accounts(make_session_factory(engine)).create("a", password_hash=None)
    with engine.begin() as conn:
        for row_id, version in (("r1", "advice-rules-v2"), ("r2", "recommend-v3")):
            conn.execute(
                text(
                    "INSERT INTO recommendations (id, user_id, payload, basis, language, "
                    "prompt_version, created_at) VALUES (:id, :user, :payload, 'b', 'en', "
                    ":version, :at)"
                ),
                {
                    "id": row_id,
                    "user": user.id,
                    "payload": KEYRING.encrypt("{}"),
                    "version": version,
                    "at": datetime(2026, 1, 1),
                },
            )
    upgrade(url, keyring=KEYRING)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, written_by, written_by_reason FROM recommendations ORDER BY id")
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [("r1", "rules", None), ("r2", "model", None)]
    downgrade(url, "0013", keyring=KEYRING)
    upgrade(url, keyring=KEYRING)


def test_upgrade_0016_on_sqlite(tmp_path: Path) -> None:
    _upgrade_0016_reads_the_writer_of_older_sets_from_their_prompt_version(
        f"sqlite:///{tmp_path / 'db.sqlite'}"
    )


@pytest.mark.mysql
def test_upgrade_0016_on_mysql(mysql_url: str) -> None:
    _upgrade_0016_reads_the_writer_of_older_sets_from_their_prompt_version(mysql_url)


@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "postgresql+psycopg"])
def test_postgresql_urls_use_the_shipped_driver(scheme: str) -> None:
    engine = make_engine(f"{scheme}://user@db.example:5432/memadvisor")  # nothing is connected
    assert (engine.dialect.name, engine.dialect.driver) == ("postgresql", "psycopg")
    engine.dispose()


@pytest.mark.postgres
def test_times_survive_a_postgresql_server_in_another_zone(postgres_url: str) -> None:
    database = postgres_url.rsplit("/", 1)[1]
    with make_engine(postgres_url).connect() as conn:
        conn.execute(text(f"ALTER DATABASE {database} SET timezone TO 'Asia/Shanghai'"))
        conn.commit()
    upgrade(postgres_url, keyring=KEYRING)
    engine = make_engine(postgres_url, keyring=KEYRING)
    sessions = make_session_factory(engine)
    user = Accounts(sessions).create("a", password_hash=None)
    turn = ChatHistory(sessions).begin_turn(user.id, None, "hello")
    stored = ChatHistory(sessions).get_turn(user.id, turn.id)
    engine.dispose()
    assert stored is not None and stored.created_at == turn.created_at
