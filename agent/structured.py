"""JSON output a program can trust: constrained by a schema, validated, repaired or retried once.

The schema is enforced while the model writes where the runtime can (Ollama's `format`, a
llama.cpp grammar built from the schema); a fake or other model is only asked. Whatever comes back
is validated with pydantic (plus any extra check); a broken answer is repaired (json-repair), else
the model is asked once more with the error; after that the caller gets StructuredOutputError, and
nothing invalid is ever returned to be stored.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from json_repair import repair_json
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.runnables import Runnable
from pydantic import BaseModel, ValidationError

logger = logging.getLogger(__name__)

Model = TypeVar("Model", bound=BaseModel)

RETRY = {
    "en": "That was not valid ({error}). Reply again with only the JSON object, fixed.",
    "zh": "上面的输出无效（{error}）。请只回复修正后的 JSON 对象。",
}


class StructuredOutputError(RuntimeError):
    """The model gave no valid answer, even after a repair and a retry."""


MAX_TOKENS = 2048
"""Room for a whole JSON answer: a cut-off object is invalid (chat answers have their own cap)."""


def constrained(
    llm: BaseChatModel, schema: dict[str, Any], *, grammar: bool = True
) -> Runnable[Any, BaseMessage]:
    """The model bound to emit JSON of `schema`, by the means its runtime offers.

    `grammar=False` only asks (the prompt says JSON; the answer is validated all the same): for a
    model fine-tuned to answer in the schema, and to measure whether it does.
    """
    kind = type(llm).__name__
    if "Ollama" in kind:
        roomy = llm.model_copy(update={"num_predict": MAX_TOKENS})
        return roomy.bind(format=schema) if grammar else roomy
    if "LlamaCpp" in kind and not grammar:
        return llm.bind(repeat_penalty=1.0, max_tokens=MAX_TOKENS)
    if "LlamaCpp" in kind:
        # Grammar-constrained sampling; no repeat penalty, which would punish JSON's own syntax.
        return llm.bind(
            response_format={"type": "json_object", "schema": grammar_schema(schema)},
            repeat_penalty=1.0,
            max_tokens=MAX_TOKENS,
        )
    return llm


GRAMMAR_MAX_LENGTH = 400
GRAMMAR_MAX_ITEMS = 10


def grammar_schema(schema: Any) -> Any:
    """The schema without large length bounds, for llama.cpp's grammar.

    llama.cpp unrolls bounds into nested rules, and a deep one crashes sampling (seen:
    `maxLength: 2000` segfaults). Pydantic still checks every bound afterwards.
    """
    if isinstance(schema, list):
        return [grammar_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key == "maxLength" and value > GRAMMAR_MAX_LENGTH:
            continue
        if key == "maxItems" and value > GRAMMAR_MAX_ITEMS:
            continue
        out[key] = grammar_schema(value)
    return out


def generate(
    llm: BaseChatModel,
    messages: Sequence[BaseMessage],
    model: type[Model],
    *,
    check: Callable[[Model], None] | None = None,
    language: str = "en",
    grammar: bool = True,
) -> Model:
    """Ask for an instance of `model`; StructuredOutputError if none valid comes back."""
    runnable = constrained(llm, model.model_json_schema(), grammar=grammar)
    conversation = list(messages)
    error = ""
    for attempt in (1, 2):
        text = runnable.invoke(conversation).text
        try:
            return parse(text, model, check)
        except ValueError as exc:  # ValidationError is a ValueError
            error = _short(exc)
            logger.warning("structured output attempt %d invalid: %s", attempt, error)
            conversation += [
                AIMessage(text[:4000]),
                HumanMessage(RETRY.get(language, RETRY["en"]).format(error=error)),
            ]
    raise StructuredOutputError(f"the model's answer was not valid twice ({error})")


def parse(text: str, model: type[Model], check: Callable[[Model], None] | None = None) -> Model:
    """The answer as `model`, repaired if it is broken JSON; ValueError if it stays invalid."""
    try:
        value = model.model_validate_json(text)
    except ValidationError:
        repaired = repair_json(text, return_objects=True)
        if not isinstance(repaired, dict):
            raise ValueError("the answer is not a JSON object") from None
        value = model.model_validate(repaired)
    if check is not None:
        check(value)
    return value


def _short(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}" for e in exc.errors()[:5]
        )
    return str(exc)[:300]


def schema_text(model: type[BaseModel]) -> str:
    """The JSON schema as compact text, for prompts of models that cannot be constrained."""
    return json.dumps(model.model_json_schema(), ensure_ascii=False, separators=(",", ":"))
