"""Words for keyword search, in Chinese and English.

Chinese has no spaces, so a regex tokenizer makes BM25 useless for it: jieba segments words first
(its search mode also emits the shorter words inside long ones). English words are lower-cased and
stemmed (Snowball), so "running" finds "run". Stop words of both languages are dropped.
"""

from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache
from typing import Any

_WORD = re.compile(r"[0-9a-z]+(?:['’][a-z]+)?|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_lock = threading.Lock()

ENGLISH_STOP_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further
    had has have having he her here hers herself him himself his how i if in into is it its itself
    just me more most my myself no nor not now of off on once only or other our ours ourselves out
    over own same she should so some such than that the their theirs them themselves then there
    these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours yourself yourselves s t don ll m re ve d
    also yeah oh hey hi wow really like just got get go going gonna thanks thank""".split()
)

CHINESE_STOP_WORDS = frozenset(
    """的 了 是 在 和 就 都 而 及 与 着 或 一个 没有 我们 你们 他们 她们 这 那 这个 那个 之 也
    很 吗 呢 吧 啊 呀 哦 嗯 么 什么 怎么 为什么 哪 哪里 哪个 谁 多少 几 我 你 他 她 它 自己 有 会
    能 要 想 说 去 又 还 把 被 让 给 对 从 向 到 上 下 里 中 个 些 过 等 用""".split()
)


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer  # PyStemmer: Snowball in C

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def _jieba() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()  # loads the dictionary once, not on the first search
    return jieba


def _segment_chinese(text: str) -> list[str]:
    with _lock:  # jieba's lazy state is not thread-safe
        return list(_jieba().cut_for_search(text))


def tokenize(text: str) -> list[str]:
    """Keyword-search terms of `text`: stemmed English words and segmented Chinese words."""
    terms: list[str] = []
    english: list[str] = []
    for match in _WORD.finditer(text.lower()):
        word = match.group(0)
        if _CJK.match(word):
            terms.extend(w for w in _segment_chinese(word) if w not in CHINESE_STOP_WORDS)
        elif word not in ENGLISH_STOP_WORDS:
            english.append(word.replace("’", "'").split("'")[0])
    if english:
        terms.extend(_stemmer().stemWords(english))
    return terms


def words(text: str) -> list[str]:
    """The words of `text`, lower-cased but not stemmed (Chinese segmented), stop words kept."""
    found: list[str] = []
    for match in _WORD.finditer(text.lower()):
        word = match.group(0)
        if _CJK.match(word):
            found.extend(_segment_chinese(word))
        else:
            found.append(word.replace("’", "'").split("'")[0])
    return found


def chinese_person_names(text: str) -> list[str]:
    """Chinese personal names in `text`, as jieba's part-of-speech tagger finds them (`nr`)."""
    if not _CJK.search(text):
        return []
    import jieba.posseg

    _jieba()
    with _lock:
        return [pair.word for pair in jieba.posseg.cut(text) if pair.flag == "nr"]
