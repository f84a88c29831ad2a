"""A small per-user cache keyed by a version, for indexes built from a user's memories."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class UserCache(Generic[T]):
    """Values per user, valid for one version; the least recently used user is dropped first.

    The version is read from SQL by the caller (count and last change of the user's memories), so
    a value built by one process is never served after another process changed the data.
    """

    def __init__(self, capacity: int = 256) -> None:
        self._entries: OrderedDict[int, tuple[Hashable, T]] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def get(self, user_id: int, version: Hashable) -> T | None:
        """The value built for this version, or None."""
        with self._lock:
            entry = self._entries.get(user_id)
            if entry is None or entry[0] != version:
                return None
            self._entries.move_to_end(user_id)
            return entry[1]

    def put(self, user_id: int, version: Hashable, value: T) -> None:
        """Keep a value built for this version."""
        with self._lock:
            self._entries[user_id] = (version, value)
            self._entries.move_to_end(user_id)
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)

    def forget(self, user_id: int) -> None:
        """Drop one user's value (after erasure)."""
        with self._lock:
            self._entries.pop(user_id, None)

    def clear(self) -> None:
        """Drop everything."""
        with self._lock:
            self._entries.clear()
