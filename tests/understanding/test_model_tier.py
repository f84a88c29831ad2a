"""The model tier: merged with the rules (which win), through scripted fakes and the real model."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from agent.model.capabilities import capabilities
from agent.understanding import understand
from agent.understanding.model import uses_model
from memadvisor.settings import Settings
from tests.fakes.models import FailingModel, scripted

NOW = datetime(2026, 12, 8, 10, tzinfo=UTC)


def answer(*statements: dict[str, object]) -> str:
    return json.dumps({"statements": list(statements)})


def test_the_model_adds_what_the_rules_missed_and_the_rules_keep_the_numbers() -> None:
    model = scripted(
        [
            answer(
                {"kind": "fact", "text": "tai chi in the park is my thing", "subject": "self"},
                {"kind": "fact", "text": "BP this morning was 135/88", "subject": "self"},
                {
                    "kind": "preference",
                    "text": "I hate coriander",
                    "polarity": "dislike",
                    "value": "coriander",
                },
            )
        ]
    )
    found = understand(
        "BP this morning was 135/88. Tai chi in the park is my thing. I hate coriander",
        now=NOW,
        model=model,
    )
    kinds = [(s.kind, s.tier) for s in found.statements]
    assert kinds == [("measurement", "rules"), ("preference", "rules"), ("fact", "model")]
    assert found.records[0].data == {"systolic_bp": 135, "diastolic_bp": 88}
    assert found.tiers == ("rules", "model")
    assert "JSON" in model.last_prompt and "Tai chi" in model.last_prompt


def test_the_model_cannot_add_from_questions_hypotheticals_or_made_up_text() -> None:
    model = scripted(
        [
            answer(
                {"kind": "fact", "text": "If my blood pressure were 150/100", "subject": "self"},
                {"kind": "goal", "text": "what snacks would you recommend", "subject": "self"},
                {"kind": "fact", "text": "The user is a famous astronaut", "subject": "self"},
            )
        ]
    )
    found = understand(
        "If my blood pressure were 150/100, would I need meds? What snacks would you recommend?",
        now=NOW,
        model=model,
    )
    assert found.statements == ()


def test_a_model_constraint_maps_to_lexicon_concepts() -> None:
    model = scripted(
        [
            answer(
                {
                    "kind": "preference",
                    "text": "shellfish makes me sick",
                    "constraint": "avoid",
                    "foods": ["shrimp", "螃蟹"],
                }
            )
        ]
    )
    [statement] = understand("shellfish makes me sick", now=NOW, model=model).statements
    assert statement.constraint is not None and statement.constraint.concepts == ("shellfish",)


def test_a_failing_or_invalid_model_leaves_the_rules_result() -> None:
    for model in (FailingModel(), scripted(["not json", "still not json"])):
        found = understand("I'm allergic to peanuts", now=NOW, model=model)
        assert [s.tier for s in found.statements] == ["rules"]
        assert found.tiers == ("rules",) and found.notes[0].startswith("model tier failed")


def test_the_bundled_model_is_used_only_when_asked_and_only_in_english() -> None:
    caps = capabilities(Settings(_env_file=None))
    assert not uses_model(caps, "en")
    assert uses_model(caps, "en", weak_ok=True) and not uses_model(caps, "zh", weak_ok=True)


@pytest.mark.slow
def test_the_real_bundled_model_never_breaks_the_merge() -> None:
    from agent.model.llm import make_chat_model

    settings = Settings(_env_file=None, llm_temperature=0.0)
    llm = make_chat_model(settings)
    text = "My dog is called Bao and I live in Hangzhou. I am allergic to peanuts. BP 135/88."
    found = understand(
        text, now=NOW, model=llm, structured_output=capabilities(settings).structured_output
    )
    rules = understand(text, now=NOW)
    # Whatever the small model writes, the rules' statements and records all stay.
    assert found.statements[: len(rules.statements)] == rules.statements
    assert found.records == rules.records
    assert all(s.tier == "model" for s in found.statements[len(rules.statements) :])
    assert found.tiers == ("rules", "model") or found.notes
