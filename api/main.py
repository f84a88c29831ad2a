"""The FastAPI application factory: routers, LangServe, error handlers, services' lifespan."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from agent.graph import compile_graph, compile_recommend_graph
from agent.services import Services, build_services
from api.cors import add_cors
from api.errors import install_error_handlers
from api.langserve_routes import add_advisor_routes
from api.metrics import add_metrics
from api.openapi import publish_schemas
from api.ratelimit import LoginLimiter
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
    user_data,
)
from api.web import DEFAULT_DIST, mount_web
from memadvisor.settings import Settings, get_settings

logger = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    """Build the app. Services are created in the lifespan unless injected (tests)."""
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
        try:
            yield
        finally:
            if own:
                current.close()

    app = FastAPI(
        title="MemAdvisor",
        version="0.1.0",
        summary="Private long-term memory and explainable advice for local LLMs.",
        lifespan=lifespan,
    )
    add_cors(app, resolved.cors_origins)
    if resolved.metrics:
        add_metrics(app)
    install_error_handlers(app)
    app.state.login_limiter = LoginLimiter(resolved.login_failures_allowed)

    api = APIRouter(prefix="/api")
    for module in (
        auth,
        me,
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
    def health() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    app.include_router(api)
    add_advisor_routes(app)
    publish_schemas(app, list(chat.STREAM_EVENTS.values()))

    mount_web(app, resolved.web_dist or DEFAULT_DIST)
    return app
