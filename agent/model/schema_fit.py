"""A JSON schema whose longest answer fits the room the model has to write it.

A grammar-constrained answer is cut when it reaches its token room, and a cut object misses the
fields it had not reached yet: the bundled model, asked for nine pieces of advice of up to 300 and
400 characters each in 1,024 tokens, looped inside its strings until the room ran out, and the
repaired answer lacked `education` and the last item's `rationale`. So before sampling, the
longest answer the schema admits is written out (every string at its `maxLength`, every array at
its `maxItems`, strings filled with text like the prompt's, so the model's own tokenizer counts
the language it will write) and counted; while it does not fit, string bounds shrink, then array
bounds. The grammar then cannot outgrow the room. Pydantic still validates against the original
model, whose bounds are looser.

Filled with the prompt's own text alone, the estimate let two of four answers still reach the
room: the model looped on "1.1.1." and dates, one token per character, where prose takes about
half that. So the longest answer is counted with such a loop too.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable
from typing import Any

from prompts.budget import TokenCounter

MIN_STRING = 48
"""Shortest `maxLength` a string is shrunk to (then arrays lose items instead): a sentence."""
MARGIN = 1.1
"""Room kept for the whitespace the grammar allows between tokens."""
FILLER = "Keep a steady routine and write it down. 每天记录一次，坚持下去。"
LOOP = "1.1.2026-12-04 "
"""What the bundled model wrote when it looped inside a string, at one token per character."""


def longest_answer_tokens(schema: dict[str, Any], counter: TokenCounter, sample: str = "") -> int:
    """Tokens of the longest answer `schema` admits.

    Its strings are written both like `sample` and as a small model's loop of digits and dots
    (about one token per character in every vocabulary seen); the longer count is taken.
    """
    counts = []
    for filler in (_filler(sample), LOOP):
        instance = _maximal(schema, schema.get("$defs", {}), filler)
        counts.append(
            counter.count(json.dumps(instance, ensure_ascii=False, separators=(", ", ": ")))
        )
    return math.ceil(max(counts) * MARGIN) + 8


def fit_schema(
    schema: dict[str, Any], room: int, counter: TokenCounter, sample: str = ""
) -> dict[str, Any]:
    """`schema` with string and array bounds shrunk until its longest answer fits `room` tokens.

    Returned unchanged when it already fits; a copy otherwise. Strings without a `maxLength` and
    arrays without `maxItems` are unbounded: they cannot be sized, only counted at their least.
    """
    if longest_answer_tokens(schema, counter, sample) <= room:
        return schema

    def fits(scale: float, shrink: Callable[[dict[str, Any], float], None]) -> dict[str, Any]:
        candidate = copy.deepcopy(schema)
        shrink(candidate, scale)
        return candidate

    for shrink in (_shrink_strings, _shrink_arrays):
        low, high = 0.0, 1.0
        for _ in range(12):  # the largest scale that fits, to about 1/4000
            middle = (low + high) / 2
            candidate = fits(middle, shrink)
            if longest_answer_tokens(candidate, counter, sample) <= room:
                low = middle
            else:
                high = middle
        schema = fits(low, shrink)
        if longest_answer_tokens(schema, counter, sample) <= room:
            return schema
    return schema  # as small as it gets: the answer may still be cut (and then retried)


def _filler(sample: str) -> str:
    """Text to fill strings with: the sample's own (the prompt's language), else a mixed one."""
    text = " ".join(sample.split())
    return text if len(text) >= 64 else FILLER


def _maximal(schema: Any, defs: dict[str, Any], filler: str) -> Any:
    """The longest instance of `schema` (a JSON value)."""
    if not isinstance(schema, dict):
        return None
    if "$ref" in schema:
        return _maximal(defs.get(schema["$ref"].rsplit("/", 1)[-1], {}), defs, filler)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [_maximal(option, defs, filler) for option in schema[key]]
            return max(options, key=lambda value: len(json.dumps(value, ensure_ascii=False)))
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return max(schema["enum"], key=lambda value: len(json.dumps(value, ensure_ascii=False)))
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties", {})
        return {name: _maximal(value, defs, filler) for name, value in properties.items()}
    if kind == "array":
        count = int(schema.get("maxItems", max(1, schema.get("minItems", 0))) or 0)
        return [_maximal(schema.get("items", {}), defs, filler) for _ in range(count)]
    if kind == "string":
        length = int(schema.get("maxLength", schema.get("minLength", 0)) or 0)
        return (filler * (length // max(1, len(filler)) + 1))[:length]
    if kind in ("integer", "number"):
        return -1_000_000_000
    if kind == "boolean":
        return False
    return None


def _walk(schema: Any, visit: Callable[[dict[str, Any]], None]) -> None:
    if isinstance(schema, dict):
        visit(schema)
        for value in schema.values():
            _walk(value, visit)
    elif isinstance(schema, list):
        for value in schema:
            _walk(value, visit)


def _shrink_strings(schema: dict[str, Any], scale: float) -> None:
    def visit(node: dict[str, Any]) -> None:
        if node.get("type") == "string" and "maxLength" in node:
            least = max(node.get("minLength", 0), min(MIN_STRING, node["maxLength"]))
            node["maxLength"] = max(least, math.floor(node["maxLength"] * scale))

    _walk(schema, visit)


def _shrink_arrays(schema: dict[str, Any], scale: float) -> None:
    _shrink_strings(schema, 0.0)  # strings are already as short as they get

    def visit(node: dict[str, Any]) -> None:
        if node.get("type") == "array" and "maxItems" in node:
            least = node.get("minItems", 0)
            node["maxItems"] = max(least, math.floor(node["maxItems"] * scale))

    _walk(schema, visit)
