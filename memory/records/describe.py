"""Each record as a short sentence with English and Chinese labels and units, stored as a memory.

Chat finds a record through its sentence, in either language: "steps 步数: 8500" answers both
"how much did I walk" and "我走了多少步".
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from memory.records.datatypes import UNITS, DataType

_LABELS: dict[str, tuple[str, str]] = {
    "health": ("health", "健康"),
    "finance": ("finance", "财务"),
    "education": ("education", "学习"),
    "behavior": ("behavior", "行为"),
    "custom": ("custom metric", "自定义指标"),
    "steps": ("steps", "步数"),
    "sleep_hours": ("sleep", "睡眠"),
    "resting_heart_rate": ("resting heart rate", "静息心率"),
    "heart_rate": ("heart rate", "心率"),
    "weight_kg": ("weight", "体重"),
    "body_fat_pct": ("body fat", "体脂率"),
    "systolic_bp": ("blood pressure", "血压"),
    "pulse": ("pulse", "脉搏"),
    "glucose_mmol_l": ("blood glucose", "血糖"),
    "income": ("income", "收入"),
    "expenses": ("expenses", "支出"),
    "savings": ("savings", "储蓄"),
    "debt": ("debt", "负债"),
    "category": ("category", "类别"),
    "courses": ("courses", "课程"),
    "goals": ("goals", "目标"),
    "study_minutes": ("study", "学习时长"),
    "subject": ("subject", "科目"),
    "weekly_goal_hours": ("weekly study goal", "每周学习目标"),
    "exam": ("exam", "考试"),
    "exam_date": ("exam date", "考试日期"),
    "exam_target": ("target", "目标成绩"),
    "event": ("event", "事件"),
    "duration_minutes": ("duration", "时长"),
    "note": ("note", "备注"),
}
_SHOWN_UNITS = {"h": "h 小时", "min": "min 分钟", "steps": "", "h/week": "h/week 小时/周"}
_SKIPPED = {"currency", "period", "diastolic_bp", "fasting", "source", "name", "unit", "value"}


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def describe(data_type: DataType, data: dict[str, Any], recorded_at: datetime) -> str:
    """A short sentence with English and Chinese labels and units, so either language finds it."""
    english, chinese = _LABELS[data_type]
    parts: list[str] = []
    if data_type == "custom":
        parts.append(f"{data['name']}: {_number(data['value'])} {data['unit']}")
    for name, value in data.items():
        if name in _SKIPPED or value in (None, [], ""):
            continue
        label_en, label_zh = _LABELS.get(name, (name, name))
        if isinstance(value, list):
            shown = "; ".join(value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            shown = _number(float(value) if isinstance(value, float) else value)
        else:
            shown = str(value)
        if name == "systolic_bp":
            shown = f"{shown}/{data.get('diastolic_bp')} mmHg"
        elif name == "glucose_mmol_l":
            fasting = data.get("fasting")
            when = "" if fasting is None else " fasting 空腹" if fasting else " not fasting 非空腹"
            shown = f"{shown} mmol/L{when}"
        elif name in ("income", "expenses", "savings", "debt"):
            shown = f"{shown} {data.get('currency', '')}/{data.get('period', 'month')}"
        elif name in UNITS and (unit := _SHOWN_UNITS.get(UNITS[name], UNITS[name])):
            shown = f"{shown} {unit}"
        parts.append(f"{label_en} {label_zh}: {shown}")
    return f"{recorded_at:%Y-%m-%d} {english} {chinese} record: " + ", ".join(parts)
