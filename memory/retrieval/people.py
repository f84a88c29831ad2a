"""People a memory names, so that a question naming someone favours what concerns them.

A memory with a speaker (a thread with several, e.g. an imported transcript) names its speaker: the
names inside a speaker's words are mostly whom they address ("Hey Mel!"), and counting them lowered
recall on LoCoMo. A memory without one (what a user tells the assistant in chat) names the people
its text names, found without a model: an English word written with a capital inside a sentence (not
the first word, not "I", not a stop word or calendar word, not all capitals), or one that ends in a
colon as a speaker label; in Chinese, the words jieba tags as personal names. A question names a
person when one of its words is such a name, wherever it stands in the question. Names are compared
as keyed hashes (`Keyring.hash_terms`), like keyword terms, so the database holds no names.
"""

from __future__ import annotations

import re

from memory.retrieval.tokenize import ENGLISH_STOP_WORDS, chinese_person_names, words

_SENTENCE = re.compile(r"(?<=[.!?。！？\n])\s*")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*:?")
NOT_NAMES = ENGLISH_STOP_WORDS | frozenset(
    """monday tuesday wednesday thursday friday saturday sunday january february march april may
    june july august september october november december today tomorrow yesterday please ok okay
    yes sure dear mr mrs ms dr""".split()
)


def people_named(text: str, speaker: str | None = None) -> list[str]:
    """Lower-case first names of the people a memory names (its speaker, else those in its text)."""
    if speaker and speaker.split():
        return [speaker.split()[0].lower()]
    found: list[str] = []
    for sentence in _SENTENCE.split(text):
        for number, match in enumerate(_WORD.finditer(sentence)):
            word = match.group(0)
            label = word.endswith(":")
            word = word.rstrip(":")
            name = word.lower()
            if (
                word[0].isupper()
                and (number > 0 or label)
                and not word.isupper()
                and name not in NOT_NAMES
            ):
                found.append(name)
    found += chinese_person_names(text)
    return list(dict.fromkeys(found))


def query_words(query: str) -> list[str]:
    """Every word of a question that could be a name (lower-case, Chinese segmented)."""
    return list(dict.fromkeys([*words(query), *chinese_person_names(query)]))
