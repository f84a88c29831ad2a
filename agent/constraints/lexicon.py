"""The constraint lexicon: foods and drinks a constraint can forbid, and what forbids them.

The data is `lexicon.json` beside this module (edit it there); this module only reads it.
Four families share one shape:
- `foods`: concepts with their terms and narrower concepts (`includes`): `meat` includes
  `poultry`, so a vegetarian's constraint forbids 鸡丁 and "chicken wings";
- `diets`, `conditions`, `habits`: what a user can say they are, have or do (vegan, 糖尿病,
  "I don't drink"), each with the food concepts it `forbids`;
- `neutral`: terms that contain a food term but are not that food ("coconut milk", 椰奶).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

Family = Literal["foods", "diets", "conditions", "habits"]
FAMILIES: tuple[Family, ...] = ("foods", "diets", "conditions", "habits")

LEXICON_FILE = Path(__file__).with_name("lexicon.json")


@dataclass(frozen=True, slots=True)
class Concept:
    """One entry of the lexicon."""

    id: str
    family: Family
    en: tuple[str, ...]
    """English terms, singular and lower case (plurals are matched too)."""
    zh: tuple[str, ...]
    """Chinese terms (matched as whole jieba tokens)."""
    includes: tuple[str, ...] = ()
    """Foods: narrower food concepts (`meat` includes `pork`)."""
    forbids: tuple[str, ...] = ()
    """Diets, conditions and habits: the food concepts a user who has them must not get."""
    label: tuple[str, str] | None = None
    """Foods: how to name the concept in English and Chinese ("peanuts", "花生")."""

    def terms(self, language: Literal["en", "zh"]) -> tuple[str, ...]:
        """The concept's terms in `language`."""
        return self.en if language == "en" else self.zh


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Every concept by family and id, and the neutral terms."""

    concepts: dict[Family, dict[str, Concept]]
    neutral_en: tuple[str, ...]
    neutral_zh: tuple[str, ...]

    def get(self, family: Family, concept_id: str) -> Concept | None:
        """The concept `concept_id` of `family`, if the lexicon has it."""
        return self.concepts[family].get(concept_id)

    def expand(self, food_ids: Iterable[str]) -> frozenset[str]:
        """The food concepts and every concept they include, transitively."""
        foods = self.concepts["foods"]
        seen: set[str] = set()
        pending = [concept_id for concept_id in food_ids if concept_id in foods]
        while pending:
            concept_id = pending.pop()
            if concept_id not in seen:
                seen.add(concept_id)
                pending.extend(foods[concept_id].includes)
        return frozenset(seen)

    def forbidden(self, family: Family, concept_id: str) -> tuple[str, ...]:
        """The food concepts a diet, condition or habit forbids; a food forbids itself."""
        concept = self.get(family, concept_id)
        if concept is None:
            return ()
        return (concept.id,) if family == "foods" else concept.forbids

    def broader(self, food_id: str) -> frozenset[str]:
        """The food concepts that include `food_id` (itself included), transitively."""
        return frozenset(
            concept_id
            for concept_id in self.concepts["foods"]
            if food_id in self.expand([concept_id])
        )

    def label(self, food_id: str, language: Literal["en", "zh"]) -> str:
        """A food concept's name for people, in `language` (the id if unknown)."""
        concept = self.get("foods", food_id)
        if concept is None or concept.label is None:
            return food_id
        return concept.label[0 if language == "en" else 1]


def _tuple(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"the lexicon expects a list of strings, got {value!r}")
    return tuple(value)


def parse_lexicon(raw: dict[str, object]) -> Lexicon:
    """A lexicon from its JSON form.

    Raises ValueError naming what is wrong (a concept that includes or forbids an unknown food).
    """
    concepts: dict[Family, dict[str, Concept]] = {}
    for family in FAMILIES:
        entries = raw.get(family, {})
        if not isinstance(entries, dict):
            raise ValueError(f"{family} must be an object")
        concepts[family] = {}
        for concept_id, entry in entries.items():
            label = _tuple(entry["label"]) if "label" in entry else None
            concepts[family][concept_id] = Concept(
                id=concept_id,
                family=family,
                en=tuple(term.lower() for term in _tuple(entry.get("en", []))),
                zh=_tuple(entry.get("zh", [])),
                includes=_tuple(entry.get("includes", [])),
                forbids=_tuple(entry.get("forbids", [])),
                label=(label[0], label[1]) if label else None,
            )
    foods = concepts["foods"]
    for family in FAMILIES:
        for concept in concepts[family].values():
            unknown = [c for c in (*concept.includes, *concept.forbids) if c not in foods]
            if unknown:
                raise ValueError(f"{family}.{concept.id} names unknown foods: {unknown}")
    neutral = raw.get("neutral", {})
    if not isinstance(neutral, dict):
        raise ValueError("neutral must be an object")
    return Lexicon(
        concepts=concepts,
        neutral_en=tuple(term.lower() for term in _tuple(neutral.get("en", []))),
        neutral_zh=_tuple(neutral.get("zh", [])),
    )


@cache
def lexicon() -> Lexicon:
    """The shipped lexicon (read once)."""
    raw = json.loads(LEXICON_FILE.read_text(encoding="utf-8"))
    return parse_lexicon(raw)
