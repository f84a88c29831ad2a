"""The FastAPI application factory: routers, LangServe, error handlers, services' lifespan."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from starlette.routing import Route
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from agent.graph import compile_graph, compile_recommend_graph
from agent.services import Services, build_services
from api.access_log import hide_query_strings
from api.body_limit import BodyLimitMiddleware
from api.cors import add_cors
from api.errors import install_error_handlers
from api.headers import add_security_headers
from api.langserve_routes import add_advisor_routes
from api.mcp import http as mcp_http
from api.mcp.http import McpHttp
from api.metrics import add_metrics
from api.openapi import publish_schemas
from api.ratelimit import LoginThrottle, RateLimits, make_storage
from api.routes import (
    auth,
    chat,
    conversations,
    feedback,
    me,
    memories,
    profile,
    recommendations,
    system,
    tokens,
    user_data,
)
from api.routes.chat import SERVER_STOPPED
from api.web import DEFAULT_DIST, mount_web
from memadvisor.settings import Settings, get_settings
from memadvisor.startup import freeze_startup_objects

logger = logging.getLogger(__name__)

ORPHANED = "The server stopped before answering (found at the next start); please send it again."


def create_app(
    settings: Settings | None = None,
    services: Services | None = None,
    *,
    freeze_after_start: bool | None = None,
) -> FastAPI:
    """Build the app. Services are created in the lifespan unless injected (tests).

    `freeze_after_start` (default: when the lifespan builds the services, as a server does):
    exempt start-up objects from later garbage collections (`memadvisor.startup`). Tests inject
    services and start many apps in one process, so they leave it off.
    """
    if settings is None:
        settings = services.settings if services else get_settings()
    resolved = settings

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = services is None
        current = services or build_services(resolved, migrate=resolved.migrate_on_start)
        app.state.services = current
        app.state.graph = compile_graph(current)
        app.state.recommend_graph = compile_recommend_graph(current)
        # The model's capabilities and tokenizer read files: once, here, not in the event loop.
        await asyncio.to_thread(lambda: current.budget)
        # Memories whose vector copy was still owed when the process last stopped.
        if (pending := await asyncio.to_thread(current.memory.count_pending)) > 0:
            logger.info("indexing %d memories left over from an earlier run", pending)
            current.jobs.enqueue("index_memories")
        # Turns a crashed process left unanswered (with several API processes sharing one
        # database, another's live turn may be marked too; its answer, when it comes, wins).
        if orphans := await asyncio.to_thread(current.history.fail_pending, ORPHANED):
            logger.warning("marked failed %d turns left unanswered by an earlier run", orphans)
        if freeze_after_start or (freeze_after_start is None and own):
            freeze_startup_objects()
        # One MCP server per run of the app: its transport's task group lives in this lifespan.
        app.state.mcp = McpHttp(current, app.state.recommend_graph)
        try:
            async with app.state.mcp.running():
                yield
        finally:
            app.state.mcp = None
            # uvicorn has waited for (or cancelled) the requests in flight; whatever they left
            # pending will never be answered now.
            if stopped := await asyncio.to_thread(
                current.history.fail_pending, SERVER_STOPPED, set(app.state.turns_in_flight)
            ):
                logger.warning("marked failed %d turns unanswered at shutdown", stopped)
            if own:
                current.close()

    hide_query_strings()
    docs = resolved.serves_docs
    app = FastAPI(
        title="MemAdvisor",
        version="0.1.0",
        summary="Private long-term memory and explainable advice for local LLMs.",
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    # Middleware added later runs earlier: forwarded addresses are read first, and a 413 of the
    # body limit still passes CORS, metrics and the security headers on its way out.
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=resolved.max_body_bytes,
        max_import_bytes=resolved.max_import_bytes,
        timeout_seconds=resolved.body_timeout_seconds,
        min_bytes_per_second=resolved.body_min_bytes_per_second,
    )
    add_cors(app, resolved.cors_origins)
    if resolved.metrics:
        add_metrics(app, sql_cache_seconds=resolved.metrics_sql_cache_seconds)
    install_error_handlers(app)
    add_security_headers(app)
    if resolved.trusted_proxies:
        # The one place forwarded headers are read (the server itself is told to trust none),
        # so the rule holds under any ASGI server; added last, it runs first.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=resolved.trusted_proxies)
    storage = make_storage(resolved)
    app.state.login_throttle = LoginThrottle(storage, resolved)
    app.state.rate_limits = RateLimits(storage, resolved)
    app.state.turns_in_flight = set()
    app.state.mcp = None

    api = APIRouter(prefix="/api")
    for module in (
        auth,
        me,
        tokens,
        chat,
        conversations,
        memories,
        user_data,
        profile,
        recommendations,
        feedback,
        system,
    ):
        api.include_router(module.router)

    @api.get("/health", tags=["health"])
    async def health() -> dict[str, str]:  # async: answered on the loop, no thread hop
        """Liveness: the process answers."""
        return {"status": "ok"}

    app.include_router(api)
    app.router.routes.append(Route(mcp_http.PATH, endpoint=mcp_http.Endpoint()))
    app.add_api_route(
        mcp_http.METADATA_PATH,
        mcp_http.protected_resource_metadata,
        methods=["GET"],
        include_in_schema=False,
    )
    add_advisor_routes(app, playground=docs)
    publish_schemas(app, [*chat.STREAM_EVENTS.values(), *user_data.STREAM_EVENTS])

    mount_web(app, resolved.web_dist or DEFAULT_DIST, docs=docs)
    return app
