"""The shapes of memories that the rest of the product reads and writes (no storage here)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from memory.storage.models import MemoryRow

MEMORY_KINDS = ("turn", "data", "insight", "summary", "fact")
CONSOLIDATED = "consolidated"
"""Key of a turn memory's metadata set once its facts were consolidated."""

ProgressCallback = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class Memory:
    """A memory as the rest of the product sees it; `score` is set by searches (about 0..1)."""

    id: str
    user_id: int
    kind: str
    text: str
    created_at: datetime
    source_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    score: float | None = None
    valid_to: datetime | None = None
    """When a newer statement about the same thing replaced it (None: it still holds)."""
    superseded_by: str | None = None
    """The memory that replaced it."""

    @property
    def current(self) -> bool:
        """Whether it still holds (no newer statement replaced it)."""
        return self.valid_to is None

    @classmethod
    def from_row(cls, row: MemoryRow, score: float | None = None) -> Memory:
        """Copy a SQL row into the public shape."""
        return cls(
            id=row.id,
            user_id=row.user_id,
            kind=row.kind,
            text=row.text,
            created_at=row.created_at,
            source_id=row.source_id,
            metadata=dict(row.meta or {}),
            score=score,
            valid_to=row.valid_to,
            superseded_by=row.superseded_by,
        )


@dataclass(frozen=True, slots=True)
class NewMemory:
    """Input of a write. Memories sharing a `thread` are read in order, each with its neighbours."""

    text: str
    kind: str = "turn"
    created_at: datetime | None = None
    source_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    thread: str | None = None
    speaker: str | None = None


@dataclass(frozen=True, slots=True)
class Reconciled:
    """What `reconcile` did to make the vectors agree with SQL."""

    indexed: int
    """Memories whose owed (or lost) vector was written."""
    removed: int
    """Vectors removed because their memory is gone from SQL."""


def validate(item: NewMemory) -> None:
    """Refuse a memory of an unknown kind or without text (ValueError)."""
    if item.kind not in MEMORY_KINDS:
        raise ValueError(f"unknown memory kind {item.kind!r}; expected one of {MEMORY_KINDS}")
    if not item.text.strip():
        raise ValueError("a memory needs some text")
