"""Typed dependencies: the process's services and the authenticated user.

`authenticate` is the one place that turns a request into a user; the chat endpoint, the REST
routes and the LangServe routes all go through it. Nothing reads a user id from the client.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer

from agent.graph import ChatGraph, RecommendGraph
from agent.services import Services
from api.security import InvalidTokenError, decode_access_token
from memory.storage.models import User

# auto_error=False: a missing token is handled below (the development user may stand in).
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/auth/login", auto_error=False)


def get_services(request: Request) -> Services:
    """The services built by the app's lifespan."""
    services: Services = request.app.state.services
    return services


def get_graph(request: Request) -> ChatGraph:
    """The compiled chat graph built by the app's lifespan."""
    graph: ChatGraph = request.app.state.graph
    return graph


def get_recommend_graph(request: Request) -> RecommendGraph:
    """The compiled recommend graph built by the app's lifespan."""
    graph: RecommendGraph = request.app.state.recommend_graph
    return graph


ServicesDep = Annotated[Services, Depends(get_services)]
RecommendGraphDep = Annotated[RecommendGraph, Depends(get_recommend_graph)]
GraphDep = Annotated[ChatGraph, Depends(get_graph)]


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated user and the sign-in session their token belongs to."""

    user: User
    session_id: str | None
    """None for the development user, who has no sign-in."""


def authenticate_principal(token: str | None, services: Services) -> Principal:
    """The user and session a bearer token names, or the development user when allowed.

    The token's session is checked on every request (one primary-key read), so logout, a revoked
    session and a deleted account end access at once rather than when the token expires.
    """
    settings = services.settings
    if not token:
        if settings.env == "development" and settings.dev_user:
            return Principal(services.accounts.local(settings.dev_user), None)
        raise _unauthorized("Sign in first: send an `Authorization: Bearer <token>` header.")
    try:
        claims = decode_access_token(token, secret=settings.secret_key)
    except InvalidTokenError as exc:
        raise _unauthorized(
            "Your session is invalid or has expired; please sign in again."
        ) from exc
    if not services.auth_sessions.is_active(claims.user_id, claims.session_id):
        raise _unauthorized("You were signed out of this session; please sign in again.")
    user = services.accounts.by_id(claims.user_id)
    if user is None or not user.is_active:
        raise _unauthorized("This account no longer exists or is disabled.")
    return Principal(user, claims.session_id)


def authenticate(token: str | None, services: Services) -> User:
    """The user a bearer token names (see `authenticate_principal`)."""
    return authenticate_principal(token, services).user


def get_principal(
    services: ServicesDep, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> Principal:
    """Dependency form of `authenticate_principal`."""
    return authenticate_principal(token, services)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def get_current_user(principal: CurrentPrincipal) -> User:
    """The authenticated user (the same principal, so one check per request)."""
    return principal.user


CurrentUser = Annotated[User, Depends(get_current_user)]
