"""Engines, sessions and migrations for SQLite (embedded default), MySQL and PostgreSQL (scaled)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from memory.storage.crypto import Keyring, attach

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def make_engine(url: str, *, keyring: Keyring | None = None) -> Engine:
    """Create an engine with the settings each backend needs to be safe and fast.

    SQLite: foreign keys on (for ON DELETE CASCADE), WAL so readers do not block the writer,
    deleted content overwritten (erasure leaves no text in the file), the parent folder created.
    MySQL and PostgreSQL (`postgresql+psycopg://`): pings before reuse and recycling, so a dropped
    connection is replaced instead of failing a request; MySQL in utf8mb4 so Chinese and emoji
    survive, PostgreSQL sessions in UTC so stored times never depend on the server's zone. With a
    `keyring`, the engine reads and writes encrypted columns; without one, touching them fails.
    """
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")  # the driver we ship (psycopg 3)
    backend = parsed.get_backend_name()
    kwargs: dict[str, Any] = {}
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        kwargs.update(pool_pre_ping=True, pool_recycle=1800, pool_size=10, max_overflow=20)
        if backend == "mysql" and "charset" not in parsed.query:
            parsed = parsed.update_query_dict({"charset": "utf8mb4"})
        elif backend == "postgresql":
            kwargs["connect_args"] = {"options": "-c timezone=UTC"}
    # An error's text never carries the statement's values (what users confide).
    engine = create_engine(parsed, hide_parameters=True, **kwargs)
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    if keyring is not None:
        attach(engine, keyring)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA secure_delete=ON")  # erased rows are overwritten, not left in free pages
    cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded attributes after commit (rows are handed to other layers)."""
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str, keyring: Keyring | None = None) -> Config:
    """An Alembic config that works from a source checkout and from an installed package.

    Migrations that encrypt or decrypt existing rows find the keys in `attributes["keyring"]`.
    """
    config = Config()
    config.attributes["keyring"] = keyring
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head", *, keyring: Keyring | None = None) -> None:
    """Bring the database at `url` to `revision` (creating a SQLite file if needed).

    The keyring is needed when existing rows must be encrypted (revision 0006).
    """
    make_engine(url).dispose()  # creates the SQLite parent folder
    command.upgrade(alembic_config(url, keyring), revision)


def downgrade(url: str, revision: str, *, keyring: Keyring | None = None) -> None:
    """Step the schema back (used by the migration round-trip test)."""
    command.downgrade(alembic_config(url, keyring), revision)
