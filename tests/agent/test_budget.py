"""The memory part of a prompt is deduplicated and stays under its token budget."""

from __future__ import annotations

from collections.abc import Callable

from agent.context import Context
from agent.graph import compile_graph
from agent.services import Services
from prompts.budget import estimate_tokens, fit_to_budget
from tests.fakes.models import RecordingFakeModel


def test_estimates_are_conservative_for_both_languages() -> None:
    assert estimate_tokens("I live in Hangzhou") >= 4
    assert estimate_tokens("我住在杭州") >= 5
    assert estimate_tokens("") == 0


def test_duplicates_are_dropped_and_long_items_skipped() -> None:
    texts = ["I live in Hangzhou.", "i live in  hangzhou", "word " * 500, "I have a dog."]
    assert fit_to_budget(texts, str, budget=40) == ["I live in Hangzhou.", "I have a dog."]


async def test_the_prompt_never_exceeds_the_memory_budget(
    make_services: Callable[..., Services], model: RecordingFakeModel
) -> None:
    services = make_services(model, memory_token_budget=60, memory_top_k=20)
    graph = compile_graph(services)
    alice = services.accounts.local("alice").id
    for i in range(12):
        services.memory.add(
            alice, f"Fact number {i}: I like hiking in the mountains near Hangzhou."
        )
    services.memory.add(alice, "Fact number 0: I like hiking in the mountains near Hangzhou.")

    result = await graph.ainvoke(
        {"message": "Where do I like hiking?"}, context=Context(user_id=alice)
    )

    used = [m.text for m in result["memories"]]
    assert len(used) == len(set(used))
    assert sum(estimate_tokens(t) + 8 for t in used) <= 60
    notes = [line for line in str(model.calls[-1][0].content).splitlines() if line.startswith("- ")]
    assert len(notes) == len(used) >= 2
