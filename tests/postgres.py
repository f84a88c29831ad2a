"""Throwaway PostgreSQL databases for the tests marked `postgres`.

Each test gets its own uniquely named UTF-8 database on the server in `MEMADVISOR_TEST_POSTGRES`
(default: the `postgres` role, trusted, on 127.0.0.1:5432, as `scripts/ensure-services.sh` starts
it), dropped afterwards, so parallel runs and other users of the server never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, text

POSTGRES_SERVER = os.environ.get(
    "MEMADVISOR_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432"
)


def server_engine() -> Engine:
    """An engine on the server's `postgres` database, for administration (outside transactions)."""
    return create_engine(f"{POSTGRES_SERVER}/postgres", isolation_level="AUTOCOMMIT")


@contextmanager
def postgres_database() -> Iterator[str]:
    """Create a unique UTF-8 database, yield its URL, drop it (closing what still uses it)."""
    name = f"memadvisor_test_{uuid.uuid4().hex[:12]}"
    server = server_engine()
    with server.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0"))
    try:
        yield f"{POSTGRES_SERVER}/{name}"
    finally:
        with server.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        server.dispose()
