"""The rules writer as a teacher: training examples from synthetic personas, on a fresh install.

Each persona is seeded as a user in throwaway stores; the example's prompt is exactly the one the
model would be given for that user (`advice_prompt`, which the advice benchmark calls too), and
its answer is the rules' advice (`Advisor.rules`) with sources written as the notes' labels.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.advice.recommend import cite_labels
from agent.model.messages import chat_dicts
from agent.services import Services, build_services
from finetune.chat import chat_example
from finetune.personas import Persona, advice_prompt, seed_persona
from memadvisor.settings import Settings


@dataclass(frozen=True, slots=True)
class TeacherExample:
    """A chat-format example and the persona it was drawn from."""

    persona: str
    language: str
    example: dict[str, Any]


def persona_services(folder: Path, **overrides: Any) -> Services:
    """Throwaway stores in `folder` (SQLite, embedded Chroma), jobs run inline."""
    settings = Settings(_env_file=None, data_dir=folder, **overrides)
    return build_services(settings, inline_jobs=True)


def teach(
    personas: list[Persona], progress: Callable[[int], None] | None = None
) -> Iterator[TeacherExample]:
    """One example per persona that the rules have advice for."""
    with tempfile.TemporaryDirectory(prefix="memadvisor-teacher-") as folder:
        services = persona_services(Path(folder))
        try:
            for persona in personas:
                if (example := teach_one(services, persona)) is not None:
                    yield example
                if progress is not None:
                    progress(1)
        finally:
            services.close()


def teach_one(services: Services, persona: Persona) -> TeacherExample | None:
    """The persona's prompt and the rules' answer to it (None when the rules have nothing)."""
    user_id = seed_persona(services, persona)
    prompt = advice_prompt(services, user_id, persona.language)
    allowed = services.user_data.consents.granted(user_id)
    payload = services.advisor.rules(user_id, persona.language, allowed)
    labels = {note.label: (note.kind, note.id) for note in prompt.notes}
    answer = cite_labels({d: payload.get(d, []) for d in prompt.dimensions}, labels)
    if not any(answer.values()):
        return None
    example = chat_example(chat_dicts(prompt.messages), answer)
    return TeacherExample(persona.id, persona.language, example)
