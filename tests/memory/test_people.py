"""People a memory names: its speaker, capitalised names inside English sentences, Chinese names."""

from __future__ import annotations

from agent.services import Services
from memory.retrieval.people import people_named, query_words


def test_names_in_english_and_chinese_text() -> None:
    assert people_named("Caroline: Hey Mel! I went to the support group.") == ["caroline", "mel"]
    assert people_named("Caroline: Hey Mel!", speaker="Caroline") == ["caroline"]
    assert people_named("Yesterday I had lunch with Anna and Tom on Monday.") == ["anna", "tom"]
    assert people_named("Hey Mel, I run. It rains.", speaker="Li Wei") == ["li"]
    assert people_named("我和李雷昨天去了西湖，王芳也来了") == ["李雷", "王芳"]
    assert "melanie" in query_words("What did Melanie adopt?")
    assert "李雷" in query_words("李雷去了哪里？")


def test_a_question_naming_someone_prefers_memories_naming_them_in_chat(
    services: Services,
) -> None:
    """Chat memories have no speaker: the names in their text are what counts."""
    alice = services.accounts.local("alice").id
    with_anna = services.memory.add(alice, "Had a long lunch downtown with Anna, great pasta")
    with_tom = services.memory.add(alice, "Had a long lunch downtown with Tom, great pasta")
    assert services.memory.search(alice, "Where did Anna and I eat?", k=1)[0].id == with_anna
    assert services.memory.search(alice, "Where did Tom and I eat?", k=1)[0].id == with_tom
