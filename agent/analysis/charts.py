"""Trend charts of a user's records: a series per metric, guideline bands, insights as markers.

Insights are drawn at the records they cite.

The bands come from `agent.analysis.guidelines` (the same numbers the analysers judge with), so a
chart and an insight can never disagree about where "normal" ends.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import field
from datetime import date, datetime, timedelta
from statistics import fmean
from typing import Any, Literal, cast

from pydantic import ConfigDict
from pydantic.dataclasses import dataclass

from agent.analysis.finance import MONTHLY
from agent.analysis.guidelines import (
    BMI_BANDS,
    BMI_GUIDELINE,
    BP_CATEGORIES,
    BP_GUIDELINE,
    BP_TARGET,
    GLUCOSE_BANDS,
    GLUCOSE_GUIDELINE,
    HEART_RANGE,
    SLEEP_RANGE,
    STEPS_TARGET,
    Guidelines,
)
from memory.records.datatypes import UNITS, DataType, is_finite_number
from memory.storage.models import UserData, UserInsight
from prompts.insights import render_insight
from prompts.language import Language

ChartKind = Literal["line", "bar", "stacked_bar"]
DAILY_METRICS = (
    "steps",
    "sleep_hours",
    "resting_heart_rate",
    "heart_rate",
    "weight_kg",
    "body_fat_pct",
)
"""Health fields drawn as one point a day (the day's mean)."""


SHAPE = ConfigDict(use_attribute_docstrings=True, json_schema_serialization_defaults_required=True)
"""Chart shapes are the API's too (`GET /api/user-data/charts`): documented, every field sent."""


@dataclass(config=SHAPE)
class ChartPoint:
    """A value at a time (`t`: an ISO day, week start, month or time) and the records behind it."""

    t: str
    v: float
    ids: list[int]


@dataclass(config=SHAPE)
class ChartSeries:
    """One line or stack of bars; `name` is a field, category or custom metric name."""

    name: str
    points: list[ChartPoint] = field(default_factory=list)


@dataclass(config=SHAPE)
class ChartBand:
    """A guideline range drawn behind the series (`category` names it; open ends are null)."""

    low: float | None
    high: float | None
    category: str
    """What the range means: a key the client translates."""
    severity: str


@dataclass(config=SHAPE)
class ChartMarker:
    """An insight, drawn at the latest record it cites on this chart."""

    insight_id: int
    key: str
    severity: str
    text: str
    t: str
    v: float
    ids: list[int]
    """Every record the insight cites."""


@dataclass(config=SHAPE)
class Chart:
    """A trend chart of one metric: its unit, series, bands, reference lines and insight markers."""

    key: str
    """`steps`, `sleep_hours`, `blood_pressure`, `glucose`, `bmi`, `study_week`, `finance_month`,
    `expense_categories`, `custom:NAME`, ..."""
    data_type: DataType
    unit: str
    kind: ChartKind
    series: list[ChartSeries]
    bands: list[ChartBand] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)
    """Horizontal reference lines: `{"value", "label"}` (a goal, a diastolic threshold)."""
    events: list[dict[str, Any]] = field(default_factory=list)
    """Dated events (an exam): `{"t", "label", "ids"}`."""
    guideline: str | None = None
    markers: list[ChartMarker] = field(default_factory=list)


def _daily(records: Iterable[UserData], name: str) -> list[ChartPoint]:
    by_day: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for record in records:
        value = record.data.get(name)
        if is_finite_number(value):
            by_day[f"{record.recorded_at:%Y-%m-%d}"].append((float(value), record.id))
    return [
        ChartPoint(day, round(fmean(v for v, _ in values), 2), [i for _, i in values])
        for day, values in sorted(by_day.items())
    ]


def _readings(
    records: Iterable[UserData], name: str, *, only: dict[str, Any] | None = None
) -> list[ChartPoint]:
    return [
        ChartPoint(record.recorded_at.isoformat(), float(record.data[name]), [record.id])
        for record in records
        if is_finite_number(record.data.get(name))
        and all(record.data.get(k) == v for k, v in (only or {}).items())
    ]


def _bands(bands: Sequence[Any]) -> list[ChartBand]:
    return [ChartBand(b.low, b.high, b.category, b.severity) for b in bands]


