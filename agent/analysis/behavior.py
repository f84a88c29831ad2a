"""Behaviour: which kinds of events fill the user's last 30 days."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from agent.analysis.base import Context, Finding, within
from memory.storage.models import UserData


def analyse_behavior(records: Sequence[UserData], context: Context) -> list[Finding]:
    """The most frequent categories of the last 30 days, with time spent where recorded."""
    recent = within(records, context.now, 30)
    if not recent:
        return []
    counts = Counter(str(r.data.get("category", "")).strip().lower() for r in recent)
    minutes: dict[str, float] = {}
    for r in recent:
        if isinstance(r.data.get("duration_minutes"), int | float):
            name = str(r.data["category"]).strip().lower()
            minutes[name] = minutes.get(name, 0.0) + float(r.data["duration_minutes"])
    top = [
        {"category": name, "events": n, "minutes": round(minutes.get(name, 0.0))}
        for name, n in counts.most_common(3)
    ]
    return [
        Finding(
            "behavior.top_categories",
            "info",
            {"top": top, "events_30d": len(recent)},
            [r.id for r in recent],
        )
    ]
