"""Loops are caught: a repeated line or sentence, or a long run of words said again."""

from __future__ import annotations

from agent.model.repetition import repeats, without_repeats


def test_a_repeated_line_is_cut_before_the_repeat() -> None:
    text = "Hello there friend.\nI like apples a lot.\nI like apples a lot.\nI like"
    assert repeats(text)
    assert without_repeats(text) == "Hello there friend.\nI like apples a lot."


def test_a_long_clause_repeated_inside_new_sentences_is_a_loop() -> None:
    clause = "banned in the UK under section 427 and also all food products made from nut oil"
    text = f"Avoid nuts. Some are {clause}. However, there is a loophole for things {clause}."
    assert repeats(text)
    assert without_repeats(text) == f"Avoid nuts. Some are {clause}."


def test_chinese_gibberish_that_loops_is_caught() -> None:
    line = "美食巨多，每日活动！你可以在这里排行一下，有时估计不少人的赢三。"
    assert repeats(line * 3)
    assert without_repeats(line * 3) == line


def test_ordinary_answers_are_left_alone() -> None:
    answers = [
        "1. Apples\n2. Bananas\n3. Carrots",
        "OK. OK. Yes.",
        "Walk after meals. Sleep seven hours. Walk after meals is easy to start.",
        "杭州是浙江省的省会，以西湖闻名。西湖边适合散步。",
    ]
    for answer in answers:
        assert not repeats(answer), answer
        assert without_repeats(answer) == answer
