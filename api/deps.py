"""Typed dependencies: the process's services and the authenticated user.

`authenticate` is the one place that turns a request into a user; the chat endpoint, the REST
routes and the LangServe routes all go through it. Nothing reads a user id from the client.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer

from agent.graph import ChatGraph, RecommendGraph
from agent.services import Services
from api.security import InvalidTokenError, decode_access_token
from memory.models import User

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


def authenticate(token: str | None, services: Services) -> User:
    """The user a bearer token names, or the development user when allowed and no token is sent."""
    settings = services.settings
    if not token:
        if settings.env == "development" and settings.dev_user:
            return services.accounts.local(settings.dev_user)
        raise _unauthorized("Sign in first: send an `Authorization: Bearer <token>` header.")
    try:
        user_id = decode_access_token(token, secret=settings.secret_key)
    except InvalidTokenError as exc:
        raise _unauthorized(
            "Your session is invalid or has expired; please sign in again."
        ) from exc
    user = services.accounts.by_id(user_id)
    if user is None or not user.is_active:
        raise _unauthorized("This account no longer exists or is disabled.")
    return user


def get_current_user(
    services: ServicesDep, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> User:
    """Dependency form of `authenticate`."""
    return authenticate(token, services)


CurrentUser = Annotated[User, Depends(get_current_user)]
