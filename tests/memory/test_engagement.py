"""Engagement and retrieval signals counted in SQL, on SQLite and on MariaDB/MySQL.

The engagement gauges are counts over windows; memories record when an answer used them, and
feedback on an answer whether it had memories. Nothing here is per user.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import update

from agent.services import Services
from memory.records.datatypes import NewRecord
from memory.storage.models import ConversationTurn, Feedback, RetrievalEvaluation, utcnow
from memory.usage.engagement import measure


def _turn(
    services: Services, user_id: int, *, days_ago: float = 0, memories: Sequence[str] = ()
) -> int:
    turn = services.history.begin_turn(user_id, None, "hello")
    services.history.finish_turn(
        user_id,
        turn.conversation_id,
        turn.id,
        "hi",
        prompt_version="chat-v1",
        model_name="m",
        memories_used=[{"id": m, "score": 0.9} for m in memories],
    )
    if days_ago:
        with services.sessions.begin() as session:
            session.execute(
                update(ConversationTurn)
                .where(ConversationTurn.id == turn.id)
                .values(created_at=utcnow() - timedelta(days=days_ago))
            )
    return turn.id


def test_engagement_counts_windows_returning_users_feedback_and_consents(
    services: Services,
) -> None:
    alice = services.accounts.local("alice").id
    bob = services.accounts.local("bob").id
    carol = services.accounts.local("carol").id
    memory = services.memory.add(alice, "I live in Hangzhou", kind="fact", index=False)
    answered = _turn(services, alice, memories=[memory])
    _turn(services, alice, days_ago=10)  # active the week before too: returning
    _turn(services, bob, days_ago=20)
    failed = services.history.begin_turn(bob, None, "hello?")
    services.history.fail_turn(bob, failed.conversation_id, failed.id, "model down")
    services.feedback.add(alice, target_type="turn", target_id=str(answered), rating=1)
    with services.sessions.begin() as session:  # recommendation feedback, as the route stores it
        session.add(
            Feedback(user_id=carol, target_type="recommendation", target_id="r-1", rating=1)
        )
        session.add(
            Feedback(
                user_id=carol,
                target_type="recommendation",
                target_id="r-2",
                rating=-1,
                adopted=True,
            )
        )
    services.user_data.consents.set(carol, {"health": True, "finance": True})
    services.user_data.consents.set(alice, {"health": True})
    services.user_data.consents.set(alice, {"health": False})
    services.user_data.add_many(carol, [NewRecord("health", {"steps": 9000})])

    figures = measure(services.sessions)
    assert figures.users == 3
    assert figures.active_users == {"1d": 2, "7d": 2, "30d": 2}
    assert figures.turns == {"1d": 2, "7d": 2, "30d": 4}
    assert figures.answers == {"1d": 1, "7d": 1, "30d": 3}
    assert figures.returning_users == 1
    assert figures.answer_feedback == {(w, "with", "up"): 1 for w in ("1d", "7d", "30d")}
    assert figures.recommendation_feedback[("7d", "up")] == 1
    assert figures.recommendation_feedback[("7d", "down")] == 1
    assert figures.recommendations_adopted == {"1d": 1, "7d": 1, "30d": 1}
    assert figures.consents == {
        "health": 1,
        "finance": 1,
        "education": 0,
        "behavior": 0,
        "custom": 0,
        "model_training": 0,
    }
    assert figures.records == {
        "health": 1,
        "finance": 0,
        "education": 0,
        "behavior": 0,
        "custom": 0,
    }

    # Three days on, today's activity has left the one-day window.
    later = measure(services.sessions, now=utcnow() + timedelta(days=3))
    assert later.active_users["1d"] == 0 and later.active_users["7d"] == 2
    assert later.answer_feedback.get(("1d", "with", "up"), 0) == 0


def test_an_answer_stamps_the_memories_it_was_given_and_only_its_users(
    services: Services,
) -> None:
    alice = services.accounts.local("alice").id
    bob = services.accounts.local("bob").id
    used, unused = (
        services.memory.add(alice, text, kind="fact", index=False) for text in ("tea", "coffee")
    )
    bobs = services.memory.add(bob, "bob's", kind="fact", index=False)
    # A turn naming another user's memory (it cannot happen; if it did, nothing of bob's changes).
    turn = _turn(services, alice, memories=[used, bobs])
    assert services.memory.shown_to_model(alice, used)
    assert not services.memory.shown_to_model(alice, unused)
    assert not services.memory.shown_to_model(bob, bobs)
    assert not services.memory.shown_to_model(bob, used)  # someone else's memory: never

    with_memories = services.feedback.add(alice, target_type="turn", target_id=str(turn), rating=1)
    without = _turn(services, alice)
    plain = services.feedback.add(alice, target_type="turn", target_id=str(without), rating=-1)
    assert (with_memories.with_memories, plain.with_memories) == (True, False)


def test_canary_runs_are_kept_and_the_latest_is_read_back(services: Services) -> None:
    assert services.evaluations.latest_run() is None
    for recall in (0.8, 0.9):
        services.evaluations.add(
            RetrievalEvaluation(
                duration_seconds=4.5,
                dataset="bilingual",
                embedding_model="multilingual-e5-small",
                trigger="cli",
                questions=43,
                recall_at_5=recall,
                recall_at_5_zh=0.95,
                recall_at_5_en=None,
                recall_at_5_cross=0.7,
                details={"questions": {"all": 43, "zh": 20, "en": 0, "cross": 23}},
            )
        )
    run = services.evaluations.latest_run()
    assert run is not None
    assert run.recall_at_5 == {"all": 0.9, "zh": 0.95, "cross": 0.7}
    assert run.questions["cross"] == 23 and run.duration_seconds == 4.5
    assert abs(run.finished_at - utcnow().timestamp()) < 60
