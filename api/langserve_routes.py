"""LangServe at `/advisor`: the chat graph with its playground, for the authenticated user.

LangServe passes a `config`, never a `context`, so this module is the one place where the user
authenticated from the request becomes the graph's `Context`. The client's own `configurable` keys
are not accepted (`config_keys=()`), so a user id in a request body or config is ignored.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI, Request
from fastapi.security.utils import get_authorization_scheme_param
from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda
from langserve import add_routes
from langserve.server import EndpointName
from pydantic import BaseModel, Field

from agent.context import Context
from api.audit import client_address
from api.deps import authenticate
from api.schemas import MAX_MESSAGE_CHARS, MemoryOut

USER_KEY = "memadvisor_user_id"


class AdvisorInput(BaseModel):
    """A message to the advisor."""

    message: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)


class AdvisorOutput(BaseModel):
    """The advisor's answer and the memories it used."""

    answer: str
    memories: list[MemoryOut] = []
    conversation_id: str | None = None
    turn_id: int | None = None


def _runnable(app: FastAPI) -> Runnable[Any, Any]:
    async def run(inputs: dict[str, Any], config: RunnableConfig) -> dict[str, Any]:
        user_id = config.get("configurable", {}).get(USER_KEY)
        if not isinstance(user_id, int):  # only per_req_config_modifier sets it
            raise PermissionError("unauthenticated advisor run")
        graph = app.state.graph
        result: dict[str, Any] = await graph.ainvoke(
            {"message": inputs["message"]}, config=config, context=Context(user_id=user_id)
        )
        return AdvisorOutput.model_validate(
            {**result, "memories": [MemoryOut.model_validate(m) for m in result["memories"]]}
        ).model_dump(mode="json")

    return RunnableLambda(run, name="advisor").with_types(
        input_type=AdvisorInput, output_type=AdvisorOutput
    )


async def _with_user(config: dict[str, Any], request: Request) -> dict[str, Any]:
    scheme, token = get_authorization_scheme_param(request.headers.get("Authorization"))
    services = request.app.state.services
    user = authenticate(token if scheme.lower() == "bearer" else None, services)
    request.app.state.rate_limits.chat_turn(user.id)
    await asyncio.to_thread(
        services.audit.record, user.id, "write", "conversation", client=client_address(request)
    )
    configurable = {**config.get("configurable", {}), USER_KEY: user.id}
    return {**config, "configurable": configurable}


def add_advisor_routes(app: FastAPI, *, playground: bool = True) -> None:
    """Serve the chat graph at `/advisor` (invoke, stream_events, playground, schemas).

    Every run counts against the user's chat rate limit, as a message to `/api/chat/stream`
    does. Without `playground` (production by default), only the API routes are served.

    `batch` is not served: LangServe hands a batch's runs configs that bypass
    `per_req_config_modifier`, so they would carry no authenticated user (found by fuzzing).
    """
    endpoints: list[EndpointName] = [
        "invoke",
        "stream",
        "stream_events",
        "input_schema",
        "output_schema",
        "config_schema",
    ]
    if playground:
        endpoints.append("playground")
    add_routes(
        app,
        _runnable(app),
        path="/advisor",
        config_keys=(),
        per_req_config_modifier=_with_user,
        enabled_endpoints=endpoints,
    )
