"""Personal access tokens of the signed-in user: make one for an MCP client, list, revoke.

A token is shown once, in the answer that creates it; only its hash is kept. Tokens sign in to
`/mcp` only, not to this REST API: a token pasted into an editor's or a desktop client's settings
can then never reach account management (passwords, consent, tokens, erasure), and a web sign-in
is what these routes take, so a token cannot make more tokens.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.audit import audited
from api.deps import CurrentUser, ServicesDep
from api.schemas import ErrorOut
from memory.accounts.tokens import TokenScope, TooManyTokensError

router = APIRouter(prefix="/me/tokens", tags=["me"])


class AccessTokenCreate(BaseModel):
    """A new token: what it is for, what it may do, and for how long."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    """What it is for, e.g. the program that will hold it."""
    scope: TokenScope = "read"
    """`read`: search and read memories, profile, advice; `read_write`: also add and delete."""
    expires_in_days: Annotated[int, Field(ge=1, le=3650)] | None = None
    """Days until it stops working; omitted: until revoked."""


class AccessTokenOut(BaseModel):
    """A token as listed: never the token itself."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    scope: TokenScope
    hint: str
    """The token's last four characters."""
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


class AccessTokenCreated(AccessTokenOut):
    """The new token, with the token itself: shown this once, never again."""

    token: str


TokenId = Annotated[str, Path(min_length=1, max_length=32)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={409: {"model": ErrorOut}},
    dependencies=[audited("write", "access_tokens")],
)
async def create_token(
    body: AccessTokenCreate, user: CurrentUser, services: ServicesDep
) -> AccessTokenCreated:
    """Make a token for an MCP client; copy it now, it is not shown again."""
    try:
        issued = await asyncio.to_thread(
            lambda: services.access_tokens.create(
                user.id, name=body.name, scope=body.scope, expires_in_days=body.expires_in_days
            )
        )
    except TooManyTokensError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from exc
    listed = AccessTokenOut.model_validate(issued.row)
    return AccessTokenCreated(**listed.model_dump(), token=issued.token)


@router.get("", dependencies=[audited("read", "access_tokens")])
async def list_tokens(user: CurrentUser, services: ServicesDep) -> list[AccessTokenOut]:
    """Your tokens that were not revoked (expired ones too), newest first."""
    rows = await asyncio.to_thread(services.access_tokens.list, user.id)
    return [AccessTokenOut.model_validate(row) for row in rows]


@router.delete(
    "/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={404: {"model": ErrorOut}},
    dependencies=[audited("delete", "access_tokens", id_param="token_id")],
)
async def revoke_token(token_id: TokenId, user: CurrentUser, services: ServicesDep) -> None:
    """Revoke a token: every program holding it loses access at once."""
    if not await asyncio.to_thread(services.access_tokens.revoke, user.id, token_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="No such token.")
