"""Ids are never handed out twice: after an erasure, the next account and everything it writes
get new ids, on every database (SQLite needs AUTOINCREMENT for it; MySQL and PostgreSQL do it)."""

from __future__ import annotations

from sqlalchemy import Integer, func, select

from agent.services import Services
from memory.records.datatypes import NewRecord
from memory.records.insights import NewInsight
from memory.storage.models import NEVER_REUSED, Base


def test_every_table_with_an_integer_key_never_reuses_ids() -> None:
    owned = [
        table
        for table in Base.metadata.sorted_tables
        if [type(c.type) for c in table.primary_key.columns] == [Integer]
        and not any(c.foreign_keys for c in table.primary_key.columns)  # e.g. a user's clock
    ]
    assert len(owned) == 10
    assert [t.name for t in owned if t.kwargs != NEVER_REUSED] == []


def _traces(services: Services, name: str) -> dict[str, int]:
    """A user who writes a row into every table with an integer key; the highest id of each."""
    user = services.accounts.create(name, password_hash=None).id
    turn = services.history.begin_turn(user, None, f"{name} says hello")
    services.history.finish_turn(
        user, turn.conversation_id, turn.id, "hello", prompt_version="t", model_name="t"
    )
    services.user_data.consents.set(user, {"health": True, "model_training": True})
    services.user_data.add_many(user, [NewRecord("health", {"steps": 9000})])
    services.insights.replace(user, "health", [NewInsight("health.steps", "walks", "good")])
    memory = services.memory.add(user, "I live in Hangzhou", kind="fact")
    services.memory.forget_fact(user, memory)  # memory_history, memory_tombstones
    services.audit.record(user, "read", "account")
    services.feedback.add(user, target_type="turn", target_id=str(turn.id), rating=1)
    services.training.record(
        user, task="facts", language="en", messages=[{"role": "user", "content": "x"}], answer={}
    )
    highest = {}
    with services.sessions() as session:
        for table in Base.metadata.sorted_tables:
            if table.kwargs == NEVER_REUSED and "user_id" in table.columns:
                found = session.scalar(select(func.max(table.c.id)).where(table.c.user_id == user))
                assert found is not None, table.name
                highest[table.name] = int(found)
    highest["users"] = user
    return highest


def test_the_account_after_an_erasure_gets_new_ids_everywhere(services: Services) -> None:
    erased = _traces(services, "hank")
    services.privacy.erase(erased["users"])

    after = _traces(services, "alice")

    assert sorted(after) == sorted(erased)
    assert {name: after[name] > erased[name] for name in erased} == dict.fromkeys(erased, True)
