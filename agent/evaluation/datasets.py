"""LoCoMo-format conversations: turns with dates and questions whose evidence names turns.

The format is that of the snap-research/locomo files (e.g. `../shared/data/locomo-dev/`): a
conversation has `speaker_a`, `speaker_b`, `session_N` turn lists with `session_N_date_time`, and
`qa`. Files that nest these under a `conversation` key (the original release) load too. Our
bilingual set (`BILINGUAL`) ships with the package: the retrieval canary runs it in production.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BILINGUAL = Path(__file__).parent / "data" / "bilingual"
"""The bundled Chinese/English set (two conversations, 43 answerable questions)."""

_SESSION = re.compile(r"^session_(\d+)$")
_DIA_ID = re.compile(r"D\d+:\d+")


@dataclass(frozen=True, slots=True)
class DialogTurn:
    """One utterance, with the time of its session."""

    dia_id: str
    speaker: str
    text: str
    when: datetime
    session: int

    @property
    def memory_text(self) -> str:
        """What is stored: who said it and what they said."""
        return f"{self.speaker}: {self.text}"


@dataclass(frozen=True, slots=True)
class Question:
    """A question about the conversation; `evidence` lists the dia_ids that answer it."""

    question: str
    category: int
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Conversation:
    """A whole conversation of a LoCoMo-format file."""

    name: str
    speakers: tuple[str, str]
    turns: list[DialogTurn]
    questions: list[Question]


def parse_session_time(text: str) -> datetime:
    """'1:56 pm on 8 May, 2023' (LoCoMo's format) or ISO 8601; read as UTC."""
    text = text.strip()
    for fmt in ("%I:%M %p on %d %B, %Y", "%I:%M %p on %d %b, %Y"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _evidence(raw: list[Any]) -> tuple[str, ...]:
    """Dialog ids, deduplicated; tolerates the data set's typos ('D8:6; D9:17', 'D:11:26')."""
    ids: list[str] = []
    for item in raw:
        for part in re.split(r"[;,\s]+", str(item)):
            if match := _DIA_ID.fullmatch(part.replace("D:", "D")):
                ids.append(match.group(0))
    return tuple(dict.fromkeys(ids))


def _turn_text(raw: dict[str, Any]) -> str:
    text = str(raw.get("text", "")).strip()
    if caption := raw.get("blip_caption"):
        text = f"{text} [shares a photo of {caption}]".strip()
    return text


def load_conversation(path: Path) -> Conversation:
    """One LoCoMo-format file."""
    data = json.loads(path.read_text(encoding="utf-8"))
    body = data.get("conversation", data)
    turns: list[DialogTurn] = []
    sessions = sorted(
        (int(m.group(1)), key) for key in body if (m := _SESSION.match(key)) and body[key]
    )
    for number, key in sessions:
        when = parse_session_time(body[f"session_{number}_date_time"])
        for raw in body[key]:
            text = _turn_text(raw)
            if text:
                turns.append(
                    DialogTurn(str(raw["dia_id"]), str(raw["speaker"]), text, when, number)
                )
    questions = [
        Question(
            str(q["question"]),
            int(q["category"]),
            _evidence(q.get("evidence", [])),
        )
        for q in data.get("qa", [])
    ]
    return Conversation(
        name=path.stem,
        speakers=(str(body.get("speaker_a", "A")), str(body.get("speaker_b", "B"))),
        turns=turns,
        questions=questions,
    )


def load_folder(folder: Path) -> list[Conversation]:
    """Every `*.json` conversation in a folder, by name."""
    files = sorted(folder.glob("*.json"))
    if not files:
        raise SystemExit(f"no *.json conversations in {folder}")
    return [load_conversation(path) for path in files]
