"""What makes two usernames the same account: the one rule behind registration and sign-in.

A username is kept as the person typed it (after NFKC and PRECIS width mapping, so `ａｌｉｃｅ`
is stored as `alice`), and each account also has a *key* that must be unique:

1. Unicode NFKC, then the PRECIS `UsernameCaseMapped` profile (RFC 8265: width mapping, case
   folding, NFC), so `Alice`, `ALICE` and `ａｌｉｃｅ` are all `alice`;
2. every non-ASCII character that looks like an ASCII letter or digit (Unicode's confusables
   data, via `confusable-homoglyphs`) is replaced by it, so Cyrillic `аlice` and Greek `αlice` are
   `alice` too, and an all-Cyrillic `сосо` is `coco`.

Registration also refuses names that mix scripts in a way no language writes (Unicode TR39's
"highly restrictive" level): one script, or Latin with the scripts Chinese, Japanese or Korean
mix with it (Han with Bopomofo, Hiragana and Katakana, or Hangul), plus digits and `_ . -`. So
`小明`, `小明_li`, `さくら`, `иван` and `müller` are fine; `аlice` (Cyrillic а + Latin) is not.
ASCII letters are never folded into each other (`rn` stays apart from `m`, `0` from `o`): they
are what people type, and such look-alikes are visible in the fonts the client uses.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from confusable_homoglyphs import categories, confusables
from precis_i18n import get_profile

MAX_LENGTH = 64
"""The `users.username` column's length."""

_CASE_MAPPED = get_profile("UsernameCaseMapped")
_CASE_PRESERVED = get_profile("UsernameCasePreserved")

_NEUTRAL = {"COMMON", "INHERITED"}
_ALLOWED_MIXES = (
    {"LATIN", "HAN", "HIRAGANA", "KATAKANA"},
    {"LATIN", "HAN", "BOPOMOFO"},
    {"LATIN", "HAN", "HANGUL"},
)


class InvalidUsernameError(ValueError):
    """The name cannot be a username; the message says why, in English and Chinese."""


def display_username(name: str) -> str:
    """The name as it is stored and shown; InvalidUsernameError if it cannot be a username."""
    try:
        shown: str = _CASE_PRESERVED.enforce(unicodedata.normalize("NFKC", name))
    except UnicodeEncodeError as exc:
        raise InvalidUsernameError(
            "may contain letters, digits, `_`, `.` and `-` only / 只能包含字母、数字、_、. 和 -"
        ) from exc
    if len(shown) > MAX_LENGTH:
        raise InvalidUsernameError(
            f"is longer than {MAX_LENGTH} characters / 超过 {MAX_LENGTH} 个字符"
        )
    scripts = {categories.alias(char) for char in shown} - _NEUTRAL
    if len(scripts) > 1 and not any(scripts <= allowed for allowed in _ALLOWED_MIXES):
        raise InvalidUsernameError(
            f"mixes scripts ({', '.join(sorted(s.title() for s in scripts))}) that look alike; "
            "write it in one script / 混用了容易混淆的文字，请只用一种文字"
        )
    return shown


def username_key(name: str) -> str:
    """The form two names share when they are the same account (never raises).

    Names stored before these rules (which PRECIS may refuse) still get a key: NFKC and
    case folding, with look-alikes replaced.
    """
    normal = unicodedata.normalize("NFKC", name)
    try:
        folded: str = _CASE_MAPPED.enforce(normal)
    except UnicodeEncodeError:
        folded = unicodedata.normalize("NFC", normal.casefold())
    return "".join(_ascii_lookalike(char) for char in folded)


@lru_cache(maxsize=4096)
def _ascii_lookalike(char: str) -> str:
    if char.isascii():
        return char
    for found in confusables.is_confusable(char, greedy=True) or []:
        for glyph in found["homoglyphs"]:
            candidate = glyph["c"].casefold()
            if candidate.isascii() and candidate.isalnum():
                return str(candidate)
    return char
