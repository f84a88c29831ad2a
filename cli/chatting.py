"""`memadvisor chat` and `memadvisor memories`: talk to the advisor and see what it remembers."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from cli.app import UserOption, app, console
from memadvisor.settings import get_settings

if TYPE_CHECKING:
    from agent.services import Services
    from memory.retrieval.store import Memory


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
                if event.answered_by == "fallback":  # no tokens: the answer comes whole
                    console.print("[yellow](answered without the model)[/]")
                    console.print(event.answer, markup=False, highlight=False, end="")
                if event.memory_status == "unavailable":
                    console.print("\n[yellow](memories unavailable for this answer)[/]", end="")
        console.print()
        # What the message said is remembered in the background; one person at a terminal
        # waits for it, so the next message already finds it.
        await asyncio.to_thread(services.jobs.drain)


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
