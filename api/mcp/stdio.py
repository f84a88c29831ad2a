"""`memadvisor mcp`: the MCP tools over stdio, for a desktop or editor client that starts it.

The user is the one the personal access token names. The token is checked at start (a bad one
stops the server with a message the client shows) and again at every tool call, so revoking it
or its expiry ends access at once, as over HTTP.
"""

from __future__ import annotations

import asyncio

from mcp.server.mcpserver.exceptions import ToolError

from agent.graph import compile_recommend_graph
from agent.services import Services
from api.mcp.tools import Caller, build_server
from memory.accounts.tokens import TokenRefusedError

CLIENT = "mcp:stdio"
"""How calls over stdio appear in the user's audit log."""


async def serve_stdio(services: Services, token: str) -> None:
    """Serve the tools on stdin/stdout until the client closes them (TokenRefusedError first)."""
    await asyncio.to_thread(services.access_tokens.verify, token)

    async def identify() -> Caller:
        try:
            grant = await asyncio.to_thread(services.access_tokens.verify, token)
        except TokenRefusedError as exc:
            raise ToolError(str(exc)) from exc
        return Caller(grant, CLIENT)

    server = build_server(services, compile_recommend_graph(services), identify)
    await server.run_stdio_async()
