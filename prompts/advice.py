"""Rule-based advice per insight, in Chinese and English: what to do about each finding.

Used for recommendations when the model is too small to advise well (the bundled one), and always
explainable: the rationale is the insight's own sentence and the sources are its records.
"""

from __future__ import annotations

from typing import Any

from prompts.insights import render_insight, template_values
from prompts.language import Language

RULES_PROMPT_VERSION = "advice-rules-v1"

ADVICE: dict[tuple[str, str], dict[Language, str]] = {
    ("health.steps", "warning"): {
        "en": "Build up towards {target:,} steps a day: add a 10-15 minute walk after meals and lengthen it a little each week.",
        "zh": "逐步增加到每天约{target:,}步：饭后散步10-15分钟，每周再延长一点。",
    },
    ("health.steps", "info"): {
        "en": "You are close to {target:,} steps a day: one extra walk or taking the stairs would get you there.",
        "zh": "你离每天{target:,}步不远了：多走一次路或改走楼梯就能达到。",
    },
    ("health.steps", "good"): {
        "en": "Keep up your {avg:,.0f} steps a day; vary them with a longer walk or a run at the weekend.",
        "zh": "保持每天{avg:,.0f}步的好习惯；周末可以加一次长距离步行或跑步。",
    },
    ("health.sleep", "warning"): {
        "en": "Aim for {low:g}-{high:g} hours of sleep: keep a fixed bedtime and put screens away 30 minutes before it.",
        "zh": "争取每晚睡{low:g}-{high:g}小时：固定上床时间，睡前30分钟放下手机等屏幕。",
    },
    ("health.sleep", "info"): {
        "en": "You sleep more than {high:g} hours; if you still feel tired during the day, mention it to a doctor.",
        "zh": "你的睡眠超过{high:g}小时；如果白天仍然疲惫，可以咨询医生。",
    },
    ("health.sleep", "good"): {
        "en": "Your sleep is in the healthy range; keep the same schedule at weekends too.",
        "zh": "你的睡眠在健康范围内；周末也保持同样的作息。",
    },
    ("health.resting_heart_rate", "alert"): {
        "en": "A resting heart rate above {high} bpm deserves a check with a doctor, sooner if you feel dizzy or short of breath.",
        "zh": "静息心率高于每分钟{high}次，建议找医生检查；如有头晕或气短请尽快就医。",
    },
    ("health.resting_heart_rate", "info"): {
        "en": "A resting heart rate under {low} bpm is common in fit people; see a doctor if you feel faint or unusually tired.",
        "zh": "静息心率低于每分钟{low}次在经常锻炼的人中很常见；如果感到头晕或异常疲劳请就医。",
    },
    ("health.weight", "info"): {
        "en": "Your weight changed by {change:+g} kg in {days} days; if that was not planned, look at recent changes in eating, sleep and activity.",
        "zh": "你的体重在{days}天内变化了{change:+g}公斤；如果不是有意为之，留意最近饮食、睡眠和运动的变化。",
    },
    ("finance.savings_rate", "alert"): {
        "en": "You spend more than you earn: list last month's expenses, cut the largest optional one, and cap monthly spending below {income:,.0f} {currency}.",
        "zh": "你的支出超过收入：列出上个月的开销，先砍掉最大的一项非必要支出，并把每月支出控制在{income:,.0f} {currency}以内。",
    },
    ("finance.savings_rate", "warning"): {
        "en": "Raise your savings rate from {rate_pct} towards {target_pct}: move a fixed amount to savings on payday, before spending.",
        "zh": "把储蓄率从{rate_pct}提高到{target_pct}：发工资当天先把固定金额转入储蓄，再安排开销。",
    },
    ("finance.savings_rate", "info"): {
        "en": "You save {rate_pct}; an automatic transfer on payday would take you to {target_pct}.",
        "zh": "你的储蓄率是{rate_pct}；发薪日自动转账可以帮你达到{target_pct}。",
    },
    ("finance.savings_rate", "good"): {
        "en": "You save {rate_pct} of your income; build an emergency fund of 3-6 months of expenses if you have none yet.",
        "zh": "你储蓄了收入的{rate_pct}；如果还没有应急金，可以攒够3-6个月的生活费。",
    },
    ("finance.expense_growth", "warning"): {
        "en": "Your expenses grew {growth_pct} in {month}: find the category that grew and decide whether it should continue.",
        "zh": "你{month}的支出增长了{growth_pct}：找出增长的类别，判断是否需要继续。",
    },
    ("education.study_trend", "warning"): {
        "en": "Your study time fell from {hours_prev_7d:g} to {hours_7d:g} hours a week: book fixed study slots in your calendar for this week.",
        "zh": "你每周的学习时间从{hours_prev_7d:g}小时降到了{hours_7d:g}小时：本周在日程里固定几个学习时段。",
    },
    ("education.study_trend", "good"): {
        "en": "Keep your {hours_7d:g} hours of study a week; at the end of each week, review what you learned.",
        "zh": "保持每周{hours_7d:g}小时的学习；每周末回顾一下学到的内容。",
    },
    ("education.goals", "warning"): {
        "en": "No study was logged this week for {goal_list}: start with one 30-minute session today.",
        "zh": "本周还没有为{goal_list}记录学习：今天先学30分钟。",
    },
    ("education.goals", "info"): {
        "en": "Break {goal_list} into weekly milestones so you can see your progress.",
        "zh": "把{goal_list}拆成每周的小目标，方便看到进度。",
    },
    ("behavior.top_categories", "info"): {
        "en": "Most of your logged events are {top_list}: check that this matches what you want to spend time on.",
        "zh": "你记录最多的是{top_list}：看看这是否符合你想要的时间安排。",
    },
}


def render_advice(
    key: str, severity: str, figures: dict[str, Any], language: Language
) -> tuple[str, str] | None:
    """The advice and its rationale (the insight's sentence) for one insight, or None."""
    template = ADVICE.get((key, severity), {}).get(language)
    if template is None:
        return None
    return template.format(**template_values(figures, language)), render_insight(
        key, figures, language
    )
