"""Keep the memory part of a prompt small: no duplicates, and under a token budget.

Token counts are estimated without a tokenizer (the model may be llama.cpp or any Ollama model):
a CJK character is about one token, an English word about 1.3, other symbols a quarter each. The
estimate errs on the high side so the budget holds for the common tokenizers.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import TypeVar

_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
_WORD = re.compile(r"[A-Za-z0-9]+")

T = TypeVar("T")


def estimate_tokens(text: str) -> int:
    """A conservative token count for mixed Chinese and English text."""
    cjk = len(_CJK.findall(text))
    words = _WORD.findall(text)
    rest = len(_CJK.sub("", _WORD.sub("", text)).replace(" ", ""))
    return cjk + math.ceil(1.3 * len(words)) + math.ceil(rest / 4)


def normalized(text: str) -> str:
    """Text reduced to what tells two memories apart (no case, width, spaces, punctuation)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in text if ch.isalnum())


def fit_to_budget(items: Sequence[T], text_of: Callable[[T], str], budget: int) -> list[T]:
    """The items, best first as given, without duplicates, whose texts fit in `budget` tokens.

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
        cost = estimate_tokens(text) + 8  # the date and quoting around each memory
        if cost > left:
            continue
        seen.add(key)
        chosen.append(item)
        left -= cost
    return chosen
