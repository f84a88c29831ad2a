"""The chat graph's nodes. Each reads the user from the run's context, never from the state.

Store calls are synchronous (SQLAlchemy, Chroma), so they run in a worker thread and the event loop
keeps streaming other users' tokens meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any, Literal

from langgraph.runtime import Runtime

from agent.context import Context
from agent.model.capabilities import switch_command, switches_in_place
from agent.model.queue import report_queue_status
from agent.model.repetition import without_repeats
from agent.remembering import usable_memories
from agent.services import Services
from agent.state import RecommendState, State
from memadvisor import metrics
from memory.retrieval.store import Memory
from memory.retrieval.vectors import VectorStoreUnavailableError
from prompts.chat import CHAT_PROMPT_VERSION, PromptMemory, PromptTurn, render_chat_messages
from prompts.fallback import FALLBACK_VERSION, render_fallback
from prompts.insights import render_insight
from prompts.language import detect_language
from prompts.variants import assign_variant, variant_line, versioned

logger = logging.getLogger(__name__)

Note = tuple[str, Any]
"""A piece of the chat prompt: (`memory` | `turn` | `insight` | `profile`, its value)."""


class ChatNodes:
    """`retrieve_memory → load_profile → advise → write_memory`, bound to one process's services."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def retrieve_memory(self, state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """Find the user's memories closest to the message, and this conversation's last turns."""
        ctx = runtime.context
        settings = self.services.settings
        k = ctx.top_k or settings.memory_top_k
        found, allowed = await asyncio.gather(
            asyncio.to_thread(self._search, ctx.user_id, state["message"], 2 * k),
            asyncio.to_thread(self.services.user_data.consents.granted, ctx.user_id),
        )
        # Records of a type whose consent was withdrawn are no longer used.
        memories = usable_memories(found or [], allowed)[:k]
        recent = []
        if ctx.conversation_id:
            recent = await asyncio.to_thread(
                self.services.history.recent_turns,
                ctx.user_id,
                ctx.conversation_id,
                settings.recent_turns,
            )
        # A turn already replayed as conversation history need not be quoted again as a memory,
        # nor the facts taken from it.
        replayed = {str(turn.id) for turn in recent}
        relevant = [
            m
            for m in memories
            if (m.score or 0.0) >= settings.memory_min_score
            and m.current  # a fact a newer statement replaced is not cited as current
            and not (m.kind in ("turn", "fact") and m.source_id in replayed)
        ]
        # Counting tokens is CPU work (milliseconds): off the event loop, like the store calls.
        memories = await asyncio.to_thread(
            self.services.budget.take, relevant, lambda m: m.text, settings.memory_token_budget
        )
        metrics.chat_retrieval(
            scores=[m.score for m in found or []], shown=len(memories), available=found is not None
        )
        return {
            "memories": memories,
            "memory_status": "ok" if found is not None else "unavailable",
            "recent": recent,
            "language": detect_language(state["message"]),
        }

    def _search(self, user_id: int, message: str, n: int) -> list[Memory] | None:
        """The user's closest memories, or None when the vector store is down (answer anyway)."""
        try:
            with metrics.search_memory_timer(self.services.settings.embedding_model):
                return self.services.memory.search(user_id, message, n)
        except VectorStoreUnavailableError as exc:
            logger.warning("answering without memories: %s", exc)
            metrics.memory_unavailable("search")
            return None

    async def load_profile(self, state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """Read the profile summary and the most pressing insights of consented data types."""
        user_id = runtime.context.user_id
        services = self.services
        profile, allowed = await asyncio.gather(
            asyncio.to_thread(services.accounts.profile, user_id),
            asyncio.to_thread(services.user_data.consents.granted, user_id),
        )
        rows = await asyncio.to_thread(services.insights.list, user_id, set(allowed))
        language = state.get("language", "en")
        insights = [
            render_insight(row.key, row.figures, language)
            for row in rows[: services.settings.prompt_insights]
        ]
        variant = assign_variant(user_id, services.settings.prompt_variants)
        return {"profile_summary": profile.summary, "insights": insights, "variant": variant}

    def route_answer(self, state: State) -> Literal["advise", "answer_without_model"]:
        """The model answers, unless it cannot write the message's language."""
        if self.services.capabilities.writes(state.get("language", "en")):
            return "advise"
        return "answer_without_model"

    async def advise(self, state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """Ask the model, streaming its tokens (callers read them with `stream_mode="messages"`).

        The prompt holds as many notes as the context window allows, most useful first: the
        memories by relevance, the conversation's turns from the latest, the insights, then the
        profile summary. An answer that starts repeating itself is cut before the repeat.
        """
        language = state.get("language", "en")
        variant = state.get("variant", "standard")
        notes: list[Note] = [
            *(("memory", m) for m in state.get("memories", [])),
            # Answers given without the model are not the model's words: not replayed to it.
            *(("turn", t) for t in reversed(state.get("recent", [])) if t.answered_by == "model"),
            *(("insight", text) for text in state.get("insights", [])),
        ]
        if summary := state.get("profile_summary", ""):
            notes.append(("profile", summary))

        def render(kept: Sequence[Note]) -> list[Any]:
            turns = [n[1] for n in kept if n[0] == "turn"]
            return render_chat_messages(
                language=language,
                message=state["message"],
                profile_summary=next((n[1] for n in kept if n[0] == "profile"), ""),
                memories=[
                    PromptMemory(n[1].text, n[1].created_at) for n in kept if n[0] == "memory"
                ],
                recent=[PromptTurn(t.input_text, t.output_text or "") for t in reversed(turns)],
                insights=[n[1] for n in kept if n[0] == "insight"],
                style=variant_line(variant, language),
            )

        budget = self.services.budget
        messages, kept = await asyncio.to_thread(
            lambda: budget.fit(notes, render, answer_tokens=budget.answer_tokens)
        )
        if kept < len(notes):
            logger.info("the chat prompt holds %d of %d notes (context window)", kept, len(notes))
        # A request waiting for the model hears its place in line (`stream_mode="custom"`).
        with report_queue_status(
            lambda place: runtime.stream_writer({"model_queue": asdict(place)})
        ):
            reply = await self.services.llm.ainvoke(messages)
        answer = without_repeats(reply.text)
        return {
            "answer": answer,
            "answered_by": "model",
            "prompt_version": versioned(CHAT_PROMPT_VERSION, variant),
        }

    async def answer_without_model(self, state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """Answer in the user's language without the model: what it remembers, and how to switch."""
        caps = self.services.capabilities
        answer = render_fallback(
            language=state.get("language", "en"),
            model=caps.model,
            demo=caps.demo,
            memories=[PromptMemory(m.text, m.created_at) for m in state.get("memories", [])],
            insights=state.get("insights", []),
            command=switch_command(self.services.settings),
            in_place=switches_in_place(self.services.settings),
        )
        return {"answer": answer, "answered_by": "fallback", "prompt_version": FALLBACK_VERSION}

    async def write_memory(self, state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """Save the turn in SQL, then hand the vector copy to a background job.

        Runs after the last token was streamed, and only the fast SQL writes happen here, so the
        answer is never held up by embedding.
        """
        return await asyncio.to_thread(self._save_turn, state, runtime.context)

    def _save_turn(self, state: State, ctx: Context) -> dict[str, Any]:
        history = self.services.history
        if ctx.turn_id is None or ctx.conversation_id is None:
            begun = history.begin_turn(ctx.user_id, ctx.conversation_id, state["message"])
            turn_id, conversation_id = begun.id, begun.conversation_id
        else:
            turn_id, conversation_id = ctx.turn_id, ctx.conversation_id
        turn = history.finish_turn(
            ctx.user_id,
            conversation_id,
            turn_id,
            state.get("answer", ""),
            prompt_version=state.get("prompt_version", CHAT_PROMPT_VERSION),
            model_name=self.services.model_name,
            answered_by=state.get("answered_by", "model"),
            memories_used=[{"id": m.id, "score": m.score} for m in state.get("memories", [])],
        )
        jobs = self.services.jobs
        # Understanding the message (and storing what it says) is background work.
        jobs.enqueue("remember_turn", user_id=ctx.user_id, turn_id=turn.id)
        if self.services.profiler.due(ctx.user_id):
            self.services.jobs.enqueue("summarize_profile", user_id=ctx.user_id)
        return {"turn_id": turn.id, "conversation_id": turn.conversation_id}


class RecommendNodes:
    """`analyse → recommend`: fresh insights, then cited advice (cached while nothing changes)."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def analyse(self, state: RecommendState, runtime: Runtime[Context]) -> dict[str, Any]:
        """Recompute the user's insights from their consented data."""
        count = await asyncio.to_thread(self.services.analyst.analyse_user, runtime.context.user_id)
        return {"insights": count}

    async def recommend(self, state: RecommendState, runtime: Runtime[Context]) -> dict[str, Any]:
        """Ask the advisor (the rules write the advice when the model cannot)."""
        user_id, language = runtime.context.user_id, state.get("language", "en")
        refresh = state.get("refresh", False)
        advised = await asyncio.to_thread(
            lambda: self.services.advisor.recommend(user_id, language, refresh=refresh)
        )
        return {
            "recommendation_id": advised.row.id,
            "recommendations": advised.row.payload,
            "cached": advised.cached,
        }
