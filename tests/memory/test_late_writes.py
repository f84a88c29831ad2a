"""Late writes check whose they are: after an erasure, nothing written for the erased user lands.

The store-level half of the race of issue 26 (`tests/api/test_erasure_race.py` runs it through the
API), on SQLite, MariaDB and PostgreSQL: H's turn is pending, H is erased, A starts a turn; H's
answer, and every background writer's late work for H, finds nothing to write, quietly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from agent.jobs.runner import call_job
from agent.services import Services
from memory.conversations.history import TurnNotFoundError
from memory.privacy import USER_TABLES
from memory.records.insights import NewInsight
from memory.retrieval.store import NewMemory
from memory.storage.models import ConversationTurn
from memory.storage.owners import UserGoneError


def test_an_erased_users_late_answer_finds_nothing_and_never_lands_on_anothers_turn(
    services: Services,
) -> None:
    history = services.history
    hank = services.accounts.create("hank", password_hash=None).id
    pending = history.begin_turn(hank, None, "HANKSECRET-4267")
    services.privacy.erase(hank)
    alice = services.accounts.create("alice", password_hash=None).id
    hers = history.begin_turn(alice, None, "alice asks")

    assert alice != hank and hers.id != pending.id
    with pytest.raises(TurnNotFoundError):
        history.finish_turn(
            hank,
            pending.conversation_id,
            pending.id,
            "HANKSECRET",
            prompt_version="t",
            model_name="t",
        )
    history.fail_turn(hank, pending.conversation_id, pending.id, "late")  # nothing to mark
    # Even a late write that named A's turn id finds nothing unless it names A and A's thread.
    with pytest.raises(TurnNotFoundError):
        history.finish_turn(
            hank, hers.conversation_id, hers.id, "HANKSECRET", prompt_version="t", model_name="t"
        )
    with pytest.raises(TurnNotFoundError):
        history.finish_turn(
            alice,
            pending.conversation_id,
            hers.id,
            "HANKSECRET",
            prompt_version="t",
            model_name="t",
        )
    with services.sessions() as session:
        [row] = session.scalars(select(ConversationTurn)).all()
        assert (row.user_id, row.status, row.output_text) == (alice, "pending", None)


def _late_writers(services: Services, hank: int) -> dict[str, Callable[[], Any]]:
    """What each background writer does last, for a user erased while it worked."""
    return {
        "memories (indexing, chat)": lambda: services.memory.add(hank, "late memory"),
        "memories in bulk (imports)": lambda: services.memory.add_many(
            hank, [NewMemory("late record", kind="data")]
        ),
        "facts (consolidation)": lambda: services.memory.add_fact(hank, "lives in Hangzhou"),
        "insights (analysis)": lambda: services.insights.replace(
            hank, "health", [NewInsight("health.steps", "walks a lot", "good")]
        ),
        "profile (summaries)": lambda: services.accounts.update_profile(hank, summary="late"),
        "recommendations (cache)": lambda: services.advisor.recommend(hank, "en", refresh=True),
        "audit log": lambda: services.audit.record(hank, "read", "account"),
    }


def test_every_late_writer_of_an_erased_user_writes_nothing_and_jobs_end_quietly(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    hank = services.accounts.create("hank", password_hash=None).id
    services.memory.add(hank, "an early memory")
    services.privacy.erase(hank)

    for name, write in _late_writers(services, hank).items():
        with pytest.raises(UserGoneError):
            write()
        with caplog.at_level(logging.INFO):
            assert call_job(name, write, {}) is None  # a job's end, not its failure
    # Jobs that wake after the erasure find nothing to do.
    services.jobs.enqueue("consolidate_memory", user_id=hank, memory_id="gone")
    services.jobs.enqueue("summarize_profile", user_id=hank)
    services.jobs.enqueue("analyse_user", user_id=hank)

    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    with services.sessions() as session:
        for table, model in USER_TABLES.items():
            column = model.__table__.c["user_id"]
            assert session.scalars(select(column).where(column == hank)).all() == [], table
