"""Upkeep of the stores: migrations, reindexing and key rotation."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.app import app, console, db_app, progress_bar, safe_url
from memadvisor.settings import get_settings


@app.command()
def reindex(
    full: Annotated[
        bool,
        typer.Option(
            "--full", help="Drop every vector and re-embed all (after changing the embedding model)"
        ),
    ] = False,
) -> None:
    """Make the vector memory agree with SQL (the source of truth), with a progress bar.

    By default indexes what is owed (e.g. written while the Chroma server was down) and removes
    vectors whose memory is gone; `--full` rebuilds every vector.
    """
    from agent.services import build_services
    from memory.retrieval.vectors import VectorStoreUnavailableError, drop_collection

    settings = get_settings()
    bulk = {"index_threads": 0, "index_when_idle": False}  # every core at once, unless set
    settings = settings.model_copy(
        update={k: v for k, v in bulk.items() if k not in settings.model_fields_set}
    )
    if full:  # also a collection built for another distance, which the index refuses to open
        drop_collection(
            collection=settings.chroma_collection,
            persist_dir=settings.chroma_dir,
            url=settings.chroma_url,
        )
    services = build_services(settings, inline_jobs=True)
    try:
        store = services.memory
        with progress_bar() as progress:
            if full:
                task = progress.add_task("Re-embedding memories", total=store.count())
                done = store.reindex(progress=lambda n: progress.advance(task, n))
                summary = f"Indexed {done} memories"
            else:
                task = progress.add_task("Indexing owed memories", total=store.count_pending())
                result = store.reconcile(progress=lambda n: progress.advance(task, n))
                summary = f"Indexed {result.indexed} owed, removed {result.removed} orphaned"
        console.print(f"{summary}; the vector index holds {store.vector_count()}.")
    except VectorStoreUnavailableError as exc:
        console.print(f"[red]Cannot reindex:[/] {exc}. Nothing is lost; run it again later.")
        raise typer.Exit(1) from exc
    finally:
        services.close()


@app.command("rotate-key")
def rotate_key() -> None:
    """Re-encrypt everything under the newest encryption key and re-hash keyword terms.

    Put the new key first in MEMADVISOR_ENCRYPTION_KEYS (keep the old ones after it), run this,
    then remove the old keys. In development without configured keys, a new key is added to
    `<data_dir>/keys.json` first. Stop the API while it runs, or restart it afterwards.
    """
    from agent.services import make_keyring
    from memory.rekey import rotate
    from memory.storage.crypto import add_development_key
    from memory.storage.db import make_engine

    settings = get_settings()
    if not settings.encryption_keys:
        add_development_key(settings.data_dir)
        console.print(f"Added a new key to {settings.data_dir / 'keys.json'}.")
    keyring = make_keyring(settings)
    engine = make_engine(settings.sqlalchemy_url, keyring=keyring)
    try:
        counts = rotate(engine, keyring)
    finally:
        engine.dispose()
    console.print(
        f"Re-encrypted {sum(v for k, v in counts.items() if k != 'memories.terms')} values and "
        f"re-hashed the terms of {counts['memories.terms']} memories under the newest key; "
        "older keys can now be removed."
    )


@app.command("generate-keys")
def generate_keys(
    compose: Annotated[
        bool,
        typer.Option(
            "--compose",
            help="Also the passwords deploy/docker-compose.yml needs (MariaDB, Grafana).",
        ),
    ] = False,
) -> None:
    """Print new random keys for a production `.env` (secret, encryption, term hash).

    Runs without any settings (production settings refuse to load until these keys are set), so
    `docker run --rm memadvisor-app memadvisor generate-keys --compose >> .env` makes a deployment's
    secrets before anything else is configured.
    """
    import json
    import secrets

    from cryptography.fernet import Fernet

    print(f"MEMADVISOR_SECRET_KEY={secrets.token_urlsafe(48)}")
    print(f"MEMADVISOR_ENCRYPTION_KEYS='{json.dumps([Fernet.generate_key().decode()])}'")
    print(f"MEMADVISOR_TERM_HASH_KEY={secrets.token_urlsafe(32)}")
    print(f"MEMADVISOR_ANALYTICS_HASH_KEY={secrets.token_urlsafe(32)}")
    if compose:  # URL-safe characters: the database password goes into a URL
        for name in COMPOSE_PASSWORDS:
            print(f"{name}={secrets.token_urlsafe(24)}")


COMPOSE_PASSWORDS = ("MYSQL_PASSWORD", "MYSQL_ROOT_PASSWORD", "GRAFANA_ADMIN_PASSWORD")
"""The variables deploy/docker-compose.yml requires besides the application's keys."""


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Create or migrate the database schema (SQLite file, MySQL or PostgreSQL)."""
    from agent.services import make_keyring
    from memory.storage.db import upgrade

    settings = get_settings()
    upgrade(settings.sqlalchemy_url, revision, keyring=make_keyring(settings))
    console.print(f"Database at {safe_url(settings.sqlalchemy_url)} is at revision {revision}.")
