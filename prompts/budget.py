"""Every prompt fits the model's context window, with room left for the answer.

Tokens are counted by a `TokenCounter`: the model's own tokenizer where we have it (llama.cpp), a
conservative bound otherwise (`agent.model.tokens`). A prompt is rendered from notes in priority order;
when it would not fit, the lowest-priority notes are left out, and if the bare prompt is still too
long its last message (the user's) is shortened. It is never an error.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from langchain_core.messages import BaseMessage

T = TypeVar("T")

MESSAGE_OVERHEAD = 8
"""Tokens a chat template adds around each message (ChatML: `<|im_start|>role\\n…<|im_end|>\\n`,
five; Llama 3's headers, five; rounded up)."""
PROMPT_OVERHEAD = 16
"""Tokens around the whole conversation (a BOS token, the assistant's opening header)."""
CUT_MARK = " …"


class TokenCounter(Protocol):
    """Counts the tokens of a text the way the model will (or never fewer)."""

    def count(self, text: str) -> int:
        """Tokens of `text`, without special tokens."""
        ...


@dataclass(frozen=True, slots=True)
class PromptBudget:
    """The model's window and the room its answers need."""

    counter: TokenCounter
    context_window: int
    answer_tokens: int
    """Room kept for a chat answer (the model's max tokens)."""
    json_tokens: int
    """Room kept for a JSON answer (a cut-off object is invalid, so more)."""

    def count_messages(self, messages: Sequence[BaseMessage]) -> int:
        """Tokens of the rendered conversation, template included."""
        return PROMPT_OVERHEAD + sum(
            self.counter.count(m.text) + MESSAGE_OVERHEAD for m in messages
        )

    def fit(
        self,
        notes: Sequence[T],
        render: Callable[[Sequence[T]], list[BaseMessage]],
        *,
        answer_tokens: int,
        extra_tokens: int = 0,
    ) -> tuple[list[BaseMessage], int]:
        """The prompt from the most notes (best first) that fit, and how many notes it holds.

        `render` builds the messages from a prefix of `notes`; `extra_tokens` is sent besides
        them (a schema in the prompt).
        """
        limit = self.context_window - answer_tokens - extra_tokens
        low, high = 0, len(notes)
        if self.count_messages(render(notes)) <= limit:
            low = high
        while low < high:  # the longest prefix that fits; at least the bare prompt
            middle = (low + high + 1) // 2
            if self.count_messages(render(notes[:middle])) <= limit:
                low = middle
            else:
                high = middle - 1
        messages = render(notes[:low])
        over = self.count_messages(messages) - limit
        if over > 0:
            messages = [*messages[:-1], _shortened(messages[-1], over, self.counter)]
        return messages, low

    def take(self, items: Sequence[T], text_of: Callable[[T], str], budget: int) -> list[T]:
        """The items, best first, without duplicates, whose texts fit in `budget` tokens.

        An item too long for what is left is skipped, so one long memory does not crowd out the
        shorter ones behind it.
        """
        chosen: list[T] = []
        seen: set[str] = set()
        left = budget
        for item in items:
            text = text_of(item)
            key = normalized(text)
            if not key or key in seen:
                continue
            cost = self.counter.count(text) + 8  # the date and quoting around each memory
            if cost > left:
                continue
            seen.add(key)
            chosen.append(item)
            left -= cost
        return chosen


def _shortened(message: BaseMessage, over: int, counter: TokenCounter) -> BaseMessage:
    """`message` with its text cut so it is `over` tokens shorter (its start kept)."""
    text = message.text
    target = max(0, counter.count(text) - over - counter.count(CUT_MARK))
    low, high = 0, len(text)
    while low < high:  # the longest start of the text within `target` tokens
        middle = (low + high + 1) // 2
        if counter.count(text[:middle]) <= target:
            low = middle
        else:
            high = middle - 1
    return message.model_copy(update={"content": text[:low] + CUT_MARK})


def normalized(text: str) -> str:
    """Text reduced to what tells two memories apart (no case, width, spaces, punctuation)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in text if ch.isalnum())
