"""Degenerate loops in a model's answer: a line or sentence said again.

Small models, sampled long enough, repeat themselves until the token limit. The llama.cpp guard
(`agent.llamacpp_guard`) stops generation on the first repeat, and every answer is cleaned of any
repeat left over, whatever model wrote it.
"""

from __future__ import annotations

import re
import unicodedata

_SEGMENT = re.compile(r"[^\n.!?。！？]*(?:[.!?。！？]+|\n)")
"""A sentence or a line, with the punctuation or newline that ends it."""

MIN_CHARS = 8
"""Letters and digits a segment needs before its repeat counts (not "OK." or "1.")."""


def _key(segment: str) -> str:
    text = unicodedata.normalize("NFKC", segment).casefold()
    return "".join(ch for ch in text if ch.isalnum())


def complete_segments(text: str) -> list[str]:
    """The finished sentences and lines of `text` (the unfinished tail left out)."""
    return [m.group(0) for m in _SEGMENT.finditer(text)]


def repeats(text: str) -> bool:
    """Whether a finished sentence or line of `text` says again what an earlier one said."""
    seen: set[str] = set()
    for segment in complete_segments(text):
        key = _key(segment)
        if len(key) < MIN_CHARS:
            continue
        if key in seen:
            return True
        seen.add(key)
    return False


def without_repeats(text: str) -> str:
    """`text` cut before its first repeated sentence or line (whitespace tidied)."""
    seen: set[str] = set()
    end = 0
    for match in _SEGMENT.finditer(text):
        key = _key(match.group(0))
        if len(key) >= MIN_CHARS:
            if key in seen:
                return text[:end].strip()
            seen.add(key)
        end = match.end()
    return text.strip()
