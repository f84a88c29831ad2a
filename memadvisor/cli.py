"""`memadvisor`: serve the API, chat in the terminal, migrate the database, rebuild the index."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from memadvisor.settings import get_settings

if TYPE_CHECKING:
    from agent.services import Services
    from memory.store import Memory

app = typer.Typer(
    help="MemAdvisor: private memory and advice for local LLMs.", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console()

UserOption = Annotated[str, typer.Option("--user", "-u", help="The local user to act as.")]


@app.callback()
def _setup() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # no library may reach for a model hub
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    logging.basicConfig(
        level=get_settings().log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)  # one line per migration is enough


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
) -> None:
    """Start the HTTP API (REST, streaming chat, LangServe playground at /advisor/playground/)."""
    import uvicorn

    settings = get_settings()
    console.print(
        f"[bold]MemAdvisor[/] on http://{host}:{port}  (docs: /docs, playground: "
        f"/advisor/playground/)  model: {settings.llm_provider}, "
        f"data: {settings.data_dir.resolve()}"
    )
    uvicorn.run("api.main:create_app", factory=True, host=host, port=port, reload=reload)


@app.command()
def chat(
    user: UserOption = "me",
    conversation: Annotated[
        str | None, typer.Option(help="Continue this conversation id instead of a new one.")
    ] = None,
) -> None:
    """Chat in the terminal as a local user; answers stream token by token.

    Type /new for a new conversation, /memories to see what is remembered, /quit to leave.
    """
    from agent.services import build_services

    services = build_services(get_settings())
    try:
        account = services.accounts.local(user)
        console.print(f"[dim]Chatting as [bold]{account.username}[/]. /new, /memories, /quit.[/]")
        asyncio.run(_chat_loop(services, account.id, conversation))
    finally:
        services.close()


async def _chat_loop(services: Services, user_id: int, conversation_id: str | None) -> None:
    from agent.context import Context
    from agent.graph import compile_graph
    from agent.streaming import Recalled, Saved, Token, stream_turn

    graph = compile_graph(services)
    while True:
        try:
            message = (await asyncio.to_thread(console.input, "[bold cyan]you>[/] ")).strip()
        except (EOFError, KeyboardInterrupt):
            console.print()
            return
        if not message:
            continue
        if message in ("/quit", "/exit"):
            return
        if message == "/new":
            conversation_id = None
            console.print("[dim]New conversation.[/]")
            continue
        if message == "/memories":
            _print_memories(services.memory.list(user_id, limit=20))
            continue
        console.print("[bold green]advisor>[/] ", end="")
        context = Context(user_id=user_id, conversation_id=conversation_id)
        async for event in stream_turn(graph, message, context):
            if isinstance(event, Token):
                console.print(event.text, end="", markup=False, highlight=False)
            elif isinstance(event, Recalled) and event.memories:
                console.print(f"[dim](recalled {len(event.memories)} memories)[/] ", end="")
            elif isinstance(event, Saved):
                conversation_id = event.conversation_id
        console.print()


@app.command()
def memories(
    user: UserOption = "me",
    query: Annotated[str | None, typer.Option("--query", "-q", help="Search by meaning.")] = None,
    limit: int = 20,
) -> None:
    """List (or search) what is remembered about a local user."""
    from agent.services import build_services

    services = build_services(get_settings())
    try:
        account = services.accounts.by_username(user)
        if account is None:
            raise typer.BadParameter(f"no user named {user!r}", param_hint="--user")
        store = services.memory
        found = (
            store.search(account.id, query, limit) if query else store.list(account.id, limit=limit)
        )
        _print_memories(found)
    finally:
        services.close()


def _print_memories(found: Sequence[Memory]) -> None:
    table = Table("when", "kind", "score", "text", show_lines=False)
    for m in found:
        score = "" if m.score is None else f"{m.score:.2f}"
        table.add_row(f"{m.created_at:%Y-%m-%d %H:%M}", m.kind, score, m.text)
    console.print(table if found else "[dim]Nothing remembered yet.[/]")


@app.command()
def reindex() -> None:
    """Rebuild the vector memory from SQL (the source of truth), with a progress bar."""
    from agent.services import build_services

    services = build_services(get_settings(), inline_jobs=True)
    try:
        store = services.memory
        total = store.count()
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("Re-embedding memories", total=total)
            done = store.reindex(progress=lambda n: progress.advance(task, n))
        console.print(f"Indexed {done} memories; the vector index holds {store.vector_count()}.")
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
    from memory.crypto import add_development_key
    from memory.db import make_engine
    from memory.rekey import rotate

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
def generate_keys() -> None:
    """Print new random keys for a production `.env` (secret, encryption, term hash)."""
    import json
    import secrets

    from cryptography.fernet import Fernet

    print(f"MEMADVISOR_SECRET_KEY={secrets.token_urlsafe(48)}")
    print(f"MEMADVISOR_ENCRYPTION_KEYS='{json.dumps([Fernet.generate_key().decode()])}'")
    print(f"MEMADVISOR_TERM_HASH_KEY={secrets.token_urlsafe(32)}")
    print(f"MEMADVISOR_ANALYTICS_HASH_KEY={secrets.token_urlsafe(32)}")


@app.command("export-analytics")
def export_analytics(
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the JSON document.")],
) -> None:
    """Write anonymised usage statistics: counts per pseudonymous user, no names, ids or text."""
    import json

    from agent.services import analytics_key, make_keyring
    from memory.analytics import analytics_report
    from memory.db import make_engine, make_session_factory

    settings = get_settings()
    engine = make_engine(settings.sqlalchemy_url, keyring=make_keyring(settings))
    try:
        report = analytics_report(make_session_factory(engine), analytics_key(settings))
    finally:
        engine.dispose()
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    console.print(f"Wrote statistics of {report['totals']['users']} users to {out}.")


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Create or migrate the database schema (SQLite file or MySQL)."""
    from agent.services import make_keyring
    from memory.db import upgrade

    settings = get_settings()
    upgrade(settings.sqlalchemy_url, revision, keyring=make_keyring(settings))
    console.print(f"Database at {_safe_url(settings.sqlalchemy_url)} is at revision {revision}.")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    app()
