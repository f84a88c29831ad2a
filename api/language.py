"""The language a response is written in: an explicit `lang`, else the Accept-Language header.

Werkzeug parses the header (quality values, order, `*`) and Babel each language tag
(`zh-Hant-TW` is Chinese), so the browser's first choice among Chinese and English wins.
"""

from __future__ import annotations

from typing import Annotated

from babel.core import parse_locale
from fastapi import Header, Query
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from prompts.language import Language

SUPPORTED: tuple[Language, ...] = ("zh", "en")
DEFAULT: Language = "en"


def response_language(
    lang: Annotated[
        Language | None, Query(description="`zh` or `en`; default from the browser.")
    ] = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> Language:
    """`lang` when given, else the browser's preferred of Chinese and English (English if none)."""
    if lang:
        return lang
    for tag, _quality in parse_accept_header(accept_language, LanguageAccept):  # best first
        try:
            language = parse_locale(tag, sep="-")[0].lower()
        except ValueError:  # `*` or a malformed tag
            continue
        if language in SUPPORTED:
            return "zh" if language == "zh" else "en"
    return DEFAULT
