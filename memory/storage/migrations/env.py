"""Alembic environment: migrates the URL `memory.storage.db.alembic_config` put in the config."""

from typing import Any

from alembic import context

from memory.storage.crypto import EncryptedJSON, EncryptedText
from memory.storage.db import make_engine
from memory.storage.models import Base, UTCDateTime

config = context.config
target_metadata = Base.metadata

# Tables that other libraries own (LangGraph checkpointers) are left alone by autogenerate.
FOREIGN_TABLES = {"checkpoints", "checkpoint_blobs", "checkpoint_writes", "checkpoint_migrations"}


def include_object(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    return not (type_ == "table" and name in FOREIGN_TABLES)


def render_item(type_, obj, autogen_context):  # type: ignore[no-untyped-def]
    """Render our UTCDateTime as the plain column type, so migrations never import the models."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        autogen_context.imports.add("from sqlalchemy.dialects import mysql")
        return 'sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql")'
    if type_ == "type" and isinstance(obj, EncryptedText | EncryptedJSON):
        autogen_context.imports.add("from sqlalchemy.dialects import mysql")
        return 'sa.Text().with_variant(mysql.LONGTEXT(), "mysql")'
    return False


# SQLite needs batch mode to alter tables; MySQL ignores it.
OPTIONS: dict[str, Any] = {
    "target_metadata": target_metadata,
    "render_as_batch": True,
    "compare_type": True,
    "include_object": include_object,
    "render_item": render_item,
}


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True, **OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url") or ""
    engine = make_engine(url, keyring=config.attributes.get("keyring"))
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            # Batch mode recreates a table to alter it; with foreign keys on, dropping the old
            # copy of a parent table would cascade into its children's rows.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()  # end SQLAlchemy's implicit transaction, so Alembic commits its own
        context.configure(connection=connection, **OPTIONS)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
