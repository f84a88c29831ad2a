"""Failed sign-ins are limited per account and per client address (the `limits` library).

A guessing attack then costs hours instead of seconds, and the limit on the account also holds
against an attacker who spreads attempts over many addresses.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


class LoginLimiter:
    """Counts failed sign-ins; `retry_after` says how long a key must wait, if at all.

    In-process (one API process); a deployment with several processes would point `limits` at
    Redis, which it supports.
    """

    def __init__(self, rule: str) -> None:
        self._rule: RateLimitItem = parse(rule)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def retry_after(self, *keys: str) -> int:
        """Seconds until every key may try again; 0 when none is over the limit."""
        wait = 0.0
        for key in keys:
            if not self._limiter.test(self._rule, key):
                reset = self._limiter.get_window_stats(self._rule, key).reset_time
                wait = max(wait, reset - time.time())
        return math.ceil(wait) if wait > 0 else 0

    def failed(self, *keys: str) -> None:
        """Count one failed attempt against each key."""
        for key in keys:
            self._limiter.hit(self._rule, key)
