"""`/mcp`: the MCP tools over streamable HTTP, behind personal access tokens.

The resource-server rules of the MCP authorization spec, as far as they apply to bearer tokens
that MemAdvisor issues itself (there is no OAuth authorization server to point clients to):
- a request without a token gets 401 with `WWW-Authenticate: Bearer resource_metadata=...`
  naming the RFC 9728 metadata at `/.well-known/oauth-protected-resource/mcp`; an unknown,
  revoked or expired token gets the same with `error="invalid_token"`;
- a `read` token calling a tool that writes gets 403 with `error="insufficient_scope"` and the
  scope it needs (the body is a JSON-RPC error, so MCP clients show its message);
- only personal access tokens are accepted: they are issued for this server and checked in its
  own database, so a web sign-in token (meant for the REST API) or another server's token is
  refused; a browser `Origin` other than the API's allowed ones gets 403 (DNS rebinding).

The transport runs stateless (every request stands alone), so several API processes behind a
proxy can serve `/mcp` with no sticky sessions; its task group lives in the app's lifespan.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mcp.server.auth.middleware.auth_context import auth_context_var, get_access_token
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp
from mcp.server.transport_security import TransportSecuritySettings
from starlette.authentication import AuthCredentials
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send

from agent.graph import RecommendGraph
from agent.services import Services
from api.mcp.tools import READ_ONLY, Caller, build_server, needed_scope
from memory.accounts.tokens import SCOPES, TokenGrant, TokenRefusedError

PATH = "/mcp"
METADATA_PATH = "/.well-known/oauth-protected-resource" + PATH
UNAUTHORIZED = -32001
"""JSON-RPC error code (server-defined range) of a request without a valid token."""
FORBIDDEN = -32003
"""JSON-RPC error code of a tool call the token's scope does not allow."""


def resource_url(request: Request) -> str:
    """This server's MCP endpoint as clients reach it (scheme and host of the request)."""
    return str(request.base_url).rstrip("/") + PATH


def protected_resource_metadata(request: Request) -> JSONResponse:
    """RFC 9728 metadata of `/mcp`: what it is, how to present a token, which scopes exist.

    `authorization_servers` is left out: tokens are made by the user in MemAdvisor itself
    (web client or `memadvisor token create`), not through OAuth.
    """
    return JSONResponse(
        {
            "resource": resource_url(request),
            "bearer_methods_supported": ["header"],
            "scopes_supported": list(SCOPES),
            "resource_name": "MemAdvisor",
        }
    )


