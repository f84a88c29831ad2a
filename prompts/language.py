"""Which language to answer in: the language the user wrote in (nothing is translated)."""

from __future__ import annotations

import re
from typing import Literal

Language = Literal["zh", "en"]

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def cjk_share(text: str) -> float:
    """The share of Chinese characters among the letters of `text` (0 without letters)."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 0.0
    return sum(1 for ch in letters if _CJK.match(ch)) / len(letters)


def detect_language(text: str) -> Language:
    """`zh` when Chinese characters make up a noticeable share of the letters, else `en`."""
    return "zh" if cjk_share(text) >= 0.2 else "en"
