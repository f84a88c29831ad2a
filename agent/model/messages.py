"""LangChain messages as the `{"role", "content"}` dicts that chat templates and trainers read."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import BaseMessage

ROLES = {"system": "system", "human": "user", "ai": "assistant"}


def chat_dicts(messages: Sequence[BaseMessage]) -> list[dict[str, str]]:
    """LangChain messages as `{"role", "content"}` dicts (the roles chat templates know)."""
    return [{"role": ROLES[m.type], "content": m.text} for m in messages]
