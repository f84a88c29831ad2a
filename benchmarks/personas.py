"""Write the synthetic personas of `benchmarks/data/personas/` (run once; the files are committed).

`python -m benchmarks.personas` draws, with fixed seeds, a training set (the rules writer teaches
the model on it: `memadvisor finetune export`) and a held-out set (`python -m benchmarks.advice`
measures the model on it). The two differ in seed, names and values, so the held-out personas were
never seen in training. Each persona has a language, a few records of the data types it consents
to, and, as known problems, the analysers' findings that call for action (warning or alert).
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Any

OUT = Path(__file__).parent / "data" / "personas"
SETS = {"train": (20261130, 640), "heldout": (7_700_001, 40)}
"""Seed and number of personas of each set."""

FIRST = {
    "en": [
        "Alex",
        "Sam",
        "Jordan",
        "Taylor",
        "Morgan",
        "Casey",
        "Riley",
        "Jamie",
        "Avery",
        "Quinn",
    ],
    "zh": ["王芳", "李雷", "张伟", "刘洋", "陈静", "杨帆", "赵敏", "黄磊", "周婷", "吴昊"],
}
GOALS = {
    "en": ["IELTS 7", "learn Python", "pass the CPA exam", "finish a data course", "read 20 books"],
    "zh": ["雅思7分", "学会Python", "通过注册会计师考试", "完成数据分析课程", "读完20本书"],
}


def _health(rng: random.Random, problem: bool) -> list[dict[str, Any]]:
    low_steps = problem and rng.random() < 0.6
    short_sleep = problem and (not low_steps or rng.random() < 0.4)
    fast_heart = problem and rng.random() < 0.2
    records = []
    for day in (1, 2, 3):
        data: dict[str, Any] = {
            "steps": rng.randint(1500, 4500) if low_steps else rng.randint(7500, 12000),
            "sleep_hours": round(
                rng.uniform(4.5, 6.3) if short_sleep else rng.uniform(7.1, 8.5), 1
            ),
        }
        if fast_heart or rng.random() < 0.3:
            data["resting_heart_rate"] = (
                rng.randint(102, 115) if fast_heart else rng.randint(60, 80)
            )
        records.append({"data_type": "health", "data": data, "days_ago": day})
    return records


def _finance(rng: random.Random, problem: bool, currency: str) -> list[dict[str, Any]]:
    income = rng.randrange(6000, 30000, 500)
    kind = rng.choice(["overspend", "low_savings", "growth"]) if problem else "fine"
    before = round(income * rng.uniform(0.55, 0.7))
    now = {
        "overspend": round(income * rng.uniform(1.05, 1.3)),
        "low_savings": round(income * rng.uniform(0.92, 0.98)),
        "growth": round(before * rng.uniform(1.25, 1.4)),
        "fine": round(before * rng.uniform(0.95, 1.05)),
    }[kind]
    return [
        {
            "data_type": "finance",
            "data": {"income": income, "expenses": before, "currency": currency},
            "days_ago": 40,
        },
        {
            "data_type": "finance",
            "data": {"income": income, "expenses": now, "currency": currency},
            "days_ago": 3,
        },
    ]


def _education(rng: random.Random, problem: bool, language: str) -> list[dict[str, Any]]:
    goal = rng.choice(GOALS[language])
    if problem and rng.random() < 0.5:  # a goal, and no study at all this week
        return [
            {
                "data_type": "education",
                "data": {"goals": [goal], "study_hours": 2.0},
                "days_ago": 12,
            }
        ]
    before = [round(rng.uniform(1.5, 3.0), 1) for _ in range(2)]
    after = [
        round(h * rng.uniform(0.2, 0.5), 1) if problem else round(h * rng.uniform(0.9, 1.3), 1)
        for h in before
    ]
    return [
        {
            "data_type": "education",
            "data": {"study_hours": before[0], "goals": [goal]},
            "days_ago": 10,
        },
        {"data_type": "education", "data": {"study_hours": before[1]}, "days_ago": 9},
        {"data_type": "education", "data": {"study_hours": after[0]}, "days_ago": 3},
        {"data_type": "education", "data": {"study_hours": after[1]}, "days_ago": 2},
    ]


def persona(rng: random.Random, name: str, number: int) -> dict[str, Any]:
    """One persona: language, consented types and records (most with a problem or two)."""
    language = rng.choice(["en", "zh"])
    types = rng.sample(["health", "finance", "education"], k=rng.choice([1, 2, 2, 3]))
    problems = set(rng.sample(types, k=min(len(types), rng.choice([1, 1, 2]))))
    records: list[dict[str, Any]] = []
    for data_type in sorted(types):
        problem = data_type in problems
        if data_type == "health":
            records += _health(rng, problem)
        elif data_type == "finance":
            records += _finance(
                rng, problem, "CNY" if language == "zh" else rng.choice(["USD", "EUR", "CNY"])
            )
        else:
            records += _education(rng, problem, language)
    first = rng.choice(FIRST[language])
    return {
        "id": f"{name}-{number:03d}",
        "name": first,
        "language": language,
        "consents": sorted(types),
        "records": records,
    }


def _shown(person: dict[str, Any]) -> str:
    """What the model's prompt is made of (the name is not in it)."""
    keys = ("language", "consents", "records")
    return json.dumps({k: person[k] for k in keys}, sort_keys=True, ensure_ascii=False)


def draw(rng: random.Random, name: str, count: int, earlier: set[str]) -> list[dict[str, Any]]:
    """`count` personas, none the same as one of an earlier set (added to `earlier`).

    Records are drawn from small ranges, so two personas can coincide (a single education
    record, say); a held-out persona equal to a training one would be seen in training.
    """
    people: list[dict[str, Any]] = []
    while len(people) < count:
        candidate = persona(rng, name, len(people) + 1)
        if _shown(candidate) not in earlier:
            people.append(candidate)
    earlier.update(_shown(person) for person in people)
    return people


def main() -> None:
    """Write each set as one JSON file (problems are found by `python -m benchmarks.advice`)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    earlier: set[str] = set()
    for name, (seed, count) in SETS.items():
        people = draw(random.Random(seed), name, count, earlier)
        path = args.out / f"{name}.json"
        path.write_text(json.dumps({"personas": people}, ensure_ascii=False, indent=1) + "\n")
        print(f"{path}: {len(people)} personas")


if __name__ == "__main__":
    main()
