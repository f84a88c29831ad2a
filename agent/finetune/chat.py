"""A training example in the chat format trainers read: the exact prompt, and the answer."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import BaseMessage

ROLES = {"system": "system", "human": "user", "ai": "assistant"}


def chat_dicts(messages: Sequence[BaseMessage]) -> list[dict[str, str]]:
    """LangChain messages as `{"role", "content"}` dicts (the roles chat templates know)."""
    return [{"role": ROLES[m.type], "content": m.text} for m in messages]


def answer_text(answer: Mapping[str, Any]) -> str:
    """The answer as the model should write it: compact JSON, non-ASCII kept as is."""
    return json.dumps(answer, ensure_ascii=False, separators=(", ", ": "))


def chat_example(prompt: Sequence[Mapping[str, str]], answer: Mapping[str, Any]) -> dict[str, Any]:
    """A training line: `{"messages": [...prompt, {"role": "assistant", "content": JSON}]}`."""
    messages = [dict(m) for m in prompt]
    return {"messages": [*messages, {"role": "assistant", "content": answer_text(answer)}]}
