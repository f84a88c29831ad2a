"""The kinds of structured user data, each with its schema, units, periods and ranges.

The schemas are the one definition of a valid record: the API validates request bodies with them,
the importers validate each row with them, and the analysers read records that passed them.
Every measurement carries its unit in its name and in the JSON schema (`x-unit`), and a 422
message about it names the unit (`explain`). Each record also becomes a short bilingual sentence
(`memory.records.describe`), stored as a memory so chat can find it.

Numbers are strict: `true` is not a number of steps, and `"4200"` is text. Importers of text
(CSV cells) convert cells with `validate_record(..., from_text=True)`.

Periods: a health record is one day's measurements (or one reading, for blood pressure and
glucose, at `recorded_at`); a study session is minutes studied on the day of `recorded_at` (weekly
totals are derived from sessions, never typed in); money is per `period` (a month by default).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal, TypeGuard, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

DataType = Literal["health", "finance", "education", "behavior", "custom"]
DATA_TYPES: tuple[DataType, ...] = ("health", "finance", "education", "behavior", "custom")

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


def _refuse_bool(value: Any) -> Any:
    # pydantic's lax mode reads `true` as 1; the record fields below are strict numbers already.
    if isinstance(value, bool):
        raise PydanticCustomError("number_type", "Input should be a number, not true or false")
    return value


NotBool = BeforeValidator(_refuse_bool)
"""For a lax number field outside the records (e.g. a feedback rating): `true` is not a number."""
Source = Literal["apple_health", "alipay", "wechat_pay", "chat"]
"""Where a record came from: an imported app (a re-import of the same app replaces what it brought),
or `chat` (told in a chat turn, see `turn_id`)."""

MG_DL_PER_MMOL_L = 18.016
"""Blood glucose: mg/dL per mmol/L (the molar mass of glucose, 180.16 g/mol, over 10)."""

Category = Literal[
    "food",
    "groceries",
    "transport",
    "housing",
    "utilities",
    "shopping",
    "health",
    "education",
    "entertainment",
    "travel",
    "communication",
    "insurance",
    "family",
    "gifts",
    "salary",
    "investment",
    "transfer",
    "refund",
    "other",
]
EXPENSE_CATEGORIES: tuple[str, ...] = get_args(Category)
"""The expense categories, in the order forms and importers offer them."""


def _measure(low: float, high: float, unit: str, description: str, **extra: Any) -> Any:
    """An optional strict number within [low, high], its unit in the schema and description."""
    return Field(
        default=None,
        ge=low,
        le=high,
        strict=True,
        allow_inf_nan=False,
        description=f"{description} Unit: {unit}.",
        json_schema_extra={"x-unit": unit},
        **extra,
    )


def _money(description: str) -> Any:
    return _measure(0, 1e12, "currency", f"{description} In the record's `currency`.")


class _Record(BaseModel):
    """Unknown fields are refused, so a typo ("setps") is reported instead of silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    note: Annotated[str, StringConstraints(max_length=500)] | None = None
    """Free text the user adds to the record."""
    source: Source | None = None
    """The app it was imported from (set by the importers), or `chat`."""
    turn_id: Annotated[int, Field(strict=True, ge=1)] | None = None
    """Records told in chat: the chat turn they were told in."""

    def _require_one(self, *fields: str) -> None:
        if all(getattr(self, name) in (None, [], "") for name in fields):
            raise ValueError(f"give at least one of: {', '.join(fields)}")


