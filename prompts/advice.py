"""Rule-based advice per insight, in Chinese and English: what to do about each finding.

Used for recommendations when the model is too small to advise well (the bundled one), and always
explainable: the rationale is the insight's own sentence and the sources are its records.
"""

from __future__ import annotations

from typing import Any

from prompts.insights import render_insight, template_values
from prompts.language import Language

RULES_PROMPT_VERSION = "advice-rules-v2"

ADVICE: dict[tuple[str, ...], dict[Language, str]] = {
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
    ("health.blood_pressure", "alert"): {
        "en": "Your average of {systolic}/{diastolic} mmHg is {category_name}: see a doctor soon to confirm it and discuss treatment, and bring your log. Measure twice a day, seated after 5 minutes of rest. A reading above 180/120 with chest pain, breathlessness or a severe headache needs emergency care.",
        "zh": "你的平均血压{systolic}/{diastolic} mmHg属于{category_name}：请尽快就医确认并讨论治疗，带上你的测量记录。每天早晚各测一次（静坐休息5分钟后）。若血压高于180/120并伴胸痛、气短或剧烈头痛，请立即急诊。",
    },
    ("health.blood_pressure", "warning"): {
        "en": "Your average of {systolic}/{diastolic} mmHg is above {target_systolic}/{target_diastolic}: eat less than 5 g of salt a day, be active 150 minutes a week, limit alcohol, and show your readings to a doctor.",
        "zh": "你的平均血压{systolic}/{diastolic} mmHg高于{target_systolic}/{target_diastolic}：每天食盐少于5克，每周运动150分钟，限制饮酒，并请医生看看你的测量记录。",
    },
    ("health.blood_pressure", "info"): {
        "en": "Your blood pressure is {category_name}: less salt and regular activity keep it from rising; measure it again each week.",
        "zh": "你的血压属于{category_name}：少盐和规律运动可以防止它继续升高；每周再测一次。",
    },
    ("health.blood_pressure", "good"): {
        "en": "Your blood pressure is normal ({systolic}/{diastolic} mmHg); keep measuring it now and then.",
        "zh": "你的血压正常（{systolic}/{diastolic} mmHg）；平时偶尔测一测即可。",
    },
    ("health.fasting_glucose", "alert"): {
        "en": "A fasting glucose of {avg:g} mmol/L is in the diabetes range: see a doctor for a confirming test (HbA1c or a repeated fasting test).",
        "zh": "空腹血糖{avg:g} mmol/L处于糖尿病诊断范围：请就医做确认检查（糖化血红蛋白或复查空腹血糖）。",
    },
    ("health.fasting_glucose", "warning"): {
        "en": "Your fasting glucose ({avg:g} mmol/L) is above normal: ask a doctor for an HbA1c test; more activity, fewer sugary drinks and refined carbohydrates lower it.",
        "zh": "你的空腹血糖（{avg:g} mmol/L）高于正常：请医生安排糖化血红蛋白检查；多运动、少喝含糖饮料、少吃精制碳水可以帮助降低血糖。",
    },
    ("health.fasting_glucose", "good"): {
        "en": "Your fasting glucose is normal; check it again at your next health check.",
        "zh": "你的空腹血糖正常；下次体检时再查一次。",
    },
    ("health.bmi", "alert"): {
        "en": "A BMI of {bmi:g} is obese by {guideline_name}: a doctor or dietitian can help you plan a gradual loss of 5-10% of your weight.",
        "zh": "BMI {bmi:g}按{guideline_name}属于肥胖：医生或营养师可以帮你制定计划，逐步减掉体重的5%-10%。",
    },
    ("health.bmi", "warning", "overweight"): {
        "en": "Your BMI of {bmi:g} is overweight by {guideline_name}: aim under {normal_high:g} with smaller portions and 150 minutes of activity a week.",
        "zh": "你的BMI {bmi:g}按{guideline_name}属于超重：通过减少每餐份量、每周运动150分钟，争取降到{normal_high:g}以下。",
    },
    ("health.bmi", "warning", "underweight"): {
        "en": "Your BMI of {bmi:g} is below {normal_low:g}: eat regular meals with enough protein, and see a doctor if you lose weight without trying.",
        "zh": "你的BMI {bmi:g}低于{normal_low:g}：规律进餐、保证蛋白质摄入；如果体重无故下降，请就医。",
    },
    ("health.bmi", "good"): {
        "en": "Your BMI ({bmi:g}) is in the healthy range; keep your weight steady.",
        "zh": "你的BMI（{bmi:g}）在健康范围内；保持体重稳定即可。",
    },
    ("education.weekly_goal", "warning"): {
        "en": "You reached {share_pct} of your {goal:g}-hour weekly goal: put the missing {missing:g} hours into fixed slots this week.",
        "zh": "你完成了每周{goal:g}小时目标的{share_pct}：把还差的{missing:g}小时安排进本周固定的时段。",
    },
    ("education.weekly_goal", "info"): {
        "en": "You are at {share_pct} of your weekly goal; one or two more sessions reach {goal:g} hours.",
        "zh": "你已完成每周目标的{share_pct}；再学一两次就能达到{goal:g}小时。",
    },
    ("education.weekly_goal", "good"): {
        "en": "You met your weekly goal of {goal:g} hours; keep the same rhythm.",
        "zh": "你达成了每周{goal:g}小时的目标；保持这个节奏。",
    },
    ("education.exam", "warning"): {
        "en": "{exam} is in {days_left} days and last week's study fell short: study every day until then and take a full practice test this week.",
        "zh": "距离{exam}还有{days_left}天，而上周学习不足：从现在起每天学习，并在本周做一套完整的模拟题。",
    },
    ("education.exam", "info"): {
        "en": "{days_left} days to {exam}: spread the remaining topics over the weeks left and plan a practice test.",
        "zh": "距离{exam}还有{days_left}天：把剩下的内容分配到剩余的每一周，并安排一次模拟考试。",
    },
    ("finance.category_change", "warning"): {
        "en": "Your {category_name} spending rose by {change:,.0f} {currency} ({growth_pct}) in {month}: set a monthly limit for it and check it each week.",
        "zh": "你{month}的{category_name}支出增加了{change:,.0f} {currency}（{growth_pct}）：为它设定每月上限，并每周查看一次。",
    },
    ("finance.top_categories", "info"): {
        "en": "Your largest expense is {top_first}: if you want to save, look there first.",
        "zh": "你最大的支出是{top_first}：如果想省钱，先从这里入手。",
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
    specific = ADVICE.get((key, severity, str(figures.get("category"))))
    template = (specific or ADVICE.get((key, severity), {})).get(language)
    if template is None:
        return None
    return template.format(**template_values(figures, language)), render_insight(
        key, figures, language
    )
