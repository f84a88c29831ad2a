"""One chat turn as a stream of typed events, for every front end (SSE endpoint, terminal chat).

LangGraph's `stream_mode=["messages", "updates", "custom"]` interleaves model tokens, node outputs
and the model queue's reports; this module is the one place that reads that format.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, cast

from langchain_core.messages import AIMessageChunk

from agent.context import Context
from agent.graph import ChatGraph
from agent.state import AnsweredBy, MemoryStatus
from memory.retrieval.store import Memory


@dataclass(frozen=True, slots=True)
class Token:
    """A piece of the answer, as the model wrote it."""

    text: str


@dataclass(frozen=True, slots=True)
class Recalled:
    """The memories retrieved for this turn (sent before the answer starts)."""

    memories: list[Memory]


@dataclass(frozen=True, slots=True)
class Queued:
    """The answer waits for the model: `position` 1 is next, 0 means the model has started."""

    position: int
    estimated_wait_s: float | None


@dataclass(frozen=True, slots=True)
class Saved:
    """The turn is answered and saved."""

    conversation_id: str
    turn_id: int
    answer: str
    memories: list[Memory]
    memory_status: MemoryStatus = "ok"
    """`unavailable` when the vector store was down and the answer had no memories."""
    answered_by: AnsweredBy = "model"
    """`fallback` when the answer was put together without the model."""


TurnEvent = Token | Recalled | Queued | Saved


async def stream_turn(graph: ChatGraph, message: str, context: Context) -> AsyncIterator[TurnEvent]:
    """Run the chat graph for one message and yield its tokens, memories and saved turn."""
    memories: list[Memory] = []
    memory_status: MemoryStatus = "ok"
    answer = ""
    answered_by: AnsweredBy = "model"
    stream = graph.astream(
        {"message": message}, context=context, stream_mode=["messages", "updates", "custom"]
    )
    async for mode, payload in cast(AsyncIterator[tuple[str, Any]], stream):
        if mode == "messages":
            token, metadata = payload
            from_advise = metadata.get("langgraph_node") == "advise"
            if from_advise and isinstance(token, AIMessageChunk) and token.text:
                yield Token(token.text)
        elif mode == "custom":
            if isinstance(payload, dict) and isinstance(place := payload.get("model_queue"), dict):
                yield Queued(place["position"], place["estimated_wait_s"])
        elif "retrieve_memory" in payload:
            memories = payload["retrieve_memory"]["memories"]
            memory_status = payload["retrieve_memory"].get("memory_status", "ok")
            yield Recalled(memories)
        elif "advise" in payload or "answer_without_model" in payload:
            answered = payload.get("advise") or payload["answer_without_model"]
            answer, answered_by = answered["answer"], answered["answered_by"]
        elif "write_memory" in payload:
            saved = payload["write_memory"]
            yield Saved(
                saved["conversation_id"],
                saved["turn_id"],
                answer,
                memories,
                memory_status,
                answered_by,
            )
