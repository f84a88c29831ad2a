"""A training example in the chat format trainers read: the exact prompt, and the answer."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any


def answer_text(answer: Mapping[str, Any]) -> str:
    """The answer as the model should write it: compact JSON, non-ASCII kept as is."""
    return json.dumps(answer, ensure_ascii=False, separators=(", ", ": "))


def chat_example(prompt: Sequence[Mapping[str, str]], answer: Mapping[str, Any]) -> dict[str, Any]:
    """A training line: `{"messages": [...prompt, {"role": "assistant", "content": JSON}]}`."""
    messages = [dict(m) for m in prompt]
    return {"messages": [*messages, {"role": "assistant", "content": answer_text(answer)}]}
