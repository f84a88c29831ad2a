"""The language a response is written in: an explicit `lang`, else the Accept-Language header."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Query

from prompts.language import Language


def response_language(
    lang: Annotated[
        Language | None, Query(description="`zh` or `en`; default from the browser.")
    ] = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> Language:
    """`zh` when asked for or when the browser prefers Chinese, else `en`."""
    if lang:
        return lang
    first = (accept_language or "").split(",")[0].strip().lower()
    return "zh" if first.startswith("zh") else "en"
