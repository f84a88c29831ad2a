"""MariaDB/MySQL connections: a connection the server dropped is replaced, not a failed request."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from memory.accounts.users import Accounts
from memory.storage.db import make_engine, make_session_factory, upgrade
from tests.memory.test_migrations import KEYRING
from tests.mysql import mysql_database, server_engine

pytestmark = pytest.mark.mysql


@pytest.fixture
def engine() -> Iterator[Engine]:
    with mysql_database() as url:
        upgrade(url, keyring=KEYRING)
        engine = make_engine(url, keyring=KEYRING)
        yield engine
        engine.dispose()


def _connection_id(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT CONNECTION_ID()")).scalar_one())


def test_engine_speaks_utf8mb4_with_a_pool_that_pings(engine: Engine) -> None:
    assert engine.pool._pre_ping  # type: ignore[attr-defined]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT @@character_set_connection")).scalar_one() == "utf8mb4"


def test_a_killed_connection_is_replaced_on_the_next_request(engine: Engine) -> None:
    accounts = Accounts(make_session_factory(engine))
    accounts.local("alice")
    pooled = _connection_id(engine)  # back in the pool, idle, as between two requests

    admin = server_engine()
    with admin.begin() as conn:
        conn.execute(text(f"KILL {pooled}"))  # what a server restart or wait_timeout does
    admin.dispose()

    # The next request gets a working connection: the ping found the dead one and replaced it.
    assert accounts.by_username("alice") is not None
    assert accounts.local("bob").username == "bob"
    assert _connection_id(engine) != pooled
