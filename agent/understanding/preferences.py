"""Preferences and constraints in a clause.

Allergies, diets, conditions, abstaining, foods to avoid (budgets come from `money`), likes and
dislikes. The foods come from the constraint lexicon, so 花生, "peanut butter" and satay are one
concept, and a vegetarian forbids chicken and 牛肉 alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.constraints.lexicon import Family, lexicon
from agent.constraints.matcher import matcher
from agent.understanding.shapes import ConstraintKind, Polarity

_ALLERGY = re.compile(
    r"allergic to (?P<en>.+)|(?P<en2>[\w\s-]+?)\s+allerg(?:y|ies)\b|allerg(?:y|ies) to (?P<en3>.+)|"
    r"对(?P<zh>.+?)过敏|(?P<zh2>[\u4e00-\u9fff]{1,8}?)过敏",
    re.IGNORECASE,
)
_ABSTAIN = re.compile(
    r"\b(?:i|we)\s+(?:also\s+|just\s+|really\s+|still\s+|totally\s+|generally\s+)?"
    r"(?:do not|don't|dont|never|no longer|can't|cannot)\s+(?P<verb>drink|smoke|vape)\b"
    r"(?P<obj>[^,.;!?]*)|\b(?:quit|gave up|give up|stopped|stop|quitting|cutting out|off)\s+"
    r"(?P<habit>drinking|smoking|alcohol|booze|coffee|caffeine|sugar|sweets|cigarettes|vaping)\b|"
    r"\b(?:i'?m|i am)\s+(?:sober|teetotal|a non-?drinker|a non-?smoker)\b|"
    r"(?:不|不再|从不|没)(?P<zhverb>喝酒|抽烟|吸烟|喝咖啡|吃糖|喝)(?P<zhobj>[^，,。！？]*)|"
    r"(?:戒了?|在戒|戒掉了?)(?P<zhhabit>酒|烟|咖啡|糖|奶茶|甜食)",
    re.IGNORECASE,
)
_AVOID = re.compile(
    r"\b(?:i|we)\s+(?:(?:try to|am trying to|'m trying to|have to|need to|must)\s+)?"
    r"(?:avoid|don't eat|do not eat|can't eat|cannot eat|never eat|stay away from|don't touch)\s+"
    r"(?P<en>[^,.;!?]+)|\b(?:trying to|try to|have to|need to)\s+avoid\s+(?P<en2>[^,.;!?]+)|"
    r"\bno\s+(?P<en3>[a-z ]+?)\s+for me\b|"
    r"(?:我)?(?:不吃|不能吃|不碰|忌口|忌|避免吃?|不敢吃)(?P<zh>[^，,。！？]+)",
    re.IGNORECASE,
)
_LIKE = re.compile(
    r"(?:^|\bi\s+|\band\s+|\bbut\s+|\balso\s+)(?:really\s+|absolutely\s+|also\s+|totally\s+)*"
    r"(?P<verb>love|like|enjoy|adore|hate|dislike|detest|can'?t stand|don'?t like|do not like|"
    r"don'?t enjoy|am a (?:big )?fan of|'m a (?:big )?fan of|am not a fan of|'m not a fan of)\s+"
    r"(?P<what>.+?)(?=\s+(?:and|but)\s+(?:i\s+)?(?:really\s+)?(?:love|like|enjoy|hate|dislike|"
    r"can'?t stand|don'?t like)\b|[,.;!?]|$)|"
    r"(?P<zhverb>不喜欢|不太喜欢|不爱|讨厌|受不了|最喜欢|特别喜欢|很喜欢|超喜欢|非常喜欢|喜欢|爱|"
    r"超爱|最爱)(?P<zhwhat>.+?)(?=[，,。！？!?]|$)|"
    r"最喜欢的\w{0,4}?是(?P<zhfav>.+?)(?=[，,。！？!?]|$)|"
    r"\bmy favou?rite \w+ is (?P<enfav>.+?)(?=[,.;!?]|$)",
    re.IGNORECASE,
)
_DISLIKE_VERBS = ("hate", "dislike", "detest", "can't stand", "cant stand", "don't like",
                  "dont like", "do not like", "don't enjoy", "dont enjoy", "am not a fan of",
                  "'m not a fan of", "不喜欢", "不太喜欢", "不爱", "讨厌", "受不了")  # fmt: skip
_TRAILING = re.compile(
    r"(?:\s+(?:lol|lmao|haha+|though|tho|too|a lot|so much|very much|always have|tbh|btw|"
    r"really|anyway))+$|[的了啊呀哈呢吧]+$",
    re.IGNORECASE,
)
_NOT_OBJECTS = re.compile(r"^(?:it|this|that|you|them|him|her|to|the idea|how|when|what)\b", re.I)
_FOOD_VERBS = re.compile(r"^(?:吃|喝|eating|drinking|to eat|to drink)\s*")
_CONDITION_NEGATED = re.compile(
    r"\b(?:not|don't|doesn't|no longer|never)\b.*|没有|没|不是|不再|并非", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class Found:
    """A preference found in a clause."""

    start: int
    end: int
    constraint: ConstraintKind | None = None
    concepts: tuple[str, ...] = ()
    polarity: Polarity | None = None
    value: str | None = None
    attribute: str | None = None


def foods(text: str) -> tuple[str, ...]:
    """The food concepts named in `text`, in order, negated mentions included."""
    return tuple(dict.fromkeys(m.concept for m in matcher().mentions(text)))


def _terms(text: str, family: Family) -> list[tuple[str, int, int]]:
    return [(m.concept, m.start, m.end) for m in matcher(family).mentions(text)]


def constraints(clause: str) -> list[Found]:
    """Allergies, diets, conditions, abstaining and foods to avoid said in the clause."""
    out: list[Found] = []
    for match in _ALLERGY.finditer(clause):
        what = next(g for g in match.groups() if g)
        found = foods(what)
        if found or len(what) <= 12:
            out.append(Found(match.start(), match.end(), "allergy", found, value=what.strip()))
        break
    negated = _CONDITION_NEGATED.search(clause)
    if not negated:
        for concept_id, start, end in _terms(clause, "diets"):
            forbids = lexicon().forbidden("diets", concept_id)
            out.append(Found(start, end, "diet", forbids, value=concept_id, attribute="diet"))
            break
        for concept_id, start, end in _terms(clause, "conditions"):
            forbids = lexicon().forbidden("conditions", concept_id)
            out.append(Found(start, end, "condition", forbids, value=concept_id))
    if abstain := _ABSTAIN.search(clause):
        habit = _habit(abstain)
        if habit is not None:
            forbids = lexicon().forbidden("habits", habit)
            out.append(Found(abstain.start(), abstain.end(), "abstain", forbids, value=habit))
    elif avoid := _AVOID.search(clause):
        what = next(g for g in avoid.groups() if g)
        found = foods(what)
        if found and not any(f.constraint == "diet" for f in out):
            out.append(Found(avoid.start(), avoid.end(), "avoid", found, value=what.strip()))
    return out


def _habit(match: re.Match[str]) -> str | None:
    groups = match.groupdict()
    obj = (groups.get("obj") or groups.get("zhobj") or "").strip()
    if obj:
        concepts = foods(obj)
        if "caffeine" in concepts:
            return "caffeine"
        if "alcohol" in concepts:
            return "drinking"
        if "sugar" in concepts:
            return "sugar"
        if groups.get("verb") == "drink" or groups.get("zhverb") == "喝":
            return None  # "I don't drink milk": a dislike at most, not abstaining
    word = (
        groups.get("verb") or groups.get("habit") or groups.get("zhverb") or groups.get("zhhabit")
    )
    word = (word or match.group(0)).lower()
    if any(w in word for w in ("smok", "vap", "cigar", "烟", "non-smoker")):
        return "smoking"
    if any(w in word for w in ("coffee", "caffeine", "咖啡")):
        return "caffeine"
    if any(w in word for w in ("sugar", "sweet", "糖", "甜食", "奶茶")):
        return "sugar"
    if groups.get("zhverb") == "喝":
        return None
    return "drinking"


def likes(clause: str) -> list[Found]:
    """Likes and dislikes ("I love spicy food", 我不喜欢香菜, 最喜欢的水果是芒果)."""
    out: list[Found] = []
    for match in _LIKE.finditer(clause):
        groups = match.groupdict()
        verb = (groups.get("verb") or groups.get("zhverb") or "").lower()
        what = (
            groups.get("what") or groups.get("zhwhat") or groups.get("zhfav") or groups.get("enfav")
        )
        if not what:
            continue
        what = _FOOD_VERBS.sub("", _TRAILING.sub("", what.strip())).strip()
        if not what or _NOT_OBJECTS.match(what) or what.lower().startswith("to "):
            continue
        if verb in ("爱", "超爱", "最爱") and len(what) > 8:
            continue
        polarity: Polarity = "dislike" if verb in _DISLIKE_VERBS else "like"
        out.append(Found(match.start(), match.end(), polarity=polarity, value=what))
    return out