class HealthRecord(_Record):
    """A day's health measurements (any subset), or one blood pressure or glucose reading."""

    steps: int | None = _measure(0, 100_000, "steps", "Steps walked that day.")
    sleep_hours: float | None = _measure(0, 24, "h", "Hours asleep in the night before.")
    resting_heart_rate: int | None = _measure(25, 220, "bpm", "Heart rate at rest.")
    heart_rate: int | None = _measure(25, 250, "bpm", "Average heart rate of the day.")
    weight_kg: float | None = _measure(2, 400, "kg", "Body weight.")
    body_fat_pct: float | None = _measure(2, 75, "%", "Body fat, share of body weight.")
    systolic_bp: int | None = _measure(50, 300, "mmHg", "Systolic (upper) blood pressure.")
    diastolic_bp: int | None = _measure(30, 200, "mmHg", "Diastolic (lower) blood pressure.")
    pulse: int | None = _measure(25, 250, "bpm", "Pulse taken with the blood pressure.")
    glucose_mmol_l: float | None = _measure(1, 40, "mmol/L", "Blood glucose.")
    glucose_mg_dl: float | None = _measure(
        18, 720, "mg/dL", "Blood glucose in mg/dL, accepted and stored as mmol/L.", exclude=True
    )
    fasting: Annotated[bool, Field(strict=True)] | None = None
    """The glucose was measured after at least 8 hours without food."""

    @model_validator(mode="after")
    def _consistent(self) -> HealthRecord:
        if self.glucose_mg_dl is not None:
            if self.glucose_mmol_l is not None:
                raise ValueError("give blood glucose once: glucose_mmol_l or glucose_mg_dl")
            # One decimal, as meters show it: 100, 110 and 126 mg/dL become 5.6, 6.1 and 7.0.
            self.glucose_mmol_l = round(self.glucose_mg_dl / MG_DL_PER_MMOL_L, 1)
            self.glucose_mg_dl = None
        if (self.systolic_bp is None) != (self.diastolic_bp is None):
            raise ValueError("blood pressure needs both systolic_bp and diastolic_bp (mmHg)")
        if self.systolic_bp is not None and self.systolic_bp <= (self.diastolic_bp or 0):
            raise ValueError("systolic_bp must be higher than diastolic_bp")
        if self.fasting is not None and self.glucose_mmol_l is None:
            raise ValueError("fasting describes a glucose reading: give glucose_mmol_l too")
        self._require_one(*MEASUREMENTS)
        return self


MEASUREMENTS = (
    "steps",
    "sleep_hours",
    "resting_heart_rate",
    "heart_rate",
    "weight_kg",
    "body_fat_pct",
    "systolic_bp",
    "pulse",
    "glucose_mmol_l",
    "glucose_mg_dl",
)
"""A health record needs at least one of these."""


class FinanceRecord(_Record):
    """Money over one period (a month by default), in one currency, optionally for one category."""

    income: float | None = _money("Money earned over the period.")
    expenses: float | None = _money("Money spent over the period.")
    savings: float | None = _money("The balance of savings at the end of the period.")
    debt: float | None = _money("Debt outstanding at the end of the period.")
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "CNY"
    """ISO 4217 code, e.g. CNY, USD, EUR."""
    period: Literal["day", "week", "month", "year"] = "month"
    category: Category | None = None
    """What the money went to (expenses) or came from (income). Records of one month with
    categories add up to that month's totals; without one, the amount is uncategorised."""

    @model_validator(mode="after")
    def _has_amount(self) -> FinanceRecord:
        self._require_one("income", "expenses", "savings", "debt")
        return self


class EducationRecord(_Record):
    """Learning: a study session, an exam, a weekly goal, courses and goals (any subset)."""

    study_minutes: float | None = _measure(
        0, 1440, "min", "Minutes studied in one session, on the day of recorded_at."
    )
    study_hours: float | None = _measure(
        0,
        24,
        "h",
        "Hours studied on the day of recorded_at, accepted and stored as study_minutes. "
        "Weekly totals are added up from the days, never typed in.",
        exclude=True,
    )
    subject: ShortText | None = None
    """What the session was about."""
    weekly_goal_hours: float | None = _measure(
        0, 168, "h/week", "Hours a week you aim to study (the latest goal counts)."
    )
    exam: ShortText | None = None
    """The name of an exam, e.g. "IELTS" or "考研数学"."""
    exam_date: date | None = None
    """The day of the exam."""
    exam_target: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    """The result aimed for, e.g. "7.0" or "120/150"."""
    courses: Annotated[list[ShortText], Field(max_length=20)] = []
    goals: Annotated[list[ShortText], Field(max_length=20)] = []

    @model_validator(mode="after")
    def _has_content(self) -> EducationRecord:
        if self.study_hours is not None:
            if self.study_minutes is not None:
                raise ValueError("give study time once: study_minutes or study_hours")
            self.study_minutes = round(self.study_hours * 60, 2)
            self.study_hours = None
        if (self.exam_date is not None or self.exam_target is not None) and not self.exam:
            raise ValueError("exam_date and exam_target belong to an exam: give exam too")
        if self.exam_date is not None and not 1900 <= self.exam_date.year <= 2200:
            raise ValueError("exam_date must be between 1900 and 2200")
        self._require_one("study_minutes", "courses", "goals", "exam", "weekly_goal_hours")
        return self


