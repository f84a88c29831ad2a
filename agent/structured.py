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


def constrained(llm: BaseChatModel, schema: dict[str, Any]) -> Runnable[Any, BaseMessage]:
    """The model bound to emit JSON of `schema`, by the means its runtime offers."""
    kind = type(llm).__name__
    if "Ollama" in kind:
        return llm.bind(format=schema)
    if "LlamaCpp" in kind:
        # Grammar-constrained sampling; no repeat penalty, which would punish JSON's own syntax.
        return llm.bind(
            response_format={"type": "json_object", "schema": schema}, repeat_penalty=1.0
        )
    return llm


def generate(
    llm: BaseChatModel,
    messages: Sequence[BaseMessage],
    model: type[Model],
    *,
    check: Callable[[Model], None] | None = None,
    language: str = "en",
) -> Model:
    """Ask for an instance of `model`; StructuredOutputError if none valid comes back."""
    runnable = constrained(llm, model.model_json_schema())
    conversation = list(messages)
    error = ""
    for attempt in (1, 2):
        text = runnable.invoke(conversation).text
        try:
            return _parse(text, model, check)
        except ValueError as exc:  # ValidationError is a ValueError
            error = _short(exc)
            logger.warning("structured output attempt %d invalid: %s", attempt, error)
            conversation += [
                AIMessage(text[:4000]),
                HumanMessage(RETRY.get(language, RETRY["en"]).format(error=error)),
            ]
    raise StructuredOutputError(f"the model's answer was not valid twice ({error})")


def _parse(text: str, model: type[Model], check: Callable[[Model], None] | None) -> Model:
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
