"""Authentication for `langgraph dev` / LangGraph Studio: the API's bearer tokens, the API's rules.

`langgraph.json` names `auth` below, so the LangGraph server asks for the same access token as the
REST API (sign in through `POST /api/auth/login`) and checks it through `api.deps.authenticate`.
Every run then acts as the token's user: the run's context is given that user id whatever the
client wrote there (and `agent.graph` refuses a run whose context still names someone else), and
threads carry their owner, so one user can neither list, read nor continue another's.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import HTTPException
from langgraph_sdk import Auth

from agent.graph import services_from_settings
from api.deps import authenticate

auth = Auth()

OWNER = "owner"
"""The metadata key that records which user a thread or run belongs to."""


@auth.authenticate
async def authenticate_request(authorization: str | None) -> Auth.types.MinimalUserDict:
    """The user an `Authorization: Bearer <access token>` header names, or 401."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Auth.exceptions.HTTPException(
            status_code=401, detail="Sign in first: send an `Authorization: Bearer <token>` header."
        )
    services = await asyncio.to_thread(services_from_settings)
    try:
        user = await asyncio.to_thread(authenticate, token, services)
    except HTTPException as exc:
        raise Auth.exceptions.HTTPException(status_code=exc.status_code, detail=exc.detail) from exc
    return {"identity": str(user.id), "display_name": user.username}


@auth.on.threads.create_run
async def run_as_the_user(
    ctx: Auth.types.AuthContext, value: Auth.types.RunsCreate
) -> dict[str, str]:
    """A run acts as the signed-in user: their id replaces any user id the client supplied.

    The filter returned makes a run on an existing thread require that the thread is theirs.
    """
    user_id = int(ctx.user.identity)
    kwargs = value.get("kwargs") or {}
    context = kwargs.get("context")
    if isinstance(context, dict):
        context["user_id"] = user_id
    configurable = (kwargs.get("config") or {}).get("configurable")
    if isinstance(configurable, dict) and "user_id" in configurable:
        configurable["user_id"] = user_id
    _own(ctx, value)
    return {OWNER: ctx.user.identity}


@auth.on.threads
async def owner_only(ctx: Auth.types.AuthContext, value: Any) -> dict[str, str]:
    """New threads record their owner; reads, searches, updates and deletes see only theirs."""
    _own(ctx, value)
    return {OWNER: ctx.user.identity}


@auth.on.assistants
async def assistants_are_fixed(ctx: Auth.types.AuthContext, value: Any) -> None:
    """The graphs of `langgraph.json` are the assistants; clients read them, not change them."""
    if ctx.action in {"create", "update", "delete"}:
        raise Auth.exceptions.HTTPException(
            status_code=403,
            detail="Assistants are defined by langgraph.json and cannot be changed.",
        )


@auth.on.crons
async def no_crons(ctx: Auth.types.AuthContext, value: Any) -> None:
    """Scheduled work runs through the app's own jobs, not through server crons."""
    raise Auth.exceptions.HTTPException(status_code=403, detail="Crons are not available.")


def _own(ctx: Auth.types.AuthContext, value: Any) -> None:
    if isinstance(value, dict):
        metadata = value.get("metadata")
        if not isinstance(metadata, dict):
            metadata = value["metadata"] = {}
        metadata[OWNER] = ctx.user.identity
