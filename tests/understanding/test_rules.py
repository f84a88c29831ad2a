"""The model-free tier on messages people write, in English and Chinese, and what it must not do."""

from __future__ import annotations

from datetime import UTC, datetime

from agent.understanding import Understanding, understand

NOW = datetime(2026, 12, 8, 10, tzinfo=UTC)


def read(text: str) -> Understanding:
    return understand(text, now=NOW)


def records(text: str) -> list[tuple[str, dict[str, object]]]:
    return [(r.data_type, r.data) for r in read(text).records]


def test_blood_pressure_with_pulse_and_spoken_reading() -> None:
    assert records("BP this morning was 135/88, pulse 72") == [
        ("health", {"systolic_bp": 135, "diastolic_bp": 88, "pulse": 72})
    ]
    [(_kind, data)] = records("yesterday evening it was 128 over 84")
    assert data == {"systolic_bp": 128, "diastolic_bp": 84}
    assert read("yesterday evening it was 128 over 84").records[0].recorded_at is not None


def test_chinese_measurements() -> None:
    found = read("我每天晚上十二点才睡觉，最近血压有点高，140/95")
    assert [(s.kind, s.attribute) for s in found.statements] == [
        ("fact", "bedtime"),
        ("fact", None),
        ("measurement", None),
    ]
    assert found.statements[0].value == "00:00"
    assert records("昨晚只睡了六个半小时") == [("health", {"sleep_hours": 6.5})]
    assert records("体重150斤") == [("health", {"weight_kg": 75.0})]
    assert records("空腹血糖6.8") == [("health", {"glucose_mmol_l": 6.8, "fasting": True})]
    assert records("血压高压一百三十八，低压九十") == [
        ("health", {"systolic_bp": 138, "diastolic_bp": 90})
    ]


def test_money_in_both_languages() -> None:
    english = records("My rent is 4500 yuan a month and I earn 12000.")
    assert [d.get("expenses") or d.get("income") for _, d in english] == [4500, 12000]
    assert english[0][1]["category"] == "housing"
    chinese = records("房租四千五，月薪一万二")
    assert [d.get("expenses") or d.get("income") for _, d in chinese] == [4500, 12000]


def test_every_record_is_valid_for_the_forms() -> None:
    from memory.records.datatypes import validate_record

    for text in ("walked 11,200 steps today", "studied english for 90 minutes", "心率72"):
        for record in read(text).records:
            assert validate_record(record.data_type, record.data) == record.data


def test_nothing_is_recorded_from_hypotheticals_others_negations_or_quotes() -> None:
    for text in (
        "If my blood pressure were 150/100, would I need meds?",
        "如果我的血压是150/100，需要吃药吗？",
        "My father's blood pressure is 160/100",
        "我爸血压160/100，一直在吃降压药",
        "I'm not 80 kg anymore",
        'My doctor said "anything above 7 means diabetes"',
        "医生跟我说：“空腹血糖不能超过6.1”",
        "is 6 hours of sleep enough?",
    ):
        assert read(text).records == (), text
    father = read("My father's blood pressure is 160/100, he takes amlodipine.")
    assert [(s.kind, s.subject) for s in father.statements] == [("fact", "father")]


def test_questions_and_small_talk_yield_no_statement() -> None:
    for text, act in (
        ("where do I live now?", "question"),
        ("哈哈哈哈", "small_talk"),
        ("给我推荐一些适合我的零食", "question"),
        ("thanks!!", "small_talk"),
    ):
        found = read(text)
        assert found.statements == () and {s.act for s in found.sentences} == {act}, text


def test_constraints_from_the_lexicon() -> None:
    [allergy] = read("I'm allergic to peanuts.").statements
    assert allergy.constraint is not None and allergy.constraint.concepts == ("peanut",)
    diet, abstain = read("我吃素，也不喝酒").statements
    assert diet.attribute == "diet" and diet.constraint is not None
    assert {"meat", "seafood"} <= set(diet.constraint.concepts)
    assert abstain.constraint is not None and abstain.constraint.concepts == ("alcohol",)
    [budget] = read("每个月餐饮预算控制在两千以内").statements
    assert budget.constraint is not None
    assert (budget.constraint.kind, budget.constraint.amount, budget.constraint.period) == (
        "budget",
        2000,
        "month",
    )


def test_slots_replace_each_other() -> None:
    before = read("I live in Hangzhou").statements[0]
    after = read("I moved to Shanghai last month").statements[0]
    assert before.slot == after.slot == ("self", "home_city")
    assert (before.value, after.value) == ("Hangzhou", "Shanghai")
    assert read("上个月我搬到上海了").statements[0].value == "上海"
    [dog] = read("My dog is called Bao").statements
    assert (dog.subject, dog.attribute, dog.value) == ("dog", "name", "Bao")


def test_forget_requests_and_what_is_not_one() -> None:
    assert [s.forget for s in read("Please forget what I said about my daughter.").statements] == [
        "my daughter"
    ]
    assert [s.forget for s in read("忘掉我女儿的事").statements] == ["我女儿"]
    assert all(s.kind != "forget" for s in read("我忘了今天吃药了").statements)
    assert read("forget it").statements == ()


def test_goals_and_events_carry_their_dates() -> None:
    [goal] = read("我下周五要去体检").statements
    assert goal.kind == "goal" and str(goal.when) == "2026-12-18"
    [event] = read("I have a dentist appointment next Friday").statements
    assert event.kind == "event" and str(event.when) == "2026-12-11"
