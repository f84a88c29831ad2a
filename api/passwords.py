"""How hard a new password is to guess (zxcvbn), and the 422 that says why it is refused.

zxcvbn estimates the guesses an attacker needs from its shipped lists (common passwords, names,
words, keyboard walks, dates, repeats) and the user's own name and email. Its score 2 means
about a million guesses, which the sign-in throttle makes take years; `password` and `12345678`
score 0. Length rules alone accept both; only the first 72 characters are scored (zxcvbn's
limit: past it, time grows faster than strength).
"""

from __future__ import annotations

from fastapi.exceptions import RequestValidationError
from zxcvbn import zxcvbn

MAX_SCORED = 72
_CHINESE = "这个密码太容易被猜到，请使用由几个不常见的词组成的更长的密码。"


def check_password_strength(password: str, *, min_score: int, user_inputs: list[str]) -> None:
    """Return if the password is strong enough; else a 422 naming the field, in both languages."""
    result = zxcvbn(password[:MAX_SCORED], user_inputs=user_inputs)
    if int(result["score"]) >= min_score:
        return
    feedback = result["feedback"]
    hints = [feedback["warning"], *feedback["suggestions"]]
    if not feedback["suggestions"]:
        hints.append("Use a longer phrase of several uncommon words.")
    english = " ".join(["This password is too easy to guess.", *(hint for hint in hints if hint)])
    raise RequestValidationError(
        [
            {
                "type": "password_too_weak",
                "loc": ("body", "password"),
                "msg": f"{english} / {_CHINESE}",
            }
        ]
    )
