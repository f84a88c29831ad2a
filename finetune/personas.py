"""Synthetic personas (`benchmarks/data/personas/`): seeded as users through the real stores.

Each persona consents to its data types, stores its records (dated relative to now) and is
analysed by the real analysers; its known problems are the findings that call for action. The
teacher (`finetune.teacher`) and the advice benchmark (`benchmarks.advice`) both use this.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

from langchain_core.messages import BaseMessage

from agent.advice.recommend import Note
from agent.services import Services
from memory.records.datatypes import DataType, NewRecord, validate_record
from memory.records.userdata import ConsentKind
from memory.storage.models import UserInsight, utcnow
from prompts.language import Language
from prompts.variants import assign_variant

PERSONAS_DIR = Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "personas"
"""Where a checkout keeps them (absent from a wheel: pass a file instead)."""
PROBLEM_SEVERITIES = ("warning", "alert")


@dataclass(frozen=True, slots=True)
class Persona:
    """A synthetic user: language, consented data types and records."""

    id: str
    name: str
    language: Language
    consents: list[DataType]
    records: list[dict[str, Any]]
    """`{"data_type", "data", "days_ago"}` each."""


def load_personas(path: Path) -> list[Persona]:
    """The personas of one JSON file (`{"personas": [...]}`)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    return [
        Persona(
            id=item["id"],
            name=item["name"],
            language=item["language"],
            consents=list(item["consents"]),
            records=list(item["records"]),
        )
        for item in document["personas"]
    ]


def seed_persona(services: Services, persona: Persona, now: datetime | None = None) -> int:
    """Create the persona as a user with its consents, records and insights; returns its id."""
    now = now or utcnow()
    user_id = services.accounts.local(f"persona-{persona.id}").id
    consents = cast(dict[ConsentKind, bool], dict.fromkeys(persona.consents, True))
    services.user_data.consents.set(user_id, consents)
    records = [
        NewRecord(
            data_type=record["data_type"],
            data=validate_record(record["data_type"], record["data"]),
            recorded_at=now - timedelta(days=record["days_ago"], hours=1),
        )
        for record in persona.records
    ]
    services.user_data.add_many(user_id, records)
    services.memory.index_pending()  # the notes quote the memories found for the persona
    services.analyst.analyse_user(user_id, now)
    return user_id


def known_problems(services: Services, user_id: int) -> list[UserInsight]:
    """The user's findings that call for action (warning or alert)."""
    allowed = services.user_data.consents.granted(user_id)
    return [
        insight
        for insight in services.insights.list(user_id, set(allowed))
        if insight.severity in PROBLEM_SEVERITIES
    ]


@dataclass(frozen=True, slots=True)
class AdvicePrompt:
    """The prompt the product builds to ask the model for a user's advice."""

    user_id: int
    dimensions: list[str]
    messages: list[BaseMessage]
    notes: list[Note]
    """The notes the prompt holds (those that fit the context window)."""


def advice_prompt(services: Services, user_id: int, language: Language) -> AdvicePrompt:
    """The model's prompt for this user, through the product's path (`Advisor.messages`).

    The teacher's examples and the advice benchmark both call this, so the model is trained on
    exactly the prompts it is evaluated on (and served with).
    """
    advisor = services.advisor
    allowed = services.user_data.consents.granted(user_id)
    dimensions = advisor.dimensions(user_id, allowed)
    notes = advisor.notes(user_id, language, allowed)
    variant = assign_variant(user_id, services.settings.prompt_variants)
    messages, notes = advisor.messages(user_id, language, variant, dimensions, notes)
    return AdvicePrompt(user_id, dimensions, messages, notes)
