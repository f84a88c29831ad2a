"""Degenerate loops in a model's answer: a line, a sentence or a long run of words said again.

Small models, sampled long enough, repeat themselves until the token limit: the same line again
and again, or the same long clause inside new sentences. The llama.cpp guard
(`agent.model.guard`) stops generation at the first repeat, and every answer is cut before any
repeat left over, whatever model wrote it.
"""

from __future__ import annotations

import re
import unicodedata

_SEGMENT = re.compile(r"[^\n.!?。！？]*(?:[.!?。！？]+|\n)")
"""A sentence or a line, with the punctuation or newline that ends it."""
_WORD = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[^\W_]+")
"""A word, or a single Chinese character (Chinese has no spaces to split words at)."""

MIN_CHARS = 8
"""Letters and digits a sentence or line needs before its repeat counts (not "OK." or "1.")."""
SPAN = 16
"""Words (or Chinese characters) in a row that, said again, are a loop."""


def _key(segment: str) -> str:
    text = unicodedata.normalize("NFKC", segment).casefold()
    return "".join(ch for ch in text if ch.isalnum())


def _repeated_segment(text: str) -> int | None:
    """Where the first finished sentence or line that repeats an earlier one starts."""
    seen: set[str] = set()
    for match in _SEGMENT.finditer(text):
        key = _key(match.group(0))
        if len(key) < MIN_CHARS:
            continue
        if key in seen:
            return match.start()
        seen.add(key)
    return None


def _repeated_span(text: str) -> int | None:
    """Where the first run of `SPAN` words that repeats an earlier run (not overlapping) starts."""
    matches = list(_WORD.finditer(text))
    words = [m.group(0).casefold() for m in matches]
    first: dict[tuple[str, ...], int] = {}
    for i in range(len(words) - SPAN + 1):
        key = tuple(words[i : i + SPAN])
        earlier = first.setdefault(key, i)
        if earlier + SPAN <= i:
            return matches[i].start()
    return None


def _cut(text: str) -> int | None:
    found = [at for at in (_repeated_segment(text), _repeated_span(text)) if at is not None]
    return min(found) if found else None


def repeats(text: str) -> bool:
    """Whether `text` says again a finished sentence or line, or a long run of words."""
    return _cut(text) is not None


def without_repeats(text: str) -> str:
    """`text` cut before its first repeat, at the end of the sentence before it if there is one."""
    cut = _cut(text)
    if cut is None:
        return text.strip()
    head = text[:cut]
    end = max(head.rfind(mark) for mark in ".!?。！？\n")
    return (head[: end + 1] if end > 0 else head).strip()