def health_charts(
    records: Sequence[UserData], guidelines: Guidelines, height_cm: float | None
) -> list[Chart]:
    """A chart per health measurement the user has."""
    charts = []
    for name in DAILY_METRICS:
        points = _daily(records, name)
        if not points:
            continue
        chart = Chart(name, "health", UNITS[name], "line", [ChartSeries(name, points)])
        if name == "steps":
            chart.bands = [ChartBand(STEPS_TARGET, None, "target", "good")]
        elif name == "sleep_hours":
            chart.bands = [ChartBand(SLEEP_RANGE[0], SLEEP_RANGE[1], "recommended", "good")]
        elif name in ("resting_heart_rate",):
            chart.bands = [ChartBand(HEART_RANGE[0], HEART_RANGE[1], "normal", "good")]
        charts.append(chart)
    systolic = _readings(records, "systolic_bp")
    if systolic:
        guideline = BP_GUIDELINE[guidelines]
        categories = BP_CATEGORIES[guideline]
        bands = []
        for i, (category, sys_from, _, severity) in enumerate(categories):
            high = None if i == 0 else categories[i - 1][1]
            bands.append(ChartBand(sys_from or None, high, category, severity))
        diastolic = _readings(records, "diastolic_bp")
        charts.append(
            Chart(
                "blood_pressure",
                "health",
                "mmHg",
                "line",
                [ChartSeries("systolic_bp", systolic), ChartSeries("diastolic_bp", diastolic)],
                bands=list(reversed(bands)),
                lines=[{"value": BP_TARGET[guideline][1], "label": "diastolic_threshold"}],
                guideline=guideline,
            )
        )
    glucose = _readings(records, "glucose_mmol_l")
    if glucose:
        guideline = GLUCOSE_GUIDELINE[guidelines]
        fasting = _readings(records, "glucose_mmol_l", only={"fasting": True})
        other = [p for p in glucose if p.ids[0] not in {q.ids[0] for q in fasting}]
        series = [ChartSeries("fasting", fasting)] if fasting else []
        series += [ChartSeries("glucose_mmol_l", other)] if other else []
        charts.append(
            Chart(
                "glucose",
                "health",
                "mmol/L",
                "line",
                series,
                bands=_bands(GLUCOSE_BANDS[guideline]),
                guideline=guideline,
            )
        )
    weights = _daily(records, "weight_kg")
    if height_cm and weights:
        guideline = BMI_GUIDELINE[guidelines]
        points = [ChartPoint(p.t, round(p.v / (height_cm / 100) ** 2, 1), p.ids) for p in weights]
        charts.append(
            Chart(
                "bmi",
                "health",
                "kg/m²",
                "line",
                [ChartSeries("bmi", points)],
                bands=_bands(BMI_BANDS[guideline]),
                guideline=guideline,
            )
        )
    return charts


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def education_charts(records: Sequence[UserData], start: datetime) -> list[Chart]:
    """Study hours per week (Monday to Sunday) since `start`, with the weekly goal and exams."""
    weeks: dict[str, tuple[float, list[int]]] = {}
    for record in records:
        minutes = record.data.get("study_minutes")
        if is_finite_number(minutes) and record.recorded_at >= start:
            week = _monday(record.recorded_at.date()).isoformat()
            hours, ids = weeks.get(week, (0.0, []))
            weeks[week] = (hours + float(minutes) / 60, [*ids, record.id])
    goals = [r for r in records if is_finite_number(r.data.get("weekly_goal_hours"))]
    exams = [r for r in records if r.data.get("exam") and r.data.get("exam_date")]
    if not weeks and not goals and not exams:
        return []
    points = [
        ChartPoint(week, round(hours, 2), ids) for week, (hours, ids) in sorted(weeks.items())
    ]
    chart = Chart("study_week", "education", "h", "bar", [ChartSeries("study_hours", points)])
    if goals:
        chart.lines.append({"value": float(goals[-1].data["weekly_goal_hours"]), "label": "goal"})
    chart.events = [
        {"t": r.data["exam_date"], "label": str(r.data["exam"]), "ids": [r.id]}
        for r in exams
        if r.data["exam_date"] >= start.date().isoformat()
    ]
    return [chart]


