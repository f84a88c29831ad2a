"""`memadvisor`: serve the API, run background workers, chat in the terminal, migrate, reindex."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from memadvisor.settings import get_settings

if TYPE_CHECKING:
    from agent.services import Services
    from memory.datatypes import DataType
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
                if event.memory_status == "unavailable":
                    console.print("\n[yellow](memories unavailable for this answer)[/]", end="")
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
    from memory.vectors import VectorStoreUnavailableError, drop_collection

    settings = get_settings()
    if full:  # also a collection built for another distance, which the index refuses to open
        drop_collection(
            collection=settings.chroma_collection,
            persist_dir=settings.chroma_dir,
            url=settings.chroma_url,
        )
    services = build_services(settings, inline_jobs=True)
    try:
        store = services.memory
        with _progress() as progress:
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


def _progress() -> Progress:
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    )


def _local_user(services: Services, username: str) -> int:
    account = services.accounts.by_username(username)
    if account is None:
        raise typer.BadParameter(f"no user named {username!r}", param_hint="--user")
    return account.id


@app.command()
def consent(
    types: Annotated[list[str], typer.Argument(help="health, finance, education, behavior.")],
    user: UserOption = "me",
    withdraw: Annotated[bool, typer.Option(help="Turn consent off instead of on.")] = False,
) -> None:
    """Allow (or stop) the collection and use of data types for a local user."""
    from agent.services import build_services
    from memory.datatypes import DATA_TYPES

    unknown = [t for t in types if t not in DATA_TYPES]
    if unknown:
        raise typer.BadParameter(f"unknown types {unknown}; use {', '.join(DATA_TYPES)}")
    services = build_services(get_settings())
    try:
        user_id = services.accounts.local(user).id
        changes = {cast("DataType", t): not withdraw for t in types}
        now = services.user_data.consents.set(user_id, changes)
        console.print(
            "Consent: " + ", ".join(f"{t} {'on' if on else 'off'}" for t, on in now.items())
        )
    finally:
        services.close()


@app.command("import")
def import_data(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="A .csv or .json file.")
    ],
    user: UserOption = "me",
    strict: Annotated[bool, typer.Option(help="Write nothing if any row is rejected.")] = False,
) -> None:
    """Import health, finance, education or behavior records (see the README for the columns).

    Every row is validated; valid rows are written in one transaction, then indexed for chat with
    a progress bar; each rejected row is listed with its reasons.
    """
    from agent.services import build_services
    from memory.importing import ImportFormatError, parse_import

    services = build_services(get_settings(), inline_jobs=True)
    try:
        user_id = services.accounts.local(user).id
        try:
            parsed = parse_import(file.read_bytes(), file.name)
        except ImportFormatError as exc:
            console.print(f"[red]Cannot import {file}:[/] {exc}")
            raise typer.Exit(1) from exc
        allowed = services.user_data.consents.granted(user_id)
        rejected = list(parsed.rejected)
        accepted = []
        for number, record in parsed.records:
            if record.data_type in allowed:
                accepted.append(record)
            else:
                rejected.append(
                    (
                        number,
                        [
                            f"no consent for {record.data_type} "
                            f"(run `memadvisor consent {record.data_type}`)"
                        ],
                    )
                )
        for number, errors in sorted(rejected):
            console.print(f"[yellow]row {number}[/]: " + "; ".join(errors))
        if not accepted or (strict and rejected):
            console.print(f"Nothing written ({len(accepted)} valid, {len(rejected)} rejected).")
            raise typer.Exit(1 if rejected else 0)
        rows = services.user_data.add_many(user_id, accepted)
        with _progress() as progress:
            task = progress.add_task("Indexing for chat", total=services.memory.count_pending())
            services.memory.index_pending(progress=lambda n: progress.advance(task, n))
        insights = services.analyst.analyse_user(user_id)
        console.print(
            f"Imported {len(rows)} records, rejected {len(rejected)}; {insights} insights now."
        )
    finally:
        services.close()


@app.command()
def summarize(user: UserOption = "me") -> None:
    """Rerun the analysers and rewrite a user's profile summary with the model, now."""
    from agent.services import build_services
    from agent.structured import StructuredOutputError

    services = build_services(get_settings(), inline_jobs=True)
    try:
        user_id = _local_user(services, user)
        services.analyst.analyse_user(user_id)
        try:
            profile = services.summarize_profile(user_id, force=True)
        except StructuredOutputError as exc:
            console.print(f"[red]The model gave no valid profile; nothing changed:[/] {exc}")
            raise typer.Exit(1) from exc
        console.print(f"[bold]Summary:[/] {profile.summary or '(none yet)'}")
        for name, items in profile.preferences.items():
            console.print(f"[bold]{name}:[/] {', '.join(items) or '-'}")
        for insight in services.insights.list(user_id):
            console.print(f"[{insight.severity}] {insight.text}")
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


@app.command()
def worker(
    concurrency: Annotated[
        int, typer.Option(help="Jobs run at once (processes); each loads its own models.")
    ] = 1,
    name: Annotated[
        str | None, typer.Option(help="Node name, unique per machine (default celery@host).")
    ] = None,
) -> None:
    """Run background jobs from Redis as a Celery worker (`MEMADVISOR_JOBS=celery`).

    On start it enqueues `reconcile`, so work that Redis lost and SQL still owes gets done.
    """
    from agent.celery_jobs import QUEUE, CeleryJobs, make_celery
    from agent.jobs import JobFunction
    from agent.services import build_services, job_registry

    settings = get_settings()

    def registry() -> dict[str, JobFunction]:
        services = build_services(settings, migrate=False, jobs=CeleryJobs(celery))
        return job_registry(services)

    celery = make_celery(settings, registry)
    CeleryJobs(celery).enqueue("reconcile")
    argv = ["worker", f"--concurrency={concurrency}", f"--queues={QUEUE}"]
    argv += [f"--loglevel={settings.log_level.upper()}"] + ([f"--hostname={name}"] if name else [])
    celery.worker_main(argv)


@app.command()
def beat() -> None:
    """Send the scheduled jobs to the workers; run exactly one beat per deployment.

    Owed work every `MEMADVISOR_RECONCILE_SECONDS`; analysis and profile refresh once a day.
    """
    from agent.celery_jobs import make_celery

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    schedule = settings.data_dir / "celerybeat-schedule"
    make_celery(settings).start(
        ["beat", f"--schedule={schedule}", f"--loglevel={settings.log_level.upper()}"]
    )


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
