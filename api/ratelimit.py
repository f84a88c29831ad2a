"""Rate limits and sign-in throttling, counted in a `limits` storage (memory, or Redis when shared).

Sign-in follows OWASP's advice against both guessing and lock-out abuse: no hard lock-out, but a
wait that doubles with every failure past a few free ones, counted

- per account and client: the client is the browser when it holds the account's device cookie
  (set at each successful sign-in), else the address. One attacker slows down only themselves;
- per account, over every client the account never signed in on: a slow backoff with a short
  ceiling against guessing spread over many addresses. Browsers with the device cookie skip it,
  so the owner is never held up, and a new address waits at most the ceiling;
- per address, over all accounts: a plain limit against trying a few passwords on many accounts.

Registrations are limited per address and chat turns per user (`RateLimits`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from fastapi import HTTPException, status
from limits import RateLimitItem, parse
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from memadvisor.settings import Settings

FAILURES_FORGOTTEN_AFTER = 24 * 3600
"""Seconds after the first counted failure that a backoff counter is forgotten."""


def too_many(wait: int, what: str, chinese: str) -> HTTPException:
    """A 429 that says how long to wait, in the header and in words (English and Chinese)."""
    if wait < 60:
        when, zh_when = f"{max(wait, 1)} s", f"{max(wait, 1)} 秒"
    else:
        when, zh_when = f"{math.ceil(wait / 60)} min", f"{math.ceil(wait / 60)} 分钟"
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS,
        detail=f"{what}; please try again in {when}. / {chinese}，请 {zh_when}后再试。",
        headers={"Retry-After": str(max(wait, 1))},
    )


class Backoff:
    """Failures per key; after `free` of them each further try waits 1, 2, 4 ... `cap` seconds.

    The wait is a key of its own that expires when the wait is over, so every process sharing
    the storage sees it.
    """

    def __init__(self, storage: Storage, name: str, *, free: int, cap: int) -> None:
        self._storage = storage
        self._name = name
        self._free = free
        self._cap = cap

    def retry_after(self, key: str) -> int:
        """Seconds this key must still wait; 0 when it may try now."""
        wait_key = f"{self._name}:wait:{key}"
        if not self._storage.get(wait_key):
            return 0
        return max(0, math.ceil(self._storage.get_expiry(wait_key) - time.time()))

    def failed(self, key: str) -> None:
        """Count a failure; past the free ones, start the (doubled) wait."""
        failures = self._storage.incr(f"{self._name}:n:{key}", FAILURES_FORGOTTEN_AFTER)
        if failures > self._free:
            delay = min(2 ** min(failures - self._free - 1, 30), self._cap)
            self._storage.incr(f"{self._name}:wait:{key}", delay)

    def succeeded(self, key: str) -> None:
        """Forget the key's failures."""
        self._storage.clear(f"{self._name}:n:{key}")
        self._storage.clear(f"{self._name}:wait:{key}")


@dataclass(frozen=True, slots=True)
class SignInClient:
    """Who is signing in to which account, for throttling."""

    account: str
    """The normalised username (the same key whether or not the account exists)."""
    address: str
    device: str | None
    """The id of the account's device cookie the browser presented, if valid."""

    @property
    def pair(self) -> str:
        """The account together with the client: its device if known, else its address."""
        client = f"device:{self.device}" if self.device else f"ip:{self.address}"
        return f"{self.account}|{client}"


class LoginThrottle:
    """Decides whether a sign-in may be tried now, and counts the failed ones."""

    def __init__(self, storage: Storage, settings: Settings) -> None:
        self._pairs = Backoff(
            storage,
            "login-pair",
            free=settings.login_free_failures,
            cap=settings.login_backoff_max_seconds,
        )
        self._accounts = Backoff(
            storage,
            "login-account",
            free=settings.login_account_free_failures,
            cap=settings.login_account_backoff_max_seconds,
        )
        self._address_rule: RateLimitItem = parse(settings.login_failures_per_address)
        self._limiter = MovingWindowRateLimiter(storage)

    def retry_after(self, client: SignInClient) -> int:
        """Seconds until this client may try this account; 0 now."""
        waits = [self._pairs.retry_after(client.pair)]
        if client.device is None:
            waits.append(self._accounts.retry_after(client.account))
        if not self._limiter.test(self._address_rule, "login-ip", client.address):
            reset = self._limiter.get_window_stats(
                self._address_rule, "login-ip", client.address
            ).reset_time
            waits.append(max(1, math.ceil(reset - time.time())))
        return max(waits)

    def failed(self, client: SignInClient) -> None:
        """Count a wrong password (or unknown account) against every key of the client."""
        self._pairs.failed(client.pair)
        if client.device is None:
            self._accounts.failed(client.account)
        self._limiter.hit(self._address_rule, "login-ip", client.address)

    def succeeded(self, client: SignInClient) -> None:
        """The right password: this client's own backoff starts afresh."""
        self._pairs.succeeded(client.pair)


class RateLimits:
    """Plain moving-window limits: registrations per address, chat turns per user."""

    def __init__(self, storage: Storage, settings: Settings) -> None:
        self._limiter = MovingWindowRateLimiter(storage)
        self._registrations = parse(settings.registrations_per_address)
        self._chat = parse(settings.chat_turns_per_user)

    def registration(self, address: str) -> None:
        """Count a registration from `address`; 429 when it is over the limit."""
        self._hit(
            self._registrations,
            ("Too many new accounts from your address", "从你的地址注册的新账户过多"),
            "register",
            address,
        )

    def chat_turn(self, user_id: int) -> None:
        """Count a chat message of the user; 429 when it is over the limit."""
        self._hit(
            self._chat, ("You are sending messages too fast", "消息发送过快"), "chat", str(user_id)
        )

    def _hit(self, rule: RateLimitItem, what: tuple[str, str], *key: str) -> None:
        if not self._limiter.hit(rule, *key):
            reset = self._limiter.get_window_stats(rule, *key).reset_time
            raise too_many(max(1, math.ceil(reset - time.time())), *what)


def make_storage(settings: Settings) -> Storage:
    """The storage every limit of the process counts in."""
    storage = storage_from_string(settings.rate_limit_storage)
    if not isinstance(storage, Storage):
        raise ValueError("MEMADVISOR_RATE_LIMIT_STORAGE must be a synchronous `limits` storage")
    return storage
