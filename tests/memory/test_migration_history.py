"""History is frozen: from 0001 to head, with data, on every database, the schema is the models'.

Each migration carries the constants and helpers it needs and imports no application code, so a
later change to live code cannot change what an old migration does. A database seeded as revision
0001 stored its rows is upgraded through every data migration to head; then autogenerate finds
nothing to do (the schema is what the models describe), and the old rows read back through
today's stores.

`DATABASES` names each engine the tests run on; another one (PostgreSQL) is one more entry there
and in `MARKS`.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from cryptography.fernet import Fernet
from sqlalchemy import text

from memory.accounts.users import Accounts
from memory.conversations.history import ChatHistory
from memory.retrieval.people import people_named
from memory.retrieval.tokenize import tokenize
from memory.storage.crypto import Keyring
from memory.storage.db import MIGRATIONS_DIR, make_engine, make_session_factory, upgrade
from memory.storage.models import Base, Feedback, MemoryRow, UserData, UserProfile
from tests.mysql import mysql_database

KEYRING = Keyring([Fernet.generate_key().decode()], "term-hash-key-for-tests-" * 2)

DATABASES: dict[str, Callable[[Path], AbstractContextManager[str]]] = {
    "sqlite": lambda folder: nullcontext(f"sqlite:///{folder / 'db.sqlite'}"),
    "mysql": lambda folder: mysql_database(),
}
"""A throwaway empty database of each kind, as a URL."""
MARKS: dict[str, list[pytest.MarkDecorator]] = {"mysql": [pytest.mark.mysql]}


@pytest.fixture(
    params=[pytest.param(name, id=name, marks=MARKS.get(name, ())) for name in DATABASES]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with DATABASES[request.param](tmp_path) as url:
        yield url


MEMORY_TEXT = "I went running with Mel around the West Lake in Hangzhou"

# Rows as revision 0001 stored them: plaintext, no keys, no threads, terms or people.
SEED_0001 = [
    "INSERT INTO users (id, username, is_active, created_at) VALUES (1, 'Alice', 1, '2025-01-01')",
    # A look-alike (Cyrillic а) that 0008 keeps under its own key, and a Chinese name.
    "INSERT INTO users (id, username, is_active, created_at) VALUES (2, 'аlice', 1, '2025-01-02')",
    "INSERT INTO users (id, username, is_active, created_at) VALUES (3, '小明', 1, '2025-01-03')",
    "INSERT INTO conversations (id, user_id, title, created_at, updated_at) "
    "VALUES ('c1', 1, '我住在杭州', '2025-01-01', '2025-01-01')",
    "INSERT INTO conversation_history (id, user_id, conversation_id, input_text, output_text, "
    "status, created_at) VALUES (1, 1, 'c1', '我住在杭州，喜欢跑步', 'Noted.', 'answered', "
    "'2025-01-01')",
    "INSERT INTO memories (id, user_id, kind, text, meta, created_at) VALUES ('m1', 1, 'turn', "
    f"'{MEMORY_TEXT}', '{{\"conversation_id\": \"c1\"}}', '2025-01-01')",
    "INSERT INTO memories (id, user_id, kind, text, meta, created_at) VALUES ('m2', 1, 'turn', "
    "'我和小红周末去爬山', '{\"conversation_id\": \"c1\"}', '2025-01-02')",
    "INSERT INTO user_profiles (user_id, summary, preferences, created_at, updated_at) "
    "VALUES (1, 'Runs most days.', '{\"likes\": [\"tea\"]}', '2025-01-01', '2025-01-01')",
    "INSERT INTO user_data (id, user_id, data_type, data, recorded_at, created_at) VALUES "
    "(1, 1, 'education', '{\"study_hours\": 1.5, \"subject\": \"IELTS\"}', '2025-01-01', "
    "'2025-01-01')",
    "INSERT INTO user_data (id, user_id, data_type, data, recorded_at, created_at) VALUES "
    "(2, 1, 'health', '{\"steps\": 9000}', '2025-01-01', '2025-01-01')",
    "INSERT INTO user_insights (id, user_id, category, text, severity, sources, created_at) "
    "VALUES (1, 1, 'health', 'You walk a lot.', 'good', '[\"data:2\"]', '2025-01-02')",
    "INSERT INTO feedback (id, user_id, target_type, target_id, rating, comment, adopted, "
    "created_at) VALUES (1, 1, 'turn', '1', 1, '很有帮助', 0, '2025-01-02')",
]


def _schema_differences(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def test_from_0001_to_head_with_data_the_schema_is_the_models(database_url: str) -> None:
    upgrade(database_url, "0001")
    engine = make_engine(database_url)
    with engine.begin() as conn:
        for statement in SEED_0001:
            conn.execute(text(statement))
    engine.dispose()

    upgrade(database_url, keyring=KEYRING)
    assert _schema_differences(database_url) == []

    engine = make_engine(database_url, keyring=KEYRING)
    sessions = make_session_factory(engine)
    try:
        # 0006 encrypted what users confided; today's stores read it back.
        [turn] = ChatHistory(sessions).turns(1, "c1")
        assert (turn.input_text, turn.output_text) == ("我住在杭州，喜欢跑步", "Noted.")
        with sessions() as session:
            memory = session.get_one(MemoryRow, "m1")
            assert memory.text == MEMORY_TEXT and memory.thread_id == "c1"
            # 0002 gave it terms, 0006 hashed them, 0009 found its people: as the live code would.
            assert memory.terms.split() == KEYRING.hash_terms(tokenize(MEMORY_TEXT))
            assert memory.people.split() == KEYRING.hash_terms(people_named(MEMORY_TEXT))
            second = session.get_one(MemoryRow, "m2")
            assert second.people.split() == KEYRING.hash_terms(people_named(second.text))
            assert [memory.position, second.position] == [0, 1]
            assert session.get_one(UserProfile, 1).preferences == {"likes": ["tea"]}
            # 0010: an old day's study hours became a session in minutes.
            assert session.get_one(UserData, 1).data == {"study_minutes": 90.0, "subject": "IELTS"}
            assert session.get_one(Feedback, 1).comment == "很有帮助"
        # 0008 keyed the names: the oldest owns the key, the look-alike keeps its exact name.
        accounts = Accounts(sessions)
        assert accounts.by_username("ALICE").id == 1  # type: ignore[union-attr]
        assert accounts.by_username("аlice").id == 2  # type: ignore[union-attr]
        assert accounts.by_username("小明").id == 3  # type: ignore[union-attr]
    finally:
        engine.dispose()


APPLICATION = {"agent", "api", "cli", "finetune", "memadvisor", "memory", "prompts"}


def test_no_migration_imports_the_application() -> None:
    """What a migration does depends on nothing a later commit can change but the migration."""
    versions = sorted((MIGRATIONS_DIR / "versions").glob("*.py"))
    assert len(versions) >= 13
    for path in versions:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            assert not {name.split(".")[0] for name in names} & APPLICATION, (path.name, names)
