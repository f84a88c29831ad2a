"""The scheduled jobs: they find work in SQL and enqueue one job per piece, never doing it inline.

Fanning out keeps each queued job short (well inside the visibility timeout) and lets several
workers share the work; every job they enqueue is idempotent, so enqueuing twice costs only time.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from agent.jobs.runner import JobRunner
from memadvisor.settings import Settings
from memory.retrieval.owed import unconsolidated_turns, users_with_data, users_with_new_turns
from memory.retrieval.store import MemoryStore
from memory.storage.models import utcnow


class Services(Protocol):
    """What the scheduled jobs use of a process's services (`agent.services.Services` has it).

    A protocol rather than an import, so `agent.services` can bind these jobs without a circle.
    """

    @property
    def settings(self) -> Settings: ...  # noqa: D102

    @property
    def sessions(self) -> sessionmaker[Session]: ...  # noqa: D102

    @property
    def memory(self) -> MemoryStore: ...  # noqa: D102

    @property
    def jobs(self) -> JobRunner: ...  # noqa: D102

    @property
    def consolidates(self) -> bool: ...  # noqa: D102


logger = logging.getLogger(__name__)

CONSOLIDATION_LOOKBACK = timedelta(days=2)
"""Turns older than this are not consolidated late (nor the history of before the feature)."""


def refresh_profiles(services: Services) -> int:
    """Daily: a profile summary for every user with answered turns it has not read yet."""
    users = users_with_new_turns(services.sessions, at_least=1)
    for user_id in users:
        services.jobs.enqueue("summarize_profile", user_id=user_id, at_least=1)
    logger.info("daily profile refresh: %d users with new turns", len(users))
    return len(users)


def analyse_everyone(services: Services) -> int:
    """Daily: rerun the analysers, whose windows ("the last 30 days") move with the date."""
    users = users_with_data(services.sessions)
    for user_id in users:
        services.jobs.enqueue("analyse_user", user_id=user_id)
    return len(users)


def reconcile(services: Services) -> int:
    """Enqueue again what SQL says is owed: after Redis lost its queue, nothing stays undone."""
    owed = 0
    if services.memory.count_pending() > 0:
        services.jobs.enqueue("index_memories")
        owed += 1
    for user_id in users_with_new_turns(services.sessions, services.settings.summary_every_turns):
        services.jobs.enqueue("summarize_profile", user_id=user_id)
        owed += 1
    if services.consolidates:
        since = utcnow() - CONSOLIDATION_LOOKBACK
        for user_id, memory_id in unconsolidated_turns(services.sessions, since):
            services.jobs.enqueue("consolidate_memory", user_id=user_id, memory_id=memory_id)
            owed += 1
    if owed:
        logger.info("re-enqueued %d owed jobs recorded in SQL", owed)
    return owed