def finance_charts(records: Sequence[UserData]) -> list[Chart]:
    """Monthly income against expenses, and expenses by category, in the main currency."""
    if not records:
        return []
    currencies: dict[str, int] = defaultdict(int)
    for record in records:
        currencies[str(record.data.get("currency", "CNY"))] += 1
    currency = max(currencies, key=lambda c: currencies[c])
    totals: dict[str, dict[str, tuple[float, list[int]]]] = defaultdict(dict)
    categories: dict[str, dict[str, tuple[float, list[int]]]] = defaultdict(dict)
    for record in records:
        if record.data.get("currency", "CNY") != currency:
            continue
        month = f"{record.recorded_at:%Y-%m}"
        factor = MONTHLY.get(str(record.data.get("period", "month")), 1.0)
        for name in ("income", "expenses"):
            value = record.data.get(name)
            if is_finite_number(value):
                amount, ids = totals[name].get(month, (0.0, []))
                totals[name][month] = (amount + float(value) * factor, [*ids, record.id])
                if name == "expenses":
                    category = str(record.data.get("category") or "uncategorised")
                    amount, ids = categories[category].get(month, (0.0, []))
                    categories[category][month] = (
                        amount + float(value) * factor,
                        [*ids, record.id],
                    )

    def series(name: str, values: dict[str, tuple[float, list[int]]]) -> ChartSeries:
        return ChartSeries(
            name, [ChartPoint(m, round(v, 2), ids) for m, (v, ids) in sorted(values.items())]
        )

    charts = []
    if totals:
        charts.append(
            Chart(
                "finance_month",
                "finance",
                currency,
                "bar",
                [series(name, totals[name]) for name in ("income", "expenses") if name in totals],
            )
        )
    if len(categories) > 1 or ("uncategorised" not in categories and categories):
        charts.append(
            Chart(
                "expense_categories",
                "finance",
                currency,
                "stacked_bar",
                [series(name, values) for name, values in sorted(categories.items())],
            )
        )
    return charts


def custom_charts(records: Sequence[UserData]) -> list[Chart]:
    """A chart per custom metric name (and unit)."""
    by_name: dict[tuple[str, str], list[UserData]] = defaultdict(list)
    for record in records:
        by_name[(str(record.data.get("name")), str(record.data.get("unit")))].append(record)
    return [
        Chart(
            f"custom:{name}", "custom", unit, "line", [ChartSeries(name, _readings(rows, "value"))]
        )
        for (name, unit), rows in sorted(by_name.items())
    ]


INSIGHT_CHARTS = {
    "health.steps": "steps",
    "health.sleep": "sleep_hours",
    "health.resting_heart_rate": "resting_heart_rate",
    "health.weight": "weight_kg",
    "health.blood_pressure": "blood_pressure",
    "health.fasting_glucose": "glucose",
    "health.bmi": "bmi",
    "finance.savings_rate": "finance_month",
    "finance.expense_growth": "finance_month",
    "finance.category_change": "expense_categories",
    "finance.top_categories": "expense_categories",
}
"""The chart an insight belongs on (education's all go on the weekly study chart)."""


def chart_of(insight_key: str) -> str | None:
    """The chart key an insight is drawn on."""
    if insight_key.startswith("education."):
        return "study_week"
    return INSIGHT_CHARTS.get(insight_key)


def place_markers(
    charts: Sequence[Chart], insights: Sequence[UserInsight], language: Language
) -> None:
    """Put each insight on its chart, at the latest record it cites there."""
    for chart in charts:
        for insight in insights:
            sources = cast("list[dict[str, Any]]", insight.sources)
            cited = {int(s["id"]) for s in sources if s.get("kind") == "user_data"}
            if not cited or chart_of(insight.key) != chart.key:
                continue
            hits = [p for s in chart.series for p in s.points if cited & set(p.ids)]
            if not hits:
                continue
            last = max(hits, key=lambda p: p.t)
            chart.markers.append(
                ChartMarker(
                    insight_id=insight.id,
                    key=insight.key,
                    severity=insight.severity,
                    text=render_insight(insight.key, insight.figures, language),
                    t=last.t,
                    v=last.v,
                    ids=sorted(cited),
                )
            )


def user_charts(
    records: Mapping[str, Sequence[UserData]],
    insights: Sequence[UserInsight],
    *,
    start: datetime,
    guidelines: Guidelines,
    height_cm: float | None,
    language: Language,
) -> list[Chart]:
    """Every chart of a user's records (per type, oldest first), insights placed on them."""
    charts = health_charts(records.get("health", []), guidelines, height_cm)
    charts += education_charts(records.get("education", []), start)
    charts += finance_charts(records.get("finance", []))
    charts += custom_charts(records.get("custom", []))
    place_markers(charts, insights, language)
    return charts
