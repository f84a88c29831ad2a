"""Text in, clauses and numbers out: what the rules read, in Chinese and English.

Normalising keeps every offset (one character in, one out), so a clause's text is always a slice
of what the user wrote: full-width digits, letters and punctuation (１３５／８８，) become ASCII,
curly apostrophes straight. Quotation marks are kept: quoted words are someone else's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULL_WIDTH.update({0x3000: 0x20, 0x2019: 0x27, 0x2018: 0x27})
# Keep the Chinese full-width comma, semicolon, colon and question/exclamation marks recognisable
# as clause ends after normalising: they become their ASCII twins, which the splitter knows too.

QUOTES = {"“": "”", '"': '"', "「": "」", "『": "』", "‘": "’"}
_SENTENCE_END = re.compile(r"[。！？!?；;\n]+|\.{2,}|…+|(?<![A-Z])\.(?=\s|$)(?<!\b(?:Dr|Mr|Ms)\.)")
_CLAUSE_END = re.compile(
    r"(?<!\d),|,(?!\d{3}\b)|[，、:：]|\s[-–—]\s|\s(?:and|but|so)\s(?=(?:i|i'm|i've|we|we're|my|our|he|he's|she|she's|they)\b)|"
    r"而且|并且|但是",
    re.IGNORECASE,
)
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

ZH_DIGITS = "零〇一二两三四五六七八九十百千万亿"
NUMBER_ZH = rf"(?:\d+(?:\.\d+)?|[{ZH_DIGITS}]+(?:点[{ZH_DIGITS[:-5]}]+)?)"
"""A number written with digits or Chinese numerals (一万二, 七十二点五, 八千五)."""
NUMBER_EN = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:\s?k\b)?"
"""A number with digits, thousands separators and an optional `k` (50k)."""


def normalize(text: str) -> str:
    """Full-width ASCII to ASCII, curly apostrophes straight; same length, same offsets."""
    return text.translate(_FULL_WIDTH)


@dataclass(frozen=True, slots=True)
class Clause:
    """A clause of a sentence, with its offset in the message."""

    text: str
    start: int
    sentence: int
    """Index of its sentence in the message."""
    quoted: bool
    """Inside quotation marks."""
    last: bool
    """The last clause of its sentence (the one a `?` ends)."""
    first: bool
    """The first clause of its sentence (where "which ..." asks rather than relates)."""
    end_mark: str
    """The punctuation that ends its sentence ("?", "!", "." or "")."""


def quote_spans(text: str) -> list[tuple[int, int]]:
    """The spans inside quotation marks (an unclosed quote runs to the end of the text)."""
    spans: list[tuple[int, int]] = []
    index = 0
    while index < len(text):
        closing = QUOTES.get(text[index])
        if closing is not None and (text[index] != "'" or index == 0 or text[index - 1] == " "):
            end = text.find(closing, index + 1)
            end = len(text) if end < 0 else end
            spans.append((index, end + 1))
            index = end + 1
            continue
        index += 1
    return spans


def sentences(text: str) -> list[tuple[int, int, str]]:
    """(start, end, end mark) of each sentence, blanks skipped. Quoted text is never split."""
    quotes = quote_spans(text)
    out: list[tuple[int, int, str]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if any(s < match.start() < e for s, e in quotes):
            continue
        mark = "?" if "?" in match.group(0) or "？" in match.group(0) else match.group(0)[:1]
        if text[start : match.start()].strip():
            out.append((start, match.start(), mark.strip()))
        start = match.end()
    if text[start:].strip():
        out.append((start, len(text), ""))
    return out


def clauses(text: str) -> list[Clause]:
    """The message's clauses (split at commas, colons and dashes), in order."""
    normal = normalize(text)
    quotes = quote_spans(normal)
    out: list[Clause] = []
    for index, (start, end, mark) in enumerate(sentences(normal)):
        cuts = [start]
        for match in _CLAUSE_END.finditer(normal, start, end):
            if not any(s < match.start() < e for s, e in quotes):
                cuts.extend((match.start(), match.end()))
        cuts.append(end)
        pieces = [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts), 2)]
        pieces = [(s, e) for s, e in pieces if normal[s:e].strip()]
        for number, (s, e) in enumerate(pieces):
            lead = len(normal[s:e]) - len(normal[s:e].lstrip())
            s += lead
            e = s + len(normal[s:e].rstrip())
            quoted = any(qs <= s and e <= qe for qs, qe in quotes) or any(
                qs <= s < qe and (qe - qs) > (e - s) // 2 for qs, qe in quotes
            )
            last = number == len(pieces) - 1
            out.append(Clause(normal[s:e], s, index, quoted, last, number == 0, mark))
    return out


@cache
def _cn2an() -> object:
    import cn2an

    return cn2an


def parse_number(raw: str) -> float | None:
    """A number written with digits or Chinese numerals; None if it is not one.

    Digits: "11,200", "1.5", "50k", "1.2万"; numerals: "一万二", "八千五", "七十二点五", "两".
    """
    raw = raw.strip().replace(",", "").replace(" ", "")
    multiplier = 1.0
    if raw.lower().endswith("k") and raw[:-1].replace(".", "", 1).isdigit():
        raw, multiplier = raw[:-1], 1000.0
    if raw.endswith("万") and raw[:-1].replace(".", "", 1).isdigit():
        raw, multiplier = raw[:-1], 10000.0
    if raw.endswith("千") and raw[:-1].replace(".", "", 1).isdigit():
        raw, multiplier = raw[:-1], 1000.0
    try:
        return float(raw) * multiplier
    except ValueError:
        pass
    if not raw or any(ch not in ZH_DIGITS + "点0123456789." for ch in raw):
        return None
    try:
        value = _cn2an().cn2an(raw, "smart")  # type: ignore[attr-defined]
    except (ValueError, KeyError, IndexError):
        return None
    return float(value)


def whole(value: float) -> int | float:
    """An integer when the number has no fraction (schemas want ints for steps, mmHg, bpm)."""
    return int(value) if float(value).is_integer() else value
