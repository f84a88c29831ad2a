"""Find, in any text, the mentions of the lexicon's concepts: for extraction and for the guard.

English terms match on word boundaries, plurals included ("peanuts", "anchovies", "peanut-butter"),
the longest term first, so "peanut butter" is a peanut and not butter. Chinese is segmented with
jieba, the lexicon's terms added to its dictionary, and a term matches unless it lies inside a
longer word: 花生酱 and 宫保鸡丁 match, 蛋 inside 蛋白质 and 酒 inside 酒店 do not.
Each mention says whether it is negated ("avoid peanuts", "peanut-free", 不含花生, 避免花生和腰果):
whether a negated mention is acceptable is the guard's decision, not the matcher's.

The Chinese dictionary is jieba's default one, shared (not copied) with keyword search: the
lexicon's words go into an overlay, so keyword search segments exactly as before.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import ChainMap
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from agent.constraints.lexicon import Family, Lexicon, lexicon

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_SPACES = re.compile(r"[\s\-]+")
_CONSONANT_Y = re.compile(r"[^aeiou]y$")

NEGATION_EN = re.compile(
    r"\b(?:no|not|never|without|avoid(?:s|ing|ed)?|skip(?:ping)?|exclud(?:e|es|ing)|instead of|"
    r"rather than|free (?:of|from)|nothing with|don'?t|(?:does)n'?t|do not|does not|can'?t|cannot|"
    r"shouldn'?t|should not|must not|stay away from|steer clear of|cut (?:out|back on|down on)|"
    r"replac(?:e|ing)|swap(?:ping)? out|allergic to|allerg(?:y|ies)|intoleran(?:t|ce)|hold the|"
    r"minus|except|eliminat(?:e|ing)|refrain from|abstain from|limit(?:ing)?|reduc(?:e|ing)|"
    r"less|fewer|give up|quit|none)\b",
    re.IGNORECASE,
)
"""Words before a mention, in its clause, that make it something not to have."""
NEGATION_ZH = re.compile(
    r"不含|不要|不能|不可|不宜|不应|不用|不吃|不喝|不加|不放|不碰|别|避免|无|忌|去掉|去除|除了|没有|"
    r"戒|替代|代替|远离|禁止|禁食|拒绝|慎|过敏|不耐|少吃|少喝|少放|少油|减少|控制|限制|不建议|免"
)
AFTER_EN = re.compile(r"^[\s\-]*(?:free|allerg(?:y|ies)|intoleran(?:t|ce))\b", re.IGNORECASE)
"""Words right after a mention that negate it ("peanut-free", "peanut allergy")."""
AFTER_ZH = re.compile(r"^(?:过敏|不耐受|不要|别吃|别喝|不能吃|不能喝|除外|免|少吃|少喝)")
_CLAUSE_END = re.compile(
    r"[.!?;。！？；\n,，:：]|\b(?:but|however|though|although|yet)\b|但|不过|而是|可以"
)
_LIST_GLUE = re.compile(
    r"^(?:\s|,|，|、|/|and|or|nor|和|与|及|以及|或|或者|还有|跟)*$", re.IGNORECASE
)
LIST_WINDOW = 40
"""Most characters between two items of one list (a negation covers the whole list)."""


@dataclass(frozen=True, slots=True)
class Mention:
    """A concept named in a text."""

    concept: str
    """The concept the term belongs to (the most specific one: "chicken" is `poultry`)."""
    family: Family
    term: str
    """The text as written."""
    start: int
    end: int
    negated: bool
    """Said as something not to have: "avoid peanuts", "peanut-free", 不含花生."""
    cue: str | None = None
    """The words that negate it ("avoid", 不含), for the guard to weigh ("limit" vs "no")."""


def _plurals(word: str) -> tuple[str, ...]:
    forms = [word, word + "s", word + "es"]
    if _CONSONANT_Y.search(word):
        forms.append(word[:-1] + "ies")
    if word.endswith("f"):
        forms.append(word[:-1] + "ves")
    return tuple(forms)


def _normal(text: str) -> str:
    return _SPACES.sub(" ", text.lower().replace("’", "'")).strip()


class _English:
    """One regex over every English form of one family's terms."""

    def __init__(self, entries: dict[str, tuple[str, ...]]) -> None:
        self.ids: dict[str, tuple[str, ...]] = {}
        for term, ids in entries.items():
            head, _, last = term.rpartition(" ")
            for form in _plurals(last):
                key = _normal(f"{head} {form}" if head else form)
                self.ids[key] = tuple(dict.fromkeys(self.ids.get(key, ()) + ids))
        forms = sorted(self.ids, key=len, reverse=True)
        alternatives = "|".join(re.escape(form).replace(r"\ ", r"[\s\-]+") for form in forms)
        self.pattern = re.compile(rf"(?<![\w'])(?:{alternatives})(?!\w)", re.IGNORECASE)

    def find(self, text: str) -> Iterator[tuple[str, int, int, tuple[str, ...]]]:
        for match in self.pattern.finditer(text):
            yield match.group(0), match.start(), match.end(), self.ids[_normal(match.group(0))]


