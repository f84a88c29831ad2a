"""Every prompt fits the model's window, counted with its own tokenizer; notes are trimmed first."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from agent.context import Context
from agent.graph import compile_graph
from agent.model.gguf import bundled_gguf_path
from agent.model.tokens import BoundTokens, LlamaTokens
from agent.services import Services
from prompts import advice, chat, facts, insights, profile, recommend
from prompts.budget import PromptBudget
from tests.fakes.models import RecordingFakeModel

BILINGUAL = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "bilingual"


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _corpus() -> list[str]:
    texts = [s for f in BILINGUAL.glob("*.json") for s in _strings(json.loads(f.read_text()))]
    for module in (advice, chat, facts, insights, profile, recommend):
        texts += [
            s for name in dir(module) if name.isupper() for s in _strings(getattr(module, name))
        ]
    return [t for t in texts if t.strip()]


def test_the_bound_never_counts_fewer_than_the_bundled_tokenizer() -> None:
    exact, bound = LlamaTokens(bundled_gguf_path()), BoundTokens()
    corpus = _corpus()
    assert len(corpus) > 100
    for text in corpus:
        assert bound.count(text) >= exact.count(text), text


def test_the_bundled_tokenizer_counts_chinese_and_english() -> None:
    exact = LlamaTokens(bundled_gguf_path())
    assert exact.count("") == 0
    assert 3 <= exact.count("I live in Hangzhou") <= 6
    assert exact.count("我住在杭州") >= 5  # SmolLM2 spells Chinese out nearly byte by byte


class _Chars:
    """One token per character: easy to reason about in tests."""

    def count(self, text: str) -> int:
        return len(text)


def _render(notes: Sequence[str]) -> list[BaseMessage]:
    return [SystemMessage("rules\n" + "\n".join(notes)), HumanMessage("question?")]


def test_lowest_priority_notes_are_trimmed_to_fit() -> None:
    budget = PromptBudget(_Chars(), context_window=100, answer_tokens=20, json_tokens=40)
    notes = [f"note {i} " + "x" * 10 for i in range(10)]
    messages, kept = budget.fit(notes, _render, answer_tokens=budget.answer_tokens)
    assert 0 < kept < 10
    assert messages == _render(notes[:kept])
    assert budget.count_messages(messages) <= 100 - 20
    assert budget.count_messages(_render(notes[: kept + 1])) > 100 - 20


def test_a_message_too_long_for_the_window_is_shortened_not_refused() -> None:
    budget = PromptBudget(_Chars(), context_window=100, answer_tokens=20, json_tokens=40)
    render = lambda notes: [SystemMessage("rules"), HumanMessage("q" * 500)]  # noqa: E731
    messages, kept = budget.fit(["a note"], render, answer_tokens=20)
    assert kept == 0
    assert budget.count_messages(messages) <= 80
    assert messages[-1].text.startswith("qqq") and messages[-1].text.endswith("…")


def test_duplicates_are_dropped_and_long_items_skipped() -> None:
    budget = PromptBudget(BoundTokens(), context_window=2048, answer_tokens=256, json_tokens=512)
    texts = ["I live in Hangzhou.", "i live in  hangzhou", "word " * 500, "I have a dog."]
    assert budget.take(texts, str, 40) == ["I live in Hangzhou.", "I have a dog."]


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
    counter = services.budget.counter
    assert len(used) == len(set(used))
    assert sum(counter.count(t) + 8 for t in used) <= 60
    notes = [line for line in str(model.calls[-1][0].content).splitlines() if line.startswith("- ")]
    assert len(notes) == len(used) >= 2


async def test_long_turns_and_memories_never_overflow_the_bundled_window(
    make_services: Callable[..., Services], model: RecordingFakeModel
) -> None:
    """Four long answers replayed plus memories would pass 2,048 tokens: the oldest turns go."""
    services = make_services(
        model, memory_token_budget=1500, memory_top_k=20, recent_turns=8, summary_every_turns=100
    )
    graph = compile_graph(services)
    alice = services.accounts.local("alice").id
    for i in range(15):
        services.memory.add(alice, f"Memory {i}: I went hiking near Hangzhou and saw {i} deer.")
    first = await graph.ainvoke({"message": "hello"}, context=Context(user_id=alice))
    conversation = first["conversation_id"]
    for i in range(8):
        turn = services.history.begin_turn(alice, conversation, f"Question {i}: " + "why? " * 60)
        services.history.finish_turn(
            alice, conversation, turn.id, "Because " * 300, prompt_version="t", model_name="t"
        )

    await graph.ainvoke(
        {"message": "Where did I go hiking?"},
        context=Context(user_id=alice, conversation_id=conversation),
    )

    budget = services.budget
    assert budget.context_window == 2048
    prompt = model.calls[-1]
    assert budget.count_messages(prompt) <= 2048 - budget.answer_tokens
    assert prompt[-1].text == "Where did I go hiking?"
    assert "Memory" in prompt[0].text  # the best memories stay; old turns went first
