"""`memadvisor finetune export`: a chat-format data set from what users approved, with consent.

Three origins, each example in its user's language:
- `approved`: recommendation items a consenting user rated up or marked "I did this", with the
  exact prompt the model was given (the other items of the set are left out);
- `valid_output`: valid structured answers kept for consenting users (profile summaries, facts);
- `teacher`: the rules' advice on synthetic personas, so a data set exists on a fresh install.

E-mail addresses, the user's username and names they stated are replaced by placeholders. The
manifest names, per line, the pseudonymised user (the analytics pseudonym) it came from, and the
data set is recorded in SQL, so erasure or withdrawal can mark what is trained on it stale.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.advice.recommend import cite_labels
from agent.services import Services
from finetune.chat import chat_example
from finetune.personas import load_personas
from memory.storage.models import TrainingExample, new_id, utcnow
from memory.usage.analytics import pseudonym

DATA_FILE = "train.jsonl"
MANIFEST_FILE = "manifest.jsonl"
SUMMARY_FILE = "dataset.json"

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
STATED_NAMES = (
    re.compile(
        r"(?:[Mm]y name is|[Ii] am called|[Ii]'m called|[Cc]all me)\s+"
        r"([A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)?)"
    ),
    re.compile(r"(?:我叫|我的名字是|我名叫|我的名字叫)\s*([\u4e00-\u9fff]{2,3})"),
)


class Scrubber:
    """Replaces e-mails, a user's username and the names they stated by placeholders."""

    def __init__(self, username: str, email: str | None = None) -> None:
        escaped = [re.escape(word) for word in {username, email or ""} if len(word) >= 2]
        self._own = re.compile(r"(?<![\w@.])(?:" + "|".join(escaped) + r")(?![\w@])", re.IGNORECASE)

    def text(self, value: str) -> str:
        """The text with placeholders."""
        value = EMAIL.sub("<EMAIL>", value)
        value = self._own.sub("<USER>", value)
        for pattern in STATED_NAMES:
            value = pattern.sub(lambda m: m.group(0).replace(m.group(1), "<NAME>"), value)
        return value

    def value(self, value: Any) -> Any:
        """A JSON value with every string scrubbed."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(item) for item in value]
        if isinstance(value, dict):
            return {key: self.value(item) for key, item in value.items()}
        return value


@dataclass
class ExportSummary:
    """What an export wrote."""

    set_id: str
    folder: Path
    examples: int = 0
    by_origin: Counter[str] = field(default_factory=Counter)
    per_user: dict[int, int] = field(default_factory=dict)
    """Examples per real user (teacher examples have none)."""


def user_examples(
    services: Services, user_id: int
) -> Iterable[tuple[str, TrainingExample, dict[str, Any]]]:
    """`(origin, kept example, chat example)` for one consenting user, scrubbed."""
    account = services.accounts.by_id(user_id)
    if account is None:
        return
    scrub = Scrubber(account.username, account.email)
    approved = services.feedback.approved(user_id)
    for kept in services.training.examples(user_id):
        answer: dict[str, Any] = kept.answer
        origin = "valid_output"
        if kept.task == "recommend":
            chosen = {
                dimension: [item for item in items if item.get("id") in approved]
                for dimension, items in answer.items()
            }
            labels = {label: (kind, row) for label, (kind, row) in kept.prompt["labels"].items()}
            answer = cite_labels(chosen, labels)
            if not any(answer.values()):
                continue
            origin = "approved"
        prompt = [scrub.value(message) for message in kept.prompt["messages"]]
        yield origin, kept, chat_example(prompt, scrub.value(answer))


def export_dataset(
    services: Services,
    out: Path,
    *,
    key: bytes,
    personas: Path | None,
    progress: Callable[[int], None] | None = None,
) -> ExportSummary:
    """Write `train.jsonl`, `manifest.jsonl` and `dataset.json` to `out`; record the set in SQL."""
    from finetune.teacher import teach  # builds throwaway stores only when asked

    out.mkdir(parents=True, exist_ok=True)
    summary = ExportSummary(set_id=new_id(), folder=out)
    pseudonyms: set[str] = set()
    with (
        (out / DATA_FILE).open("w", encoding="utf-8") as data,
        (out / MANIFEST_FILE).open("w", encoding="utf-8") as manifest,
    ):

        def write(example: dict[str, Any], entry: dict[str, Any]) -> None:
            data.write(json.dumps(example, ensure_ascii=False) + "\n")
            manifest.write(json.dumps({"line": summary.examples, **entry}) + "\n")
            summary.examples += 1
            summary.by_origin[entry["origin"]] += 1

        for user_id in services.training.consenting():
            user = pseudonym(user_id, key)
            for origin, kept, example in user_examples(services, user_id):
                entry: dict[str, str | None] = {"user": user, "origin": origin, "task": kept.task}
                write(example, {**entry, "language": kept.language})
                summary.per_user[user_id] = summary.per_user.get(user_id, 0) + 1
                pseudonyms.add(user)
        if personas is not None:
            for taught in teach(load_personas(personas), progress):
                entry = {"user": None, "persona": taught.persona, "origin": "teacher"}
                write(taught.example, {**entry, "task": "recommend", "language": taught.language})
    services.training.add_set(summary.set_id, summary.per_user, summary.examples)
    document = {
        "set_id": summary.set_id,
        "created_at": utcnow().isoformat(),
        "format": "chat messages, one JSON object per line (system, user, assistant)",
        "examples": summary.examples,
        "by_origin": dict(summary.by_origin),
        "users": sorted(pseudonyms),
    }
    (out / SUMMARY_FILE).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return summary
