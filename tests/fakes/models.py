"""Scripted chat models (from langchain_core) that also record what they were asked."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, GenericFakeChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field


class RecordingFakeModel(GenericFakeChatModel):
    """GenericFakeChatModel (streams its scripted answers word by word) + a log of prompts."""

    calls: list[list[BaseMessage]] = Field(default_factory=list)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.calls.append(list(messages))
        return super()._generate(messages, stop, run_manager, **kwargs)

    @property
    def last_prompt(self) -> str:
        """Every message of the last call, joined (for `in` checks)."""
        return "\n".join(str(m.content) for m in self.calls[-1])


def scripted(answers: Iterable[str]) -> RecordingFakeModel:
    """A model answering with `answers` in turn."""
    return RecordingFakeModel(messages=(AIMessage(a) for a in answers))


class FailingModel(GenericFakeChatModel):
    """A model whose every call fails, like a backend that crashes mid-turn."""

    messages: Any = iter(())

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        raise RuntimeError("model crashed")


class UnreachableModel(GenericFakeChatModel):
    """A model server that cannot be reached (every call: connection refused); counts calls."""

    messages: Any = iter(())
    calls: int = 0

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.calls += 1
        raise httpx.ConnectError("[Errno 111] Connection refused")


@dataclass
class Probe:
    """What the model saw: how many generations ran at once, which were closed, the kwargs."""

    gate: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    active: int = 0
    most_at_once: int = 0
    started: int = 0
    closed: int = 0
    kwargs: list[dict[str, Any]] = field(default_factory=list)

    def enter(self, kwargs: dict[str, Any]) -> None:
        with self.lock:
            self.active += 1
            self.started += 1
            self.most_at_once = max(self.most_at_once, self.active)
            self.kwargs.append(kwargs)

    def leave(self) -> None:
        with self.lock:
            self.active -= 1
            self.closed += 1


class GatedModel(BaseChatModel):
    """Streams `tokens`, each after the gate opens (open it at once for a free-running model)."""

    probe: Any
    tokens: tuple[str, ...] = ("one", " two", " three")

    @property
    def _llm_type(self) -> str:
        return "gated"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = "".join(chunk.text for chunk in self._stream(messages, stop, None, **kwargs))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        self.probe.enter(kwargs)
        try:
            for token in self.tokens:
                assert self.probe.gate.wait(10), "the test never opened the gate"
                yield ChatGenerationChunk(message=AIMessageChunk(content=token))
        finally:
            self.probe.leave()
