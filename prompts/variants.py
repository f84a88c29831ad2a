"""Prompt variants for A/B tests: each adds a style line to the chat and advice prompts.

`prompt_variants` (a setting) names the active ones; a user always lands in the same one (a hash
of their id), and the variant is recorded with every answer and recommendation, so feedback
statistics can be compared per variant.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from prompts.language import Language

VARIANTS: dict[str, dict[Language, str]] = {
    "standard": {"en": "", "zh": ""},
    "explained": {
        "en": "For every suggestion, say in one sentence why it fits this user.",
        "zh": "每条建议都用一句话说明它为什么适合这位用户。",
    },
    "brief": {
        "en": "Be as brief as you can: at most three short sentences.",
        "zh": "尽量简短：最多三句话。",
    },
}


def check_variants(active: Sequence[str]) -> None:
    """Refuse names that have no text here (a typo in settings would silently fall back)."""
    unknown = [name for name in active if name not in VARIANTS]
    if unknown or not active:
        raise ValueError(
            f"unknown prompt variants {unknown or active}; known: {', '.join(VARIANTS)}"
        )


def assign_variant(user_id: int, active: Sequence[str]) -> str:
    """The user's variant: stable for a user and a list of active variants."""
    if len(active) == 1:
        return active[0]
    digest = hashlib.sha256(f"variant:{user_id}".encode()).digest()
    return active[int.from_bytes(digest[:8], "big") % len(active)]


def variant_line(variant: str, language: Language) -> str:
    """The variant's extra instruction (empty for `standard`)."""
    return VARIANTS.get(variant, VARIANTS["standard"])[language]


def versioned(version: str, variant: str) -> str:
    """The recorded prompt version: the template's version and the variant, e.g. `chat-v3/brief`."""
    return f"{version}/{variant}"


def split_version(recorded: str | None) -> tuple[str | None, str | None]:
    """`chat-v3/brief` → (`chat-v3`, `brief`); older records have no variant."""
    if not recorded:
        return None, None
    version, _, variant = recorded.partition("/")
    return version, variant or None
