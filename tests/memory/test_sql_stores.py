"""The SQL stores keep every character and every microsecond, on SQLite and on MariaDB/MySQL.

The `database_url` fixture (tests/memory/conftest.py) runs each test on both; MySQL needs utf8mb4
for Chinese and emoji (4-byte characters) and DATETIME(6) for fractions of a second.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agent.services import Services
from memory.accounts.users import Preferences
from memory.records.datatypes import NewRecord
from memory.retrieval.store import NewMemory

CHINESE_EMOJI = "我住在杭州🏯，每天早上跑步🏃‍♀️，最爱小笼包🥟"


def test_chinese_and_emoji_survive_every_store(services: Services) -> None:
    user = services.accounts.local("小明🐼")
    found = services.accounts.by_username("小明🐼")
    assert found is not None and (found.id, found.username) == (user.id, "小明🐼")

    memory_id = services.memory.add_many(
        user.id,
        [
            NewMemory(
                CHINESE_EMOJI,
                thread="对话🧵",
                speaker="李雷😀",
                metadata={"地点": "杭州 🏯", "emoji": "🐶"},
            )
        ],
    )[0]
    memory = services.memory.get(user.id, memory_id)
    assert memory is not None
    assert (memory.text, memory.metadata) == (CHINESE_EMOJI, {"地点": "杭州 🏯", "emoji": "🐶"})
    assert services.memory.search(user.id, "小笼包", k=1)[0].id == memory_id

    turn = services.history.begin_turn(user.id, None, CHINESE_EMOJI)
    services.history.finish_turn(
        user.id,
        turn.conversation_id,
        turn.id,
        "好的👍 记住了",
        prompt_version="v1😀",
        model_name="模型",
        memories_used=[],
    )
    [saved] = services.history.turns(user.id, turn.conversation_id)
    assert (saved.input_text, saved.output_text, saved.prompt_version) == (
        CHINESE_EMOJI,
        "好的👍 记住了",
        "v1😀",
    )
    assert services.history.conversations(user.id)[0].title.startswith("我住在杭州🏯")

    services.user_data.consents.set(user.id, {"behavior": True})
    services.user_data.add_many(
        user.id,
        [NewRecord("behavior", {"category": "运动🏃", "event": "西湖边跑了5公里🌅"})],
    )
    [record] = services.user_data.list(user.id)
    assert record.data == {"category": "运动🏃", "event": "西湖边跑了5公里🌅"}

    profile = services.accounts.update_profile(
        user.id, summary="喜欢跑步🏃", preferences=Preferences(likes=["小笼包🥟"])
    )
    likes = [entry["text"] for entry in profile.preferences["likes"]]
    assert (profile.summary, likes) == ("喜欢跑步🏃", ["小笼包🥟"])


def test_times_keep_their_microseconds(services: Services) -> None:
    user = services.accounts.local("alice")
    when = datetime(2023, 5, 8, 13, 56, 7, 123456, tzinfo=UTC)
    first = services.memory.add(user.id, "one", created_at=when, index=False)
    second = services.memory.add(
        user.id, "two", created_at=when + timedelta(microseconds=1), index=False
    )
    assert [m.id for m in services.memory.list(user.id)] == [second, first]
    memory = services.memory.get(user.id, first)
    assert memory is not None and memory.created_at == when


def test_an_edit_within_the_same_second_is_found_by_its_new_words(services: Services) -> None:
    """The keyword index is cached per user until `max(updated_at)` moves; it must move."""
    user = services.accounts.local("alice").id
    memory_id = services.memory.add(user, "I like green tea")
    assert services.memory.search(user, "tea", k=1)[0].id == memory_id
    for word in ("coffee", "cocoa", "lemonade"):
        services.memory.update(user, memory_id, f"I like {word}")
        assert [m.id for m in services.memory.search(user, word, k=1)] == [memory_id]
