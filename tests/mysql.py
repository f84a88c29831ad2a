"""Throwaway MariaDB/MySQL databases for the tests marked `mysql`.

Each test gets its own uniquely named utf8mb4 database on the server in `MEMADVISOR_TEST_MYSQL`
(default: root without a password on 127.0.0.1:3306, as `scripts/ensure-services.sh` starts it),
dropped afterwards, so parallel runs and other users of the server never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, text

MYSQL_SERVER = os.environ.get("MEMADVISOR_TEST_MYSQL", "mysql+pymysql://root@127.0.0.1:3306")


def server_engine() -> Engine:
    """An engine on the server itself (no database), for administration."""
    return create_engine(MYSQL_SERVER, pool_pre_ping=True)


@contextmanager
def mysql_database() -> Iterator[str]:
    """Create a unique utf8mb4 database, yield its URL, drop it."""
    name = f"memadvisor_test_{uuid.uuid4().hex[:12]}"
    server = server_engine()
    with server.begin() as conn:
        conn.execute(
            text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        )
    try:
        yield f"{MYSQL_SERVER}/{name}?charset=utf8mb4"
    finally:
        with server.begin() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        server.dispose()
