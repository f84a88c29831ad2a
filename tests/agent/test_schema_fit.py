"""The schema a model is constrained to is sized so that its longest answer fits the room."""

from __future__ import annotations

import json

from agent.advice.recommend import draft_model
from agent.model.schema_fit import fit_schema, longest_answer_tokens
from agent.model.structured import grammar_schema
from agent.model.tokens import BoundTokens

COUNTER = BoundTokens()
ENGLISH = "Walked 3,000 steps a day and slept six hours; spends more than earns. " * 4
CHINESE = "每天走三千步，睡六个小时；这个月的支出超过了收入。" * 4


def advice_schema(dimensions: int = 3, items: int = 3) -> dict[str, object]:
    names = ["health", "finance", "education", "behavior"][:dimensions]
    labels = ["I1", "I2", *(f"D{n}" for n in range(1, 13)), "M1", "M2"]
    return grammar_schema(draft_model(names, labels, items).model_json_schema())


def bounds(schema: dict[str, object]) -> list[int]:
    found: list[int] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "string" and "maxLength" in node:
                found.append(node["maxLength"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return found


def test_nine_long_pieces_of_advice_do_not_fit_1024_tokens_until_their_strings_shrink() -> None:
    schema = advice_schema()
    original = json.dumps(schema)
    assert longest_answer_tokens(schema, COUNTER, ENGLISH) > 1024
    fitted = fit_schema(schema, 1024, COUNTER, ENGLISH)
    assert longest_answer_tokens(fitted, COUNTER, ENGLISH) <= 1024
    assert json.dumps(schema) == original  # the caller's schema is left alone
    assert all(48 <= n < 300 for n in bounds(fitted))
    assert fitted["required"] == schema["required"]


def test_a_schema_that_fits_is_returned_as_it_is() -> None:
    schema = advice_schema(dimensions=1, items=1)
    assert fit_schema(schema, 4096, COUNTER, ENGLISH) is schema


def test_the_language_of_the_prompt_sizes_the_strings() -> None:
    english = fit_schema(advice_schema(), 2048, COUNTER, ENGLISH)
    chinese = fit_schema(advice_schema(), 2048, COUNTER, CHINESE)
    assert max(bounds(chinese)) < max(bounds(english))
    assert longest_answer_tokens(chinese, COUNTER, CHINESE) <= 2048


def test_when_even_the_shortest_strings_do_not_fit_arrays_lose_items() -> None:
    fitted = fit_schema(advice_schema(dimensions=4), 400, COUNTER, ENGLISH)
    assert longest_answer_tokens(fitted, COUNTER, ENGLISH) <= 400
    item_counts = [fitted["properties"][d]["maxItems"] for d in ("health", "finance")]
    assert all(n < 3 for n in item_counts)
