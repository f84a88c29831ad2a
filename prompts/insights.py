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
    "health.blood_pressure": {
        "en": (
            "Your blood pressure averaged {systolic}/{diastolic} mmHg over {readings} readings in "
            "the last {period_days} days: {category_name} by {guideline_name}{crisis_note}."
        ),
        "zh": "近{period_days}天你{readings}次测量的平均血压为{systolic}/{diastolic} mmHg，按{guideline_name}属于{category_name}{crisis_note}。",
    },
    "health.fasting_glucose": {
        "en": (
            "Your fasting glucose averaged {avg:g} mmol/L ({mg_dl} mg/dL) over {readings} "
            "readings: {category_name} by {guideline_name} (normal below {normal_below:g}, "
            "diabetes range from {diabetes_from:g} mmol/L)."
        ),
        "zh": "你{readings}次空腹血糖的平均值为{avg:g} mmol/L（{mg_dl} mg/dL），按{guideline_name}属于{category_name}（正常低于{normal_below:g}，{diabetes_from:g} mmol/L及以上为糖尿病诊断范围）。",
    },
    "health.bmi": {
        "en": (
            "Your BMI is {bmi:g} ({weight_kg:g} kg, {height_cm:g} cm): {category_name} by "
            "{guideline_name} (normal: {normal_low:g} ≤ BMI < {normal_high:g})."
        ),
        "zh": "你的BMI为{bmi:g}（体重{weight_kg:g}公斤，身高{height_cm:g}厘米），按{guideline_name}属于{category_name}（正常：{normal_low:g} ≤ BMI < {normal_high:g}）。",
    },
    "education.weekly_goal": {
        "en": "You studied {hours_7d:g} h in the last 7 days against your goal of {goal:g} h a week ({share_pct}).",
        "zh": "你近7天学习了{hours_7d:g}小时，每周目标{goal:g}小时（完成{share_pct}）。",
    },
    "education.exam": {
        "en": "{exam} is on {exam_date}, in {days_left} days{target_note}; you studied {hours_7d:g} h in the last 7 days{goal_note}.",
        "zh": "{exam}在{exam_date}，还有{days_left}天{target_note}；你近7天学习了{hours_7d:g}小时{goal_note}。",
    },
    "finance.top_categories": {
        "en": "In {month} you spent {total:,.0f} {currency}; most on {top_categories}.",
        "zh": "你{month}支出{total:,.0f} {currency}，最多的是{top_categories}。",
    },
    "finance.category_change": {
        "en": (
            "Your {category_name} spending went from {previous_amount:,.0f} in {previous_month} "
            "to {amount:,.0f} {currency} in {month} ({growth_pct})."
        ),
        "zh": "你的{category_name}支出从{previous_month}的{previous_amount:,.0f}变为{month}的{amount:,.0f} {currency}（{growth_pct}）。",
    },
    "behavior.top_categories": {
        "en": "In the last 30 days you logged {events_30d} events; most often: {top_list}.",
        "zh": "近30天你记录了{events_30d}个事件；最常见的是：{top_list}。",
    },
}