class McpHttp:
    """The MCP server of one app run: its transport's task group, and the token gate in front."""

    def __init__(self, services: Services, recommend_graph: RecommendGraph) -> None:
        self._services = services
        server = build_server(services, recommend_graph, _http_caller)
        # The gate below checks the token and the Origin; the SDK's Host check would refuse the
        # API's own public host names, so it is off. Bodies are held to the app's limit.
        server.streamable_http_app(
            streamable_http_path=PATH,
            stateless_http=True,
            json_response=True,
            max_request_body_size=services.settings.max_body_bytes,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        self._manager = server.session_manager
        self._transport = StreamableHTTPASGIApp(self._manager)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Serve while the app runs (the transport's task group needs the app's lifespan)."""
        async with self._manager.run():
            yield

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the Origin and the bearer token, then hand the request to the transport."""
        request = Request(scope)
        refusal = self._refuse_origin(request)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        token = _bearer(request.headers)
        grant: TokenGrant | None = None
        error, detail = None, _NO_TOKEN
        if token is not None:
            try:
                grant = await asyncio.to_thread(self._services.access_tokens.verify, token)
            except TokenRefusedError as exc:
                jwt = token.startswith("eyJ") and exc.reason == "unknown"
                error, detail = "invalid_token", _JWT if jwt else str(exc)
        message: Any = None
        if request.method == "POST" and (grant is None or not grant.allows("read_write")):
            # The JSON-RPC message decides the scope it needs, and carries the id of the error.
            body = await _read_body(receive)
            receive = _replay(body, receive)
            message = _json(body)
        if grant is None or token is None:
            await _unauthorized(request, message, error, detail)(scope, receive, send)
            return
        if (denied := _insufficient_scope(request, message, grant)) is not None:
            await denied(scope, receive, send)
            return
        user = _authenticated(grant, token, request)
        scope["user"], scope["auth"] = user, AuthCredentials([grant.scope])
        # Tool handlers read the caller from this context variable (the SDK carries it over).
        reset = auth_context_var.set(user)
        try:
            await self._transport(scope, receive, send)
        finally:
            auth_context_var.reset(reset)

    def _refuse_origin(self, request: Request) -> Response | None:
        origin = request.headers.get("origin")
        allowed = self._services.settings.cors_origins
        own = str(request.base_url).rstrip("/")
        if origin is None or origin == own or origin in allowed or "*" in allowed:
            return None
        return JSONResponse({"detail": f"Requests from {origin} are not allowed."}, 403)


_NO_TOKEN = (
    "Send a personal access token: `Authorization: Bearer <token>` (create one in MemAdvisor "
    "under Privacy → Access tokens, or with `memadvisor token create`)."
)
_JWT = "This is a web sign-in token; /mcp takes a personal access token (Privacy → Access tokens)."


def _bearer(headers: Headers) -> str | None:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _challenge(request: Request, **params: str) -> str:
    pairs = {**params, "resource_metadata": str(request.base_url).rstrip("/") + METADATA_PATH}
    return "Bearer " + ", ".join(f'{key}="{_quotable(value)}"' for key, value in pairs.items())


def _quotable(value: str) -> str:
    """A header's quoted-string: printable ASCII without quotes or backslashes (RFC 6750 3)."""
    value = value.replace("→", "->").replace('"', "'")
    return "".join(c for c in value if " " <= c <= "~" and c != "\\")


def _rpc_error(message: Any, code: int, detail: str) -> dict[str, Any]:
    """A JSON-RPC error answering `message` (MCP clients show its text), else a plain detail."""
    if isinstance(message, dict) and "id" in message and "method" in message:
        return {"jsonrpc": "2.0", "id": message["id"], "error": {"code": code, "message": detail}}
    return {"detail": detail}


def _unauthorized(request: Request, message: Any, error: str | None, detail: str) -> Response:
    """401; RFC 6750: no error code when the request carried no token at all."""
    params = {"error": error, "error_description": detail} if error else {}
    return JSONResponse(
        _rpc_error(message, UNAUTHORIZED, detail),
        status_code=401,
        headers={"WWW-Authenticate": _challenge(request, **params)},
    )


def _insufficient_scope(request: Request, message: Any, grant: TokenGrant) -> Response | None:
    """403 for a `tools/call` of a tool that needs more than the token allows, else None."""
    if not isinstance(message, dict) or message.get("method") != "tools/call":
        return None
    params = message.get("params")
    tool = params.get("name") if isinstance(params, dict) else None
    needed = needed_scope(tool) if isinstance(tool, str) else None
    if needed is None or grant.allows(needed):
        return None
    challenge = _challenge(
        request,
        error="insufficient_scope",
        scope=needed,
        error_description="This token may only read.",
    )
    return JSONResponse(
        _rpc_error(message, FORBIDDEN, READ_ONLY),
        status_code=403,
        headers={"WWW-Authenticate": challenge},
    )


def _json(body: bytes) -> Any:
    """The parsed body, or None when it is not JSON (the transport answers that itself)."""
    try:
        return json.loads(body)
    except ValueError:
        return None


async def _read_body(receive: Receive) -> bytes:
    """The whole request body (already held to the app's size limit by its middleware)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the read body over once, then passes on what comes (disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _authenticated(grant: TokenGrant, token: str, request: Request) -> AuthenticatedUser:
    """The SDK's form of the caller: subject the user, client the token (one per token)."""
    address = request.client.host if request.client else "unknown"
    caller = Caller(grant, f"mcp:{address}"[:64])
    return AuthenticatedUser(
        AccessToken(
            token=token,
            client_id=grant.token_id,
            subject=str(grant.user_id),
            scopes=[grant.scope],
            expires_at=int(grant.expires_at.timestamp()) if grant.expires_at else None,
            resource=resource_url(request),
            claims={_CALLER: caller},
        )
    )


_CALLER = "memadvisor_caller"


async def _http_caller() -> Caller:
    """Who calls a tool over HTTP: the token the gate checked for this very request."""
    access = get_access_token()
    caller = (access.claims or {}).get(_CALLER) if access else None
    if not isinstance(caller, Caller):
        raise ToolError(_NO_TOKEN)  # only if the gate were bypassed, which the route forbids
    return caller


class Endpoint:
    """The ASGI app at `/mcp`: the MCP server the app's lifespan started (503 before that)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Hand the request to this app's MCP server."""
        mcp: McpHttp | None = getattr(scope["app"].state, "mcp", None)
        if mcp is None:
            response = JSONResponse({"detail": "The MCP server is not running."}, 503)
            await response(scope, receive, send)
            return
        await mcp(scope, receive, send)