class BehaviorRecord(_Record):
    """A free event of daily life with a category, e.g. exercise, screen time, social."""

    category: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    event: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    duration_minutes: float | None = _measure(0, 1440, "min", "How long it lasted.")


class CustomRecord(_Record):
    """Anything else the user tracks: a named metric with its own unit, e.g. water 1.5 L."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    """What is measured; records with the same name form one chart."""
    unit: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=16)]
    """The unit of `value`, e.g. "L", "杯", "pages"."""
    value: float = Field(
        strict=True,
        ge=-1e9,
        le=1e9,
        allow_inf_nan=False,
        description="The measurement, in `unit`.",
        json_schema_extra={"x-unit": "unit"},
    )


SCHEMAS: dict[DataType, type[_Record]] = {
    "health": HealthRecord,
    "finance": FinanceRecord,
    "education": EducationRecord,
    "behavior": BehaviorRecord,
    "custom": CustomRecord,
}


@dataclass(frozen=True, slots=True)
class NewRecord:
    """A validated record to store (see `validate_record`): what importers and the API hand over."""

    data_type: DataType
    data: dict[str, Any]
    recorded_at: datetime | None = None


def _units() -> dict[str, str]:
    units: dict[str, str] = {}
    for schema in SCHEMAS.values():
        for name, info in schema.model_fields.items():
            extra = info.json_schema_extra
            if isinstance(extra, dict) and "x-unit" in extra:
                units[name] = str(extra["x-unit"])
    return units


UNITS: dict[str, str] = _units()
"""The unit of every measured field, by field name (`currency` and `unit` name another field)."""


def as_utc(value: datetime) -> datetime:
    """A client's time as aware UTC (a naive one is taken as UTC), as SQL stores it.

    ValueError, not OverflowError, when UTC cannot hold it (`0001-01-01T00:00+14:00` falls in
    year 0 there, `9999-12-31T23:59-14:00` in 10000): validators make it a 422 or a row error.
    """
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is outside the years 1 to 9999 once converted to UTC") from None


def check_recorded_at(value: datetime | None) -> datetime | None:
    """A plausible measurement time as aware UTC: not in the future, not before 1900."""
    if value is None:
        return None
    value = as_utc(value)
    if value > datetime.now(UTC) + timedelta(days=1):
        raise ValueError("must not be in the future")
    if value.year < 1900:
        raise ValueError("must be after 1900")
    return value


def validate_record(
    data_type: DataType, data: dict[str, Any], *, from_text: bool = False
) -> dict[str, Any]:
    """The record in canonical form (unset fields dropped); pydantic's ValidationError if bad.

    `from_text`: the values are text cells (CSV), so "4200" may become a number.
    """
    record = SCHEMAS[data_type].model_validate(data, strict=False if from_text else None)
    return record.model_dump(mode="json", exclude_none=True, exclude_defaults=False)


def explain(loc: tuple[int | str, ...] | list[int | str], message: str) -> str:
    """A validation message with the unit of the field it is about, e.g. "... 300 mmHg"."""
    field = next((str(part) for part in reversed(loc) if str(part) in UNITS), None)
    if field is None:
        return message
    unit = UNITS[field]
    if unit in ("currency", "unit"):
        return f"{message} (in the record's {unit})"
    if field == "study_hours":
        return f"{message} {unit} (one day's study; weekly totals are added up from the days)"
    return f"{message} {unit}" if message[-1:].isdigit() else f"{message} (unit: {unit})"


def error_messages(exc: ValidationError, prefix: str = "") -> list[str]:
    """One readable line per error: where, what, and the unit of the field."""
    out = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "data"
        out.append(f"{prefix}{where}: {explain(error['loc'], error['msg'])}")
    return out


def is_finite_number(value: object) -> TypeGuard[int | float]:
    """A real number (not a bool, NaN or infinity): what the analysers may compute with."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
