"""The constraint lexicon and its matcher, across languages, synonyms and negations."""

from __future__ import annotations

import pytest

from agent.constraints import forbidden_mentions, lexicon, matcher
from agent.constraints.lexicon import parse_lexicon


def concepts(text: str) -> list[tuple[str, str, bool]]:
    return [(m.concept, m.term, m.negated) for m in matcher().mentions(text)]


def test_peanut_in_every_form() -> None:
    found = concepts("I love peanut butter and satay, also Peanuts! 我推荐花生酱和宫保鸡丁")
    assert [c for c, _, _ in found if c == "peanut"] == ["peanut"] * 5


def test_chinese_terms_inside_other_words_do_not_match() -> None:
    assert concepts("我们住酒店，吃了蛋白质棒，练肌肉，奶奶也来了") == []
    assert concepts("来点啤酒、白酒或者红酒吧")[-1][:2] == ("alcohol", "红酒")


def test_neutral_terms_hide_the_shorter_term() -> None:
    assert concepts("a smoothie with coconut milk") == []


@pytest.mark.parametrize(
    ("text", "negated"),
    [
        ("Avoid peanuts, cashews and almonds.", [True, True, True]),
        ("peanut-free granola", [True]),
        ("不含花生的零食", [True]),
        ("可以吃鸡蛋羹，但别吃虾", [False, True]),
        ("Try the chicken wings", [False]),
    ],
)
def test_negated_mentions_are_told_apart(text: str, negated: list[bool]) -> None:
    assert [m.negated for m in matcher().mentions(text)] == negated


def test_a_diet_forbids_narrower_concepts_in_both_languages() -> None:
    forbids = lexicon().forbidden("diets", "vegetarian")
    found = forbidden_mentions("Try a grilled chicken salad, salmon or 牛肉面", forbids)
    assert [m.concept for m in found] == ["poultry", "fish", "beef"]
    drinking = lexicon().forbidden("habits", "drinking")
    assert [m.term for m in forbidden_mentions("a cold beer, wine or 白酒", drinking)] == [
        "beer",
        "wine",
        "白酒",
    ]


def test_the_lexicon_refuses_unknown_concepts() -> None:
    with pytest.raises(ValueError, match="unknown foods"):
        parse_lexicon({"foods": {"x": {"en": ["x"], "includes": ["nothing"]}}})
