"""Accept-Language picks the browser's first choice among Chinese and English."""

from __future__ import annotations

import pytest

from api.language import response_language


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("en-US,en;q=0.9,zh;q=0.8", "en"),
        ("en;q=0.5, zh-TW;q=0.9", "zh"),  # quality, not order
        ("zh-Hant-TW", "zh"),
        ("ZH-cn", "zh"),
        ("fr, zh;q=0.1", "zh"),  # the best language we have
        ("fr-FR", "en"),
        ("*", "en"),
        ("garbage;;q=x", "en"),
    ],
)
def test_the_preferred_supported_language_wins(header: str | None, expected: str) -> None:
    assert response_language(None, header) == expected


def test_an_explicit_lang_wins_over_the_header() -> None:
    assert response_language("en", "zh-CN") == "en"
