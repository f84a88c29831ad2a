"""Metrics of memory that understands (issue 28): what understanding found, and what came of it.

Split from `memadvisor.metrics` (same registry, same `memadvisor_` prefix, same rules: bounded
labels from the code, never a user id or text).
"""

from __future__ import annotations

from prometheus_client import Counter

from memadvisor.metrics import PREFIX

KINDS = ("fact", "preference", "goal", "event", "measurement", "forget")
TIERS = ("rules", "model")

STATEMENTS = Counter(
    f"{PREFIX}_understanding_statements_total",
    "Statements understanding found in users' messages, by kind and by the tier that found them.",
    ["kind", "tier"],
)
MESSAGES = Counter(
    f"{PREFIX}_understanding_messages_total",
    "User messages understood, by outcome: `remembered` (statements stored), `not_remembered` "
    "(questions and small talk only) or `verbatim` (nothing understood: the turn is kept as said).",
    ["outcome"],
)
CHAT_RECORDS = Counter(
    f"{PREFIX}_chat_records_total",
    "Records of measurements told in chat: `created`, `skipped_no_consent`, `invalid`, or "
    "`undone` (deleted by the user later).",
    ["event"],
)
REPLACEMENTS = Counter(
    f"{PREFIX}_fact_replacements_total",
    "Facts replaced by a newer statement about the same thing (subject and attribute).",
)


def initialise() -> None:
    """Export the known label sets from the start (0 rather than "no data")."""
    for kind in KINDS:
        for tier in TIERS:
            STATEMENTS.labels(kind, tier)
    for outcome in ("remembered", "not_remembered", "verbatim"):
        MESSAGES.labels(outcome)
    for event in ("created", "skipped_no_consent", "invalid", "undone"):
        CHAT_RECORDS.labels(event)


def statement_found(kind: str, tier: str) -> None:
    """Count one statement found by understanding."""
    STATEMENTS.labels(kind, tier).inc()


def message_understood(outcome: str) -> None:
    """Count one user message understood, by what became of it."""
    MESSAGES.labels(outcome).inc()


def chat_record(event: str, count: int = 1) -> None:
    """Count records from chat created, skipped, invalid, or undone by the user."""
    if count:
        CHAT_RECORDS.labels(event).inc(count)


def fact_replaced(count: int = 1) -> None:
    """Count facts replaced by newer statements."""
    if count:
        REPLACEMENTS.inc(count)
