"""Structured output: valid answers pass, broken ones are repaired or retried, never returned."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from pydantic import BaseModel

from agent.model.structured import StructuredOutputError, generate
from tests.fakes.models import RecordingFakeModel, scripted


class Answer(BaseModel):
    summary: str
    items: list[str] = []


def test_a_valid_answer_is_returned() -> None:
    model = scripted(['{"summary": "ok", "items": ["a"]}'])
    assert generate(model, [HumanMessage("hi")], Answer) == Answer(summary="ok", items=["a"])


def test_a_cut_off_answer_is_repaired_without_asking_again() -> None:
    model = scripted(['{"summary": "ok", "items": ["a", "b"'])
    assert generate(model, [HumanMessage("hi")], Answer).items == ["a", "b"]
    assert len(model.calls) == 1


def test_an_invalid_answer_is_retried_once_with_the_error() -> None:
    model = scripted(['{"items": []}', '{"summary": "second try"}'])
    assert generate(model, [HumanMessage("hi")], Answer).summary == "second try"
    assert "summary" in model.last_prompt and "not valid" in model.last_prompt


def test_two_invalid_answers_raise_and_a_check_counts_as_validation() -> None:
    model = scripted(["I cannot do JSON", "still no"])
    with pytest.raises(StructuredOutputError):
        generate(model, [HumanMessage("hi")], Answer)

    def no_empty(answer: Answer) -> None:
        if not answer.items:
            raise ValueError("items must not be empty")

    model = scripted(['{"summary": "a"}', '{"summary": "b"}'])
    with pytest.raises(StructuredOutputError, match="items must not be empty"):
        generate(model, [HumanMessage("hi")], Answer, check=no_empty)


def test_the_retry_names_the_error_without_replaying_the_rejected_answer() -> None:
    long_answer = '{"items": ["' + "padding " * 200 + '"]}'
    model = scripted([long_answer, '{"summary": "second try"}'])
    assert generate(model, [HumanMessage("hi")], Answer).summary == "second try"
    retry = model.calls[-1]
    assert [m.text for m in retry[:-1]] == ["hi"]
    assert "summary" in retry[-1].text and "padding" not in model.last_prompt


def test_a_cut_answer_is_retried_with_a_request_for_a_shorter_one() -> None:
    cut = AIMessage('{"items": ["a", "b', response_metadata={"finish_reason": "length"})
    model = RecordingFakeModel(messages=iter([cut, AIMessage('{"summary": "short"}')]))
    assert generate(model, [HumanMessage("hi")], Answer).summary == "short"
    assert "cut off" in model.last_prompt and "shorter" in model.last_prompt


def test_the_grammar_holds_long_arrays_to_ten_items_and_drops_long_string_bounds() -> None:
    from agent.advice.profile import ProfileDraft
    from agent.model.structured import GRAMMAR_MAX_ITEMS, grammar_schema

    schema = grammar_schema(ProfileDraft.model_json_schema())
    goals = schema["$defs"]["DraftPreferences"]["properties"]["goals"]
    assert goals["maxItems"] == GRAMMAR_MAX_ITEMS  # 30 in the model: held, not dropped
    assert "maxLength" not in schema["properties"]["summary"]  # 2,000: too deep a rule
