"""`memadvisor token` and `memadvisor mcp`: personal access tokens, and the MCP server on stdio."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from cli.app import UserOption, app, console, local_user
from memadvisor.settings import get_settings

if TYPE_CHECKING:
    from memory.accounts.tokens import TokenScope

token_app = typer.Typer(
    help="Personal access tokens: what MCP clients sign in with (shown once, stored as a hash).",
    no_args_is_help=True,
)
app.add_typer(token_app, name="token")


@token_app.command("create")
def create_token(
    name: Annotated[str, typer.Option(help="What the token is for, e.g. 'Claude Desktop'.")],
    user: UserOption = "me",
    scope: Annotated[
        str, typer.Option(help="`read` (search and read) or `read_write` (also add and delete).")
    ] = "read",
    expires_in_days: Annotated[
        int | None,
        typer.Option(min=1, max=3650, help="Days until it stops working; default: never."),
    ] = None,
) -> None:
    """Make a token for a local user and print it once (it cannot be shown again)."""
    from agent.services import build_services
    from memory.accounts.tokens import SCOPES, TooManyTokensError

    if scope not in SCOPES or not name.strip():
        raise typer.BadParameter(
            f"use --scope {' or '.join(SCOPES)} and a --name"
            if name.strip()
            else "give the token a --name",
        )
    chosen: TokenScope = "read_write" if scope == "read_write" else "read"
    services = build_services(get_settings())
    try:
        user_id = services.accounts.local(user).id
        issued = services.access_tokens.create(
            user_id, name=name.strip()[:100], scope=chosen, expires_in_days=expires_in_days
        )
    except TooManyTokensError as exc:
        raise typer.BadParameter(str(exc)) from exc
    finally:
        services.close()
    expiry = issued.row.expires_at
    until = f"until {expiry:%Y-%m-%d %H:%M} UTC" if expiry else "until revoked"
    console.print(
        f"Token {issued.row.id} for {user} ({chosen}, {until}). Copy it now; it is not shown "
        "again:",
        highlight=False,
    )
    print(issued.token)


@token_app.command("list")
def list_tokens(user: UserOption = "me") -> None:
    """A local user's tokens (never the tokens themselves)."""
    from agent.services import build_services

    services = build_services(get_settings())
    try:
        rows = services.access_tokens.list(local_user(services, user))
    finally:
        services.close()
    if not rows:
        console.print(f"{user} has no access tokens.", highlight=False)
    for row in rows:  # one line each, never wrapped: the id is what `token revoke` takes
        console.print(
            f"{row.id}  {row.scope:<10}  …{row.hint}  created {_when(row.created_at)}  "
            f"last used {_when(row.last_used_at)}  expires {_when(row.expires_at)}  {row.name}",
            highlight=False,
            soft_wrap=True,
        )


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment else "never"


@token_app.command("revoke")
def revoke_token(
    token_id: Annotated[str, typer.Argument(help="The id `memadvisor token list` shows.")],
    user: UserOption = "me",
) -> None:
    """Revoke one of a local user's tokens: it stops working at once, everywhere."""
    from agent.services import build_services

    services = build_services(get_settings())
    try:
        revoked = services.access_tokens.revoke(local_user(services, user), token_id)
    finally:
        services.close()
    if not revoked:
        raise typer.BadParameter(f"{user} has no token {token_id!r}", param_hint="TOKEN_ID")
    console.print(f"Revoked {token_id}.", highlight=False)


@app.command()
def mcp(
    token: Annotated[
        str,
        typer.Option(
            envvar="MEMADVISOR_TOKEN",
            help="A personal access token (`memadvisor token create`); better given in the "
            "MEMADVISOR_TOKEN environment variable than on the command line.",
            show_default=False,
        ),
    ],
) -> None:
    """Serve the MCP tools on stdin/stdout for a desktop or editor client (see docs/mcp.md).

    The user is the one the token names. Everything but the protocol goes to stderr.
    """
    import anyio

    from agent.services import build_services
    from api.mcp.stdio import serve_stdio
    from memory.accounts.tokens import TokenRefusedError

    services = build_services(get_settings())
    try:
        anyio.run(serve_stdio, services, token)
    except TokenRefusedError as exc:
        typer.echo(f"memadvisor mcp: {exc}", err=True)
        raise typer.Exit(code=1) from exc
    finally:
        services.close()
