"""Scripted chat models (from langchain_core) that also record what they were asked."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatResult
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