class _Chinese:
    """Term occurrences that jieba does not see as part of a longer word.

    Every occurrence of a term is a candidate; it is dropped when one token of jieba's
    segmentation (default dictionary plus the lexicon's words) strictly contains it: 酒 inside
    酒店, 蛋 inside 蛋白质, 肉 inside 肌肉, 奶 inside 奶奶, 鱼 inside 鱼香肉丝 (itself a term). An
    occurrence across tokens is kept
    (红酒 in 红酒吧, which jieba cuts 红/酒吧).
    """

    def __init__(self, entries: dict[str, tuple[str, ...]]) -> None:
        self.ids = entries
        self.longest = max((len(term) for term in entries), default=0)
        self._lock = threading.Lock()
        self._tokenizer: Any = None

    def _tokens(self) -> Any:
        with self._lock:
            if self._tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()  # the default dictionary, shared with keyword search
                tokenizer = jieba.Tokenizer()
                tokenizer.FREQ = ChainMap({}, jieba.dt.FREQ)  # our words go to the front map
                tokenizer.total = jieba.dt.total
                tokenizer.initialized = True
                for word in sorted(self.ids, key=len):
                    if len(word) > 1:
                        tokenizer.add_word(word)
                self._tokenizer = tokenizer
            return self._tokenizer

    def find(self, text: str) -> Iterator[tuple[str, int, int, tuple[str, ...]]]:
        for run in _CJK_RUN.finditer(text):
            chunk = run.group(0)
            found = [
                (chunk[i : i + n], i, i + n)
                for i in range(len(chunk))
                for n in range(1, min(self.longest, len(chunk) - i) + 1)
                if chunk[i : i + n] in self.ids
            ]
            if not found:
                continue
            words = [(start, end) for _, start, end in self._tokens().tokenize(chunk, HMM=False)]
            for term, start, end in found:
                if not any(s <= start and end <= e and e - s > end - start for s, e in words):
                    yield term, run.start() + start, run.start() + end, self.ids[term]


NEUTRAL = "_neutral"


class Matcher:
    """Mentions of one family's concepts (foods by default) in any text, in both languages."""

    def __init__(self, source: Lexicon, family: Family = "foods") -> None:
        self.lexicon = source
        self.family = family
        english: dict[str, tuple[str, ...]] = {}
        chinese: dict[str, tuple[str, ...]] = {}
        for concept in source.concepts[family].values():
            for term in concept.en:
                english[term] = (*english.get(term, ()), concept.id)
            for term in concept.zh:
                chinese[term] = (*chinese.get(term, ()), concept.id)
        if family == "foods":
            for term in source.neutral_en:
                english[term] = (NEUTRAL,)
            for term in source.neutral_zh:
                chinese[term] = (NEUTRAL,)
        self._english = _English(english)
        self._chinese = _Chinese(chinese)

    def mentions(self, text: str) -> list[Mention]:
        """Every mention of the family's concepts in `text`, in order, negation marked."""
        text = text.replace("’", "'")
        found = [*self._english.find(text), *self._chinese.find(text)]
        neutral = [(start, end) for _, start, end, ids in found if NEUTRAL in ids]
        raw: list[tuple[str, int, int, str]] = []
        for term, start, end, ids in found:
            if NEUTRAL in ids or any(s <= start and end <= e for s, e in neutral):
                continue
            for concept_id in ids:
                raw.append((term, start, end, concept_id))
        # A mention inside a longer mention of the same concept (花生 in 花生酱) is the same one.
        kept = [
            m
            for m in raw
            if not any(
                o[3] == m[3] and o[1] <= m[1] and m[2] <= o[2] and (o[1], o[2]) != (m[1], m[2])
                for o in raw
            )
        ]
        kept.sort(key=lambda m: (m[1], -m[2]))
        out: list[Mention] = []
        for term, start, end, concept_id in kept:
            cue = _negation(text, start, end)
            if cue is None and out:
                before = out[-1]
                glue = text[before.end : start]
                if before.negated and len(glue) <= LIST_WINDOW and _LIST_GLUE.match(glue):
                    cue = before.cue
            out.append(Mention(concept_id, self.family, term, start, end, cue is not None, cue))
        return out

    def forbidden(self, text: str, concepts: Iterable[str]) -> list[Mention]:
        """The mentions in `text` of food concepts that `concepts` forbid (narrower ones too)."""
        wanted = self.lexicon.expand(concepts)
        return [m for m in self.mentions(text) if m.concept in wanted]


def _negation(text: str, start: int, end: int) -> str | None:
    clause_start = 0
    for boundary in _CLAUSE_END.finditer(text, 0, start):
        clause_start = boundary.end()
    before = text[clause_start:start]
    cues = [*NEGATION_EN.finditer(before), *NEGATION_ZH.finditer(before)]
    if cues:
        return max(cues, key=lambda m: m.start()).group(0)
    after = text[end : end + 16]
    found = AFTER_EN.match(after) or AFTER_ZH.match(after)
    return found.group(0).strip(" -") if found else None


@cache
def matcher(family: Family = "foods") -> Matcher:
    """The matcher of the shipped lexicon for `family` (built once; jieba loads on first use)."""
    return Matcher(lexicon(), family)


def forbidden_mentions(text: str, concepts: Iterable[str]) -> list[Mention]:
    """The mentions in `text` of what `concepts` forbid: the guard's question."""
    return matcher().forbidden(text, concepts)
