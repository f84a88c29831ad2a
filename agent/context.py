"""Per-run data handed to the chat graph by whoever authenticated the user (API, CLI, tests)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Context:
    """Who is talking and where; never taken from a client's request body or graph config."""

    user_id: int
    """The authenticated user: every read and write of the run is scoped to them."""
    conversation_id: str | None = None
    """The conversation to continue; None starts a new one."""
    turn_id: int | None = None
    """The turn already saved by the caller (the API saves the message before the model runs)."""
    top_k: int | None = None
    """How many memories to retrieve; None uses the setting."""
