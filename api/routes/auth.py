"""Accounts: register, log in, refresh the short-lived access token, log out.

Login takes JSON or the OAuth2 form of the docs' Authorize button; logout revokes the sign-in
session at once.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from pydantic import ValidationError

from agent.services import Services
from api.audit import AuditorDep, client_address
from api.deps import CurrentPrincipal, ServicesDep
from api.passwords import check_password_strength
from api.ratelimit import LoginThrottle, SignInClient, too_many
from api.schemas import ErrorOut, RefreshRequest, TokenOut, UserLogin, UserOut, UserRegister
from api.security import (
    DEVICE_TOKEN_DAYS,
    create_access_token,
    create_device_token,
    hash_password,
    off_the_loop,
    read_device_token,
    verify_password,
)
from memory.accounts.auth_sessions import Grant, RefreshRejectedError
from memory.accounts.usernames import username_key
from memory.accounts.users import UsernameTakenError

router = APIRouter(tags=["auth"])

DEVICE_COOKIE = "memadvisor_device"
"""Marks a browser that signed in to an account before (see `api/ratelimit.py`)."""

_LOGIN_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": UserLogin.model_json_schema()},
            "application/x-www-form-urlencoded": {"schema": UserLogin.model_json_schema()},
        },
    }
}


@router.post(
    "/auth/register",
    status_code=status.HTTP_201_CREATED,
    responses={409: {"model": ErrorOut}, 429: {"model": ErrorOut}},
)
async def register(body: UserRegister, request: Request, services: ServicesDep) -> UserOut:
    """Create an account; then log in for a token.

    The name is kept as typed, but no one else can take a variant of it that differs only in
    case, width or look-alike letters (`Alice`, `ａｌｉｃｅ`, Cyrillic `аlice`).
    """
    request.app.state.rate_limits.registration(_client(request))
    await asyncio.to_thread(
        check_password_strength,
        body.password,
        min_score=services.settings.password_min_score,
        user_inputs=[body.username, body.email or "", "memadvisor"],
    )
    password_hash = await off_the_loop(hash_password, body.password)
    try:
        user = await asyncio.to_thread(
            services.accounts.create, body.username, password_hash=password_hash, email=body.email
        )
    except UsernameTakenError as exc:
        raise HTTPException(
            status.HTTP_409_CONFLICT, detail="This username is taken; please choose another."
        ) from exc
    return UserOut.model_validate(user)


@router.post(
    "/auth/login",
    openapi_extra=_LOGIN_BODY,
    responses={401: {"model": ErrorOut}, 429: {"model": ErrorOut}},
)
async def login(request: Request, response: Response, services: ServicesDep) -> TokenOut:
    """Exchange a username (or any variant of it: case, width) and password for a bearer token.

    Failed tries slow down the next ones (429 with `Retry-After`) for this client and account
    only; a browser that signed in to the account before (device cookie) is never held up by
    failures elsewhere. A successful sign-in (re)sets that cookie.
    """
    credentials = await _read_credentials(request)
    throttle: LoginThrottle = request.app.state.login_throttle
    secret = services.settings.secret_key
    account = username_key(credentials.username)
    device = read_device_token(request.cookies.get(DEVICE_COOKIE), secret=secret)
    user = await asyncio.to_thread(services.accounts.by_username, credentials.username)
    client = SignInClient(
        account=account,
        address=_client(request),
        device=device[1] if device and user and device[0] == user.id else None,
    )
    if wait := throttle.retry_after(client):
        raise too_many(wait, "Too many failed sign-ins", "登录失败次数过多")
    # Same answer (and, through the dummy hash, the same time) whether or not the user exists.
    # Argon2 is slow by design: it runs off the event loop (`off_the_loop`).
    verified = await off_the_loop(
        verify_password, credentials.password, user.password_hash if user else None
    )
    if not verified or not (user and user.is_active):
        throttle.failed(client)
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="Wrong username or password.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    throttle.succeeded(client)
    response.set_cookie(
        DEVICE_COOKIE,
        create_device_token(user.id, secret=secret),
        max_age=DEVICE_TOKEN_DAYS * 86400,
        path="/api/auth",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    grant = await asyncio.to_thread(services.auth_sessions.open, user.id)
    await asyncio.to_thread(
        services.audit.record,
        user.id,
        "login",
        "session",
        grant.session_id,
        client=_client(request),
    )
    return _tokens(grant, services)


@router.post("/auth/refresh", responses={401: {"model": ErrorOut}})
async def refresh(body: RefreshRequest, services: ServicesDep) -> TokenOut:
    """Exchange a refresh token for a new access token and a new refresh token.

    Each refresh token works once. Presenting one that was already used revokes its whole session
    (someone else may hold a copy), and both holders must sign in again.
    """
    try:
        grant = await asyncio.to_thread(services.auth_sessions.refresh, body.refresh_token)
    except RefreshRejectedError as exc:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="This sign-in has ended or the refresh token was already used; "
            "please sign in again.",
            headers={"WWW-Authenticate": "Bearer"},
        ) from exc
    return _tokens(grant, services)


@router.post(
    "/auth/logout", status_code=status.HTTP_204_NO_CONTENT, responses={401: {"model": ErrorOut}}
)
async def logout(
    principal: CurrentPrincipal,
    services: ServicesDep,
    audit: AuditorDep,
    everywhere: Annotated[
        bool, Query(description="End every sign-in of the account, on every device.")
    ] = False,
) -> Response:
    """End this sign-in: its access and refresh tokens stop working at once."""
    if everywhere or principal.session_id is not None:
        session_id = None if everywhere else principal.session_id
        await asyncio.to_thread(services.auth_sessions.revoke, principal.user.id, session_id)
        await audit("logout", "session", session_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _tokens(grant: Grant, services: Services) -> TokenOut:
    settings = services.settings
    access = create_access_token(
        grant.user_id,
        session_id=grant.session_id,
        secret=settings.secret_key,
        minutes=settings.access_token_minutes,
    )
    return TokenOut(
        access_token=access,
        expires_in=settings.access_token_minutes * 60,
        refresh_token=grant.refresh_token,
        refresh_expires_in=grant.refresh_expires_in,
    )


def _client(request: Request) -> str:
    return client_address(request) or "unknown"


async def _read_credentials(request: Request) -> UserLogin:
    content_type = request.headers.get("content-type", "")
    try:
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            return UserLogin.model_validate(
                {"username": form.get("username"), "password": form.get("password")}
            )
        return UserLogin.model_validate_json(await request.body())
    except ValidationError as exc:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail="Send JSON (or a form) with a `username` and a `password`.",
        ) from exc
