"""The published thresholds the health analysers and the charts' bands compare with, in one place.

- Blood pressure: ACC/AHA 2017 (Whelton et al., Hypertension 2018): normal < 120/80, elevated
  120-129/<80, stage 1 130-139 or 80-89, stage 2 >= 140 or >= 90, crisis > 180 and/or > 120.
  Chinese hypertension guideline, 2018 revision (《中国高血压防治指南（2018年修订版）》):
  normal < 120/80, high-normal 120-139 and/or 80-89, grade 1 140-159 and/or 90-99, grade 2
  160-179 and/or 100-109, grade 3 >= 180 and/or >= 110.
- Fasting plasma glucose: ADA Standards of Care: normal < 5.6 mmol/L (100 mg/dL), prediabetes
  5.6-6.9, diabetes range >= 7.0 (126 mg/dL). WHO 1999/2006 (also the Chinese Diabetes Society's):
  normal < 6.1 (110 mg/dL), impaired fasting glucose 6.1-6.9, diabetes range >= 7.0.
- BMI: WHO: underweight < 18.5, normal 18.5-24.9, overweight 25-29.9, obese >= 30. Chinese
  adults (WS/T 428-2013): normal 18.5-23.9, overweight 24-27.9, obese >= 28.
- Sleep 7-9 h (AASM/SRS 2015); steps about 7,000 a day (Paluch et al., Lancet Public Health 2022).

`international` uses ACC/AHA, ADA and WHO BMI; `china` the Chinese guideline, WHO glucose
criteria and the Chinese BMI cut-offs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from prompts.language import Language

Guidelines = Literal["international", "china"]
Severity = Literal["info", "good", "warning", "alert"]


@dataclass(frozen=True, slots=True)
class Band:
    """A category with its bounds (`low` inclusive, `high` exclusive; None is open)."""

    category: str
    low: float | None
    high: float | None
    severity: Severity


def pick_guidelines(setting: str, language: Language) -> Guidelines:
    """The guidelines a user's insights follow: the setting, or by language for `auto`."""
    if setting in ("international", "china"):
        return setting  # type: ignore[return-value]
    return "china" if language == "zh" else "international"


BP_GUIDELINE = {"international": "acc_aha_2017", "china": "china_2018"}
GLUCOSE_GUIDELINE = {"international": "ada", "china": "who"}
BMI_GUIDELINE = {"international": "who", "china": "china"}

# Blood pressure: (category, systolic from, diastolic from, severity), highest first; a reading
# falls in the highest category that either of its numbers reaches ("and/or").
BP_CATEGORIES: dict[str, list[tuple[str, int, int, Severity]]] = {
    "acc_aha_2017": [
        ("stage_2", 140, 90, "alert"),
        ("stage_1", 130, 80, "warning"),
        ("elevated", 120, 999, "info"),
        ("normal", 0, 0, "good"),
    ],
    "china_2018": [
        ("grade_3", 180, 110, "alert"),
        ("grade_2", 160, 100, "alert"),
        ("grade_1", 140, 90, "warning"),
        ("high_normal", 120, 80, "info"),
        ("normal", 0, 0, "good"),
    ],
}
BP_CRISIS = (180, 120)
"""ACC/AHA: a reading above 180 and/or 120 needs care at once (both guidelines call it urgent)."""
BP_TARGET = {"acc_aha_2017": (130, 80), "china_2018": (140, 90)}
"""The line the advice aims under: ACC/AHA's treatment target, the Chinese guideline's 140/90."""


def bp_category(guideline: str, systolic: float, diastolic: float) -> tuple[str, Severity]:
    """The category of an average reading under a guideline, and its severity."""
    for category, sys_from, dia_from, severity in BP_CATEGORIES[guideline]:
        if systolic >= sys_from or diastolic >= dia_from:
            return category, severity
    return "normal", "good"


GLUCOSE_BANDS: dict[str, list[Band]] = {
    "ada": [
        Band("normal", None, 5.6, "good"),
        Band("impaired", 5.6, 7.0, "warning"),
        Band("diabetes_range", 7.0, None, "alert"),
    ],
    "who": [
        Band("normal", None, 6.1, "good"),
        Band("impaired", 6.1, 7.0, "warning"),
        Band("diabetes_range", 7.0, None, "alert"),
    ],
}
BMI_BANDS: dict[str, list[Band]] = {
    "who": [
        Band("underweight", None, 18.5, "warning"),
        Band("normal", 18.5, 25, "good"),
        Band("overweight", 25, 30, "warning"),
        Band("obese", 30, None, "alert"),
    ],
    "china": [
        Band("underweight", None, 18.5, "warning"),
        Band("normal", 18.5, 24, "good"),
        Band("overweight", 24, 28, "warning"),
        Band("obese", 28, None, "alert"),
    ],
}
STEPS_TARGET = 7000
STEPS_SEDENTARY = 5000
SLEEP_RANGE = (7.0, 9.0)
HEART_RANGE = (60, 100)


def band_of(bands: list[Band], value: float) -> Band:
    """The band a value falls in."""
    for band in bands:
        if (band.low is None or value >= band.low) and (band.high is None or value < band.high):
            return band
    return bands[-1]
