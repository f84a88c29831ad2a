"""Latency and tokens of every model call, recorded by a LangChain callback on the model itself.

Attached to the model (not passed per call), it sees every use: the chat answer, the summariser,
consolidation and recommendations, including `with_structured_output` bindings, and it leaves the
run's own callbacks (LangGraph's token streaming) untouched. Series follow the OpenTelemetry GenAI
conventions (`memadvisor.metrics`); tokens come from LangChain's provider-neutral `usage_metadata`,
so any provider that reports usage (Ollama, OpenAI-compatible servers) is counted the same way.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler, BaseCallbackManager
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, GenerationChunk, LLMResult

from memadvisor import metrics


@dataclass(slots=True)
class _Call:
    start: float
    chunks: int = 0


class LLMMetricsHandler(BaseCallbackHandler):
    """Times each call from start to end and counts its tokens under one model label."""

    run_inline = True  # a few dictionary operations: not worth a thread hop per token

    def __init__(self, label: str) -> None:
        self.label = label
        self.provider, self.model = metrics.model_labels(label)
        self._calls: dict[UUID, _Call] = {}
        self._lock = threading.Lock()

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        **kwargs: Any,
    ) -> None:
        """Note when the call started."""
        self._begin(run_id)

    def on_llm_start(
        self, serialized: dict[str, Any], prompts: list[str], *, run_id: UUID, **kwargs: Any
    ) -> None:
        """Note when the call started (plain completion models)."""
        self._begin(run_id)

    def on_llm_new_token(
        self,
        token: str | list[str | dict[str, Any]],
        *,
        chunk: GenerationChunk | ChatGenerationChunk | None = None,
        run_id: UUID,
        **kwargs: Any,
    ) -> None:
        """Count a streamed chunk that carries text; time the first."""
        if not token:
            return
        with self._lock:
            call = self._calls.get(run_id)
            if call is not None:
                call.chunks += 1
        if call is not None and call.chunks == 1:
            metrics.observe_first_chunk(
                time.perf_counter() - call.start, provider=self.provider, model=self.model
            )

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        """Record the call's time and tokens (reported by the model, else streamed chunks)."""
        call = self._end(run_id)
        if call is None:
            return
        prompt, completion = reported_tokens(response)
        metrics.observe_model_call(
            time.perf_counter() - call.start,
            provider=self.provider,
            model=self.model,
            input_tokens=prompt,
            output_tokens=completion if completion is not None else call.chunks,
        )

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """Record a call that raised."""
        if (call := self._end(run_id)) is not None:
            metrics.observe_model_call(
                time.perf_counter() - call.start,
                provider=self.provider,
                model=self.model,
                error=error,
            )

    def _begin(self, run_id: UUID) -> None:
        with self._lock:
            self._calls[run_id] = _Call(time.perf_counter())

    def _end(self, run_id: UUID) -> _Call | None:
        with self._lock:
            return self._calls.pop(run_id, None)


def reported_tokens(response: LLMResult) -> tuple[int | None, int | None]:
    """Input and output tokens as the model reported them (`usage_metadata`, else llm_output).

    `usage_metadata` is LangChain's provider-neutral shape; `llm_output` covers older integrations
    (`token_usage`/`usage` with `prompt_tokens`/`completion_tokens`).
    """
    prompt = completion = None
    for generations in response.generations:
        for generation in generations:
            usage = (
                getattr(generation.message, "usage_metadata", None)
                if isinstance(generation, ChatGeneration)
                else None
            )
            if usage:
                prompt = (prompt or 0) + int(usage.get("input_tokens", 0))
                completion = (completion or 0) + int(usage.get("output_tokens", 0))
    if prompt is None and completion is None and response.llm_output:
        usage = response.llm_output.get("token_usage") or response.llm_output.get("usage") or {}
        if isinstance(usage, dict) and usage:
            prompt = int(usage.get("prompt_tokens", 0)) or None
            completion = int(usage.get("completion_tokens", 0)) or None
    return prompt, completion


def instrument(model: BaseChatModel, label: str) -> BaseChatModel:
    """Attach the metrics callback to `model` (once), and return it."""
    callbacks = model.callbacks
    if isinstance(callbacks, BaseCallbackManager):
        if not any(isinstance(c, LLMMetricsHandler) for c in callbacks.handlers):
            callbacks.add_handler(LLMMetricsHandler(label), inherit=False)
    elif not any(isinstance(c, LLMMetricsHandler) for c in callbacks or []):
        model.callbacks = [*(callbacks or []), LLMMetricsHandler(label)]
    return model
