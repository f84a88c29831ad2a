"""The four kinds of structured user data, each with its own schema, units and ranges.

The schemas are the one definition of a valid record: the API validates request bodies with them,
the importer validates each CSV/JSON row with them, and the analysers read records that passed them.
Each record also becomes a short bilingual sentence (`describe`), stored as a memory for chat.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

DataType = Literal["health", "finance", "education", "behavior"]
DATA_TYPES: tuple[DataType, ...] = ("health", "finance", "education", "behavior")

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


def _refuse_bool(value: Any) -> Any:
    # pydantic's lax mode reads `true` as 1; strict mode would also refuse "9000" from a CSV cell.
    if isinstance(value, bool):
        raise PydanticCustomError("number_type", "Input should be a number, not true or false")
    return value


NotBool = BeforeValidator(_refuse_bool)
"""On every number field: `true` is not a number of steps (nor of anything else)."""
Count = Annotated[int, NotBool]
Number = Annotated[float, NotBool]
Money = Annotated[Number, Field(ge=0, le=1e12)]


class _Record(BaseModel):
    """Unknown fields are refused, so a typo ("setps") is reported instead of silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    note: Annotated[str, StringConstraints(max_length=500)] | None = None
    """Free text the user adds to the record."""

    def _require_one(self, *fields: str) -> None:
        if all(getattr(self, name) in (None, [], "") for name in fields):
            raise ValueError(f"give at least one of: {', '.join(fields)}")


class HealthRecord(_Record):
    """A day's health measurements (any subset)."""

    steps: Annotated[Count, Field(ge=0, le=100_000)] | None = None
    """Steps walked that day."""
    resting_heart_rate: Annotated[Count, Field(ge=25, le=220)] | None = None
    """Beats per minute at rest."""
    sleep_hours: Annotated[Number, Field(ge=0, le=24)] | None = None
    """Hours slept in the night before."""
    weight_kg: Annotated[Number, Field(ge=2, le=400)] | None = None
    """Body weight in kilograms."""

    @model_validator(mode="after")
    def _has_measurement(self) -> HealthRecord:
        self._require_one("steps", "resting_heart_rate", "sleep_hours", "weight_kg")
        return self


class FinanceRecord(_Record):
    """Money over one period (a month by default), in one currency."""

    income: Money | None = None
    expenses: Money | None = None
    savings: Money | None = None
    """The balance of savings at the end of the period."""
    debt: Money | None = None
    """Debt outstanding at the end of the period."""
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "CNY"
    """ISO 4217 code, e.g. CNY, USD, EUR."""
    period: Literal["day", "week", "month", "year"] = "month"

    @model_validator(mode="after")
    def _has_amount(self) -> FinanceRecord:
        self._require_one("income", "expenses", "savings", "debt")
        return self


class EducationRecord(_Record):
    """Learning: courses taken, goals, and hours studied that day."""

    courses: Annotated[list[ShortText], Field(max_length=20)] = []
    goals: Annotated[list[ShortText], Field(max_length=20)] = []
    study_hours: Annotated[Number, Field(ge=0, le=24)] | None = None
    """Hours studied that day."""

    @model_validator(mode="after")
    def _has_content(self) -> EducationRecord:
        self._require_one("courses", "goals", "study_hours")
        return self


class BehaviorRecord(_Record):
    """A free event of daily life with a category, e.g. exercise, screen time, social."""

    category: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    event: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    duration_minutes: Annotated[Number, Field(ge=0, le=1440)] | None = None


SCHEMAS: dict[DataType, type[_Record]] = {
    "health": HealthRecord,
    "finance": FinanceRecord,
    "education": EducationRecord,
    "behavior": BehaviorRecord,
}

_LABELS: dict[str, tuple[str, str]] = {
    "health": ("health", "健康"),
    "finance": ("finance", "财务"),
    "education": ("education", "学习"),
    "behavior": ("behavior", "行为"),
    "steps": ("steps", "步数"),
    "resting_heart_rate": ("resting heart rate (bpm)", "静息心率"),
    "sleep_hours": ("sleep (hours)", "睡眠小时"),
    "weight_kg": ("weight (kg)", "体重公斤"),
    "income": ("income", "收入"),
    "expenses": ("expenses", "支出"),
    "savings": ("savings", "储蓄"),
    "debt": ("debt", "负债"),
    "courses": ("courses", "课程"),
    "goals": ("goals", "目标"),
    "study_hours": ("study (hours)", "学习小时"),
    "category": ("category", "类别"),
    "event": ("event", "事件"),
    "duration_minutes": ("duration (minutes)", "时长分钟"),
    "note": ("note", "备注"),
}


def check_recorded_at(value: datetime | None) -> datetime | None:
    """A plausible measurement time as aware UTC: not in the future, not before 1900."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if value > datetime.now(UTC) + timedelta(days=1):
        raise ValueError("must not be in the future")
    if value.year < 1900:
        raise ValueError("must be after 1900")
    return value.astimezone(UTC)


def validate_record(data_type: DataType, data: dict[str, Any]) -> dict[str, Any]:
    """The record in canonical form (unset fields dropped); pydantic's ValidationError if bad."""
    record = SCHEMAS[data_type].model_validate(data)
    return record.model_dump(mode="json", exclude_none=True, exclude_defaults=False)


def describe(data_type: DataType, data: dict[str, Any], recorded_at: datetime) -> str:
    """A short sentence with English and Chinese labels, so either language finds the record."""
    english, chinese = _LABELS[data_type]
    parts: list[str] = []
    for name, value in data.items():
        if name in ("currency", "period") or value in (None, [], ""):
            continue
        label_en, label_zh = _LABELS.get(name, (name, name))
        shown = "; ".join(value) if isinstance(value, list) else value
        if isinstance(shown, float) and shown.is_integer():
            shown = int(shown)
        if name in ("income", "expenses", "savings", "debt"):
            shown = f"{shown} {data.get('currency', '')}/{data.get('period', 'month')}"
        parts.append(f"{label_en} {label_zh}: {shown}")
    return f"{recorded_at:%Y-%m-%d} {english} {chinese} record: " + ", ".join(parts)
