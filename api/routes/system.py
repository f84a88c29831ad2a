"""`GET /api/system`: what is running, for the web client's banner and for operators.

Readable without sign-in, so it holds nothing secret: names and capabilities only, never a key, a
password or a server address (addresses may carry credentials and say where to attack).
"""

from __future__ import annotations

from fastapi import APIRouter

from agent.model.capabilities import switch_command
from api.deps import ServicesDep
from api.schemas import SystemOut

router = APIRouter(prefix="/system", tags=["system"])


@router.get("")
def system(services: ServicesDep) -> SystemOut:
    """The model and what it can do, the embedding model, the vector store and the job runner."""
    settings, caps = services.settings, services.capabilities
    return SystemOut(
        provider=caps.provider,
        model=caps.model,
        languages=list(caps.languages),
        structured_output=caps.structured_output,
        demo=caps.demo,
        advice=caps.advice,
        context_window=caps.context_window,
        embedding_model=settings.embedding_model,
        vector_store="chroma-server" if settings.chroma_url else "chroma-embedded",
        job_runner=settings.jobs,
        switch_command=switch_command(settings) if caps.demo else None,
    )
