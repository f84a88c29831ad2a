"""Insight sentences per analysis rule, in Chinese and English, filled from the rule's figures.

Insights are stored with their figures, so they can be shown in either language at read time.
"""

from __future__ import annotations

from typing import Any

from prompts.language import Language

TEMPLATES: dict[str, dict[Language, str]] = {
    "health.steps": {
        "en": (
            "You averaged {avg:,.0f} steps a day (7 days: {avg_7d}, 30 days: {avg_30d}); "
            "about {target:,}+ a day is linked with better health."
        ),
        "zh": "你平均每天走{avg:,.0f}步（近7天：{avg_7d}，近30天：{avg_30d}）；每天约{target:,}步以上与更好的健康相关。",
    },
    "health.sleep": {
        "en": (
            "You slept {avg:.1f} hours a night on average (7 days: {avg_7d}, 30 days: {avg_30d}); "
            "adults need {low:g}-{high:g} hours."
        ),
        "zh": "你平均每晚睡{avg:.1f}小时（近7天：{avg_7d}，近30天：{avg_30d}）；成年人需要{low:g}-{high:g}小时。",
    },
    "health.resting_heart_rate": {
        "en": (
            "Your resting heart rate averaged {avg:.0f} bpm; {low}-{high} bpm is the usual adult "
            "range."
        ),
        "zh": "你的静息心率平均为每分钟{avg:.0f}次；成年人的常见范围是{low}-{high}次。",
    },
    "health.weight": {
        "en": "Your weight went from {first:g} kg to {last:g} kg ({change:+g} kg) in {days} days.",
        "zh": "你的体重在{days}天内从{first:g}公斤变为{last:g}公斤（{change:+g}公斤）。",
    },
    "finance.savings_rate": {
        "en": (
            "Over the last month you earned {income:,.0f} and spent {expenses:,.0f} {currency}: "
            "a savings rate of {rate_pct}; saving {target_pct} or more is a common rule of thumb."
        ),
        "zh": "近一个月你收入{income:,.0f}、支出{expenses:,.0f} {currency}，储蓄率为{rate_pct}；常见的建议是储蓄{target_pct}以上。",
    },
    "finance.expense_growth": {
        "en": (
            "Your expenses in {month} were {expenses:,.0f} {currency}, {growth_pct} compared with "
            "{previous_month} ({previous_expenses:,.0f})."
        ),
        "zh": "你{month}的支出为{expenses:,.0f} {currency}，比{previous_month}（{previous_expenses:,.0f}）变化了{growth_pct}。",
    },
    "education.study_trend": {
        "en": "You studied {hours_7d:g} hours in the last 7 days ({hours_prev_7d:g} the week before).",
        "zh": "你近7天学习了{hours_7d:g}小时（前一周{hours_prev_7d:g}小时）。",
    },
    "education.goals": {
        "en": "Your learning goals: {goal_list}{no_study}.",
        "zh": "你的学习目标：{goal_list}{no_study}。",
    },
    "behavior.top_categories": {
        "en": "In the last 30 days you logged {events_30d} events; most often: {top_list}.",
        "zh": "近30天你记录了{events_30d}个事件；最常见的是：{top_list}。",
    },
}

NO_STUDY = {"en": " (no study logged in the last 7 days)", "zh": "（近7天没有学习记录）"}
LIST_SEPARATOR = {"en": ", ", "zh": "、"}
EVENTS = {"en": "{category} ({events}×)", "zh": "{category}（{events}次）"}


def render_insight(key: str, figures: dict[str, Any], language: Language) -> str:
    """The sentence for one finding; unknown keys fall back to the key and figures."""
    template = TEMPLATES.get(key, {}).get(language)
    if template is None:
        return f"{key}: {figures}"
    return template.format(**template_values(figures, language))


def template_values(figures: dict[str, Any], language: Language) -> dict[str, Any]:
    """The figures plus the derived values templates use (percentages, joined lists)."""
    values = dict(figures)
    headline = figures.get("avg_7d")
    values["avg"] = headline if headline is not None else figures.get("avg_30d", 0)
    for name in ("rate", "target", "growth"):
        if isinstance(figures.get(name), int | float):
            values[f"{name}_pct"] = (
                f"{figures[name]:+.0%}" if name == "growth" else f"{figures[name]:.0%}"
            )
        else:
            values[f"{name}_pct"] = "-"
    separator = LIST_SEPARATOR[language]
    values["goal_list"] = separator.join(figures.get("goals", []))
    values["no_study"] = "" if figures.get("studied_7d", True) else NO_STUDY[language]
    values["top_list"] = separator.join(
        EVENTS[language].format(**item) for item in figures.get("top", [])
    )
    for name in ("avg_7d", "avg_30d"):
        value = values.get(name)
        values[name] = "-" if value is None else f"{value:,.1f}".removesuffix(".0")
    return values