NO_STUDY = {"en": " (no study logged in the last 7 days)", "zh": "（近7天没有学习记录）"}
GUIDELINE_NAMES: dict[str, dict[Language, str]] = {
    "acc_aha_2017": {"en": "the ACC/AHA 2017 guideline", "zh": "美国ACC/AHA 2017指南"},
    "china_2018": {
        "en": "the Chinese hypertension guideline (2018 revision)",
        "zh": "《中国高血压防治指南（2018年修订版）》",
    },
    "ada": {"en": "the ADA criteria", "zh": "美国糖尿病学会（ADA）标准"},
    "who": {"en": "the WHO criteria", "zh": "世界卫生组织（WHO）标准"},
    "china": {"en": "the Chinese adult cut-offs (24/28)", "zh": "中国成人标准（24/28）"},
}
CATEGORY_NAMES: dict[str, dict[Language, str]] = {
    "normal": {"en": "normal", "zh": "正常"},
    "elevated": {"en": "elevated", "zh": "血压升高"},
    "stage_1": {"en": "stage 1 hypertension", "zh": "1期高血压"},
    "stage_2": {"en": "stage 2 hypertension", "zh": "2期高血压"},
    "high_normal": {"en": "high-normal", "zh": "正常高值"},
    "grade_1": {"en": "grade 1 hypertension", "zh": "1级高血压"},
    "grade_2": {"en": "grade 2 hypertension", "zh": "2级高血压"},
    "grade_3": {"en": "grade 3 hypertension", "zh": "3级高血压"},
    "impaired": {
        "en": "the prediabetes (impaired fasting glucose) range",
        "zh": "空腹血糖受损（糖尿病前期）范围",
    },
    "diabetes_range": {"en": "the diabetes range", "zh": "糖尿病诊断范围"},
    "underweight": {"en": "underweight", "zh": "偏瘦"},
    "overweight": {"en": "overweight", "zh": "超重"},
    "obese": {"en": "obese", "zh": "肥胖"},
}
EXPENSE_NAMES: dict[str, dict[Language, str]] = {
    "food": {"en": "food", "zh": "餐饮"},
    "groceries": {"en": "groceries", "zh": "日用百货"},
    "transport": {"en": "transport", "zh": "交通"},
    "housing": {"en": "housing", "zh": "住房"},
    "utilities": {"en": "utilities", "zh": "水电缴费"},
    "shopping": {"en": "shopping", "zh": "购物"},
    "health": {"en": "health", "zh": "医疗健康"},
    "education": {"en": "education", "zh": "教育"},
    "entertainment": {"en": "entertainment", "zh": "娱乐"},
    "travel": {"en": "travel", "zh": "旅行"},
    "communication": {"en": "communication", "zh": "通讯"},
    "insurance": {"en": "insurance", "zh": "保险"},
    "family": {"en": "family", "zh": "家庭"},
    "gifts": {"en": "gifts and donations", "zh": "礼物捐赠"},
    "salary": {"en": "salary", "zh": "工资"},
    "investment": {"en": "investment", "zh": "投资理财"},
    "transfer": {"en": "transfers", "zh": "转账"},
    "refund": {"en": "refunds", "zh": "退款"},
    "other": {"en": "other", "zh": "其他"},
}
CRISIS_NOTE = {"en": " ({n} readings above 180/120)", "zh": "（其中{n}次高于180/120）"}
TARGET_NOTE = {"en": " (target: {target})", "zh": "（目标：{target}）"}
GOAL_NOTE = {"en": " (goal: {goal:g} h a week)", "zh": "（每周目标{goal:g}小时）"}
NEW_CATEGORY = {"en": "new", "zh": "新增"}
CATEGORY_AMOUNT = {
    "en": "{name} {amount:,.0f} ({share:.0%})",
    "zh": "{name}{amount:,.0f}（{share:.0%}）",
}
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
        EVENTS[language].format(**item) for item in figures.get("top", []) if "events" in item
    )
    for name in ("avg_7d", "avg_30d"):
        value = values.get(name)
        values[name] = "-" if value is None else f"{value:,.1f}".removesuffix(".0")
    _named_values(values, figures, language)
    return values


def _named_values(values: dict[str, Any], figures: dict[str, Any], language: Language) -> None:
    """Names of guidelines, categories and notes, in the reader's language."""

    def name(table: dict[str, dict[Language, str]], key: Any) -> str:
        return table.get(str(key), {}).get(language, str(key))

    values["guideline_name"] = name(GUIDELINE_NAMES, figures.get("guideline"))
    values["category_name"] = name(
        EXPENSE_NAMES if "previous_amount" in figures else CATEGORY_NAMES, figures.get("category")
    )
    crisis = figures.get("crisis_readings") or 0
    values["crisis_note"] = CRISIS_NOTE[language].format(n=crisis) if crisis else ""
    target = figures.get("target")
    values["target_note"] = (
        TARGET_NOTE[language].format(target=target) if isinstance(target, str) and target else ""
    )
    goal = figures.get("goal")
    values["goal_note"] = GOAL_NOTE[language].format(goal=goal) if goal else ""
    if isinstance(figures.get("avg"), int | float) and "normal_below" in figures:
        values["mg_dl"] = round(figures["avg"] * 18.016)
    if isinstance(goal, int | float) and isinstance(figures.get("hours_7d"), int | float):
        values["missing"] = round(max(goal - figures["hours_7d"], 0), 1)
    if isinstance(figures.get("share"), int | float):
        values["share_pct"] = f"{figures['share']:.0%}"
    if "previous_amount" in figures and figures.get("growth") is None:
        values["growth_pct"] = NEW_CATEGORY[language]
    top = figures.get("top", [])
    if top and isinstance(top[0], dict) and "amount" in top[0]:
        values["top_categories"] = LIST_SEPARATOR[language].join(
            CATEGORY_AMOUNT[language].format(
                name=name(EXPENSE_NAMES, item["category"]),
                amount=item["amount"],
                share=item["share"],
            )
            for item in top
        )
        values["top_first"] = name(EXPENSE_NAMES, top[0]["category"])
    else:
        values["top_categories"] = values["top_first"] = ""
