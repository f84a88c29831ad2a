"""Who a clause is about: the user, or one of their people ("my father", 我爸, "our son Tom").

A statement about another person is a fact about them, never a record of the user's: "my
father's blood pressure is 160/100" tells the advice about the father, not the user's health.
"""

from __future__ import annotations

import re

from agent.understanding.shapes import SELF

RELATIONS_EN: dict[str, str] = {
    "father": "father", "dad": "father", "daddy": "father", "papa": "father",
    "mother": "mother", "mom": "mother", "mum": "mother", "mommy": "mother", "mama": "mother",
    "wife": "wife", "husband": "husband", "hubby": "husband",
    "partner": "partner", "boyfriend": "partner", "girlfriend": "partner", "bf": "partner",
    "gf": "partner", "fiance": "partner", "fiancee": "partner", "fiancé": "partner",
    "son": "son", "daughter": "daughter", "brother": "brother", "sister": "sister",
    "grandfather": "grandfather", "grandpa": "grandfather",
    "grandmother": "grandmother", "grandma": "grandmother", "granny": "grandmother",
    "kids": "children", "children": "children", "kid": "children", "child": "children",
    "baby": "children", "friend": "friend", "colleague": "colleague", "coworker": "colleague",
    "boss": "boss", "dog": "dog", "puppy": "dog", "cat": "cat", "kitten": "cat",
    "parents": "parents", "roommate": "roommate", "ex": "ex", "uncle": "uncle", "aunt": "aunt",
}  # fmt: skip
"""English words for the user's people, to the canonical relation."""

RELATIONS_ZH: dict[str, str] = {
    "爸爸": "father", "老爸": "father", "父亲": "father", "爸": "father",
    "妈妈": "mother", "老妈": "mother", "母亲": "mother", "妈": "mother",
    "老婆": "wife", "妻子": "wife", "媳妇": "wife", "太太": "wife",
    "老公": "husband", "丈夫": "husband", "先生": "husband",
    "男朋友": "partner", "女朋友": "partner", "男友": "partner", "女友": "partner",
    "对象": "partner", "爱人": "partner", "未婚妻": "partner", "未婚夫": "partner",
    "儿子": "son", "女儿": "daughter", "闺女": "daughter",
    "哥哥": "brother", "弟弟": "brother", "哥": "brother", "弟": "brother",
    "姐姐": "sister", "妹妹": "sister", "姐": "sister", "妹": "sister",
    "爷爷": "grandfather", "外公": "grandfather", "姥爷": "grandfather",
    "奶奶": "grandmother", "外婆": "grandmother", "姥姥": "grandmother",
    "孩子": "children", "小孩": "children", "娃": "children", "宝宝": "children",
    "朋友": "friend", "同事": "colleague", "老板": "boss", "领导": "boss",
    "狗": "dog", "狗狗": "dog", "小狗": "dog", "猫": "cat", "猫咪": "cat", "小猫": "cat",
    "父母": "parents", "爸妈": "parents", "室友": "roommate",
    "前女友": "ex", "前男友": "ex", "前任": "ex", "前妻": "ex", "前夫": "ex",
}  # fmt: skip
"""Chinese words for the user's people, to the canonical relation."""

PARTNERS = frozenset({"wife", "husband", "partner"})
"""Relations whose name is the user's `partner` slot (a new partner replaces the old)."""

_EN_WORDS = "|".join(sorted(map(re.escape, RELATIONS_EN), key=len, reverse=True))
_ZH_WORDS = "|".join(sorted(map(re.escape, RELATIONS_ZH), key=len, reverse=True))
RELATION_EN = re.compile(
    rf"\b(?:my|our)\s+(?:(?:little|older|younger|big|baby|new|old)\s+)?({_EN_WORDS})\b",
    re.IGNORECASE,
)
RELATION_ZH = re.compile(rf"(?:我的|我家|我们家|我)?(?:的)?({_ZH_WORDS})")
_LEAD_EN = re.compile(
    rf"^(?:and\s+|but\s+|also\s+|so\s+)?(?:my|our)\s+(?:(?:little|older|younger|big|baby|new|old)\s+)?"
    rf"({_EN_WORDS})(?:'s|s')?\b",
    re.IGNORECASE,
)
_LEAD_ZH = re.compile(rf"^(?:而且|还有|但是|我的|我家|我们家|我)(?:的)?({_ZH_WORDS})")
_NAME_EN = re.compile(r"^([A-Z][a-z]+)'s\b")
_PRONOUN_EN = re.compile(
    r"^(?:and\s+|but\s+)?(?:he|she|they|his|her|their)\b|^(?:he|she)'s\b", re.IGNORECASE
)
_PRONOUN_ZH = re.compile(r"^(?:而且|但是)?(?:他|她|它)(?!们)")
_SELF_EN = re.compile(
    r"^(?:and\s+|but\s+|so\s+|also\s+)?(?:i|i'm|i've|i'd|i'll|we|we're|me)\b", re.IGNORECASE
)
_SELF_ZH = re.compile(r"^(?:而且|但是|所以|还有)?(?:我|咱)")
_NOT_NAMES = frozenset({"It", "That", "What", "There", "Here", "Let", "He", "She", "Who", "Today"})


def relation_in(text: str, language: str) -> str | None:
    """The first of the user's people named anywhere in `text` (canonical relation)."""
    match = (RELATION_ZH if language == "zh" else RELATION_EN).search(text)
    if match is None and language == "zh":
        match = RELATION_EN.search(text)
    if match is None:
        return None
    word = match.group(1)
    return RELATIONS_ZH.get(word) or RELATIONS_EN.get(word.lower())


def lead_subject(text: str, language: str, previous: str | None) -> str | None:
    """Who the clause is about, from how it begins: `self`, a relation, a name, or None.

    None: the clause does not say (a Chinese clause without a subject continues the one before).

    `previous`: the last person the message named, for "he", "she", 他, 她.
    """
    text = text.strip()
    if language == "zh" and (match := _LEAD_ZH.match(text)):
        return RELATIONS_ZH[match.group(1)]
    if match := _LEAD_EN.match(text):
        return RELATIONS_EN[match.group(1).lower()]
    if (match := _NAME_EN.match(text)) and match.group(1) not in _NOT_NAMES:
        return match.group(1)
    if _PRONOUN_EN.match(text) or _PRONOUN_ZH.match(text):
        return previous or "other"
    if _SELF_EN.match(text) or _SELF_ZH.match(text):
        return SELF
    if language == "zh" and (match := re.match(rf"^({_ZH_WORDS})", text)):
        return RELATIONS_ZH[match.group(1)]
    return None
