"""JSON output a program can trust: constrained by a schema, validated, repaired or retried once.

The schema is enforced while the model writes where the runtime can (Ollama's `format`, a
llama.cpp grammar built from the schema, an OpenAI-compatible server's `response_format`), as the
model's capabilities declare (`json_schema`); in JSON mode (`json_object`) or otherwise (`prompt`)
the schema is put in the prompt. Given the model's token counter, the schema's bounds are first
sized to the answer's room (`agent.model.schema_fit`), so a constrained answer is never cut short.
Whatever comes back is validated with pydantic (plus any extra check); a broken answer is repaired
(json-repair), else the model is asked once more with the error (tenacity); after that the caller
gets StructuredOutputError, and nothing invalid is ever returned to be stored.

The retry repeats the conversation and names the error, without the rejected answer: replayed, a
long answer took the room of the next one (a cut answer of 1,009 tokens left its retry 69 of a
1,024-token room, so the retry was cut too).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from json_repair import repair_json
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import Runnable
from pydantic import BaseModel, ValidationError
from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_attempt

from agent.model.queued import QueuedChatModel
from agent.model.schema_fit import fit_schema
from memadvisor.settings import StructuredOutput
from prompts.budget import TokenCounter

logger = logging.getLogger(__name__)

Model = TypeVar("Model", bound=BaseModel)

RETRY = {
    "en": "Your answer was not valid ({error}). Reply again with only the JSON object, fixed.",
    "zh": "你的回答无效（{error}）。请只回复修正后的 JSON 对象。",
}
CUT = {
    "en": (
        "Your answer was cut off at the length limit ({error}). "
        "Reply again with only the JSON object, shorter: keep every text brief."
    ),
    "zh": "你的回答太长，被截断了（{error}）。请只回复 JSON 对象，写得更简短：每段文字都要精炼。",
}


SCHEMA_HINT = {
    "en": "Reply with only a JSON object that follows this JSON schema:\n{schema}",
    "zh": "只回复一个符合下面 JSON schema 的 JSON 对象：\n{schema}",
}

ATTEMPTS = 2
"""The first answer and one retry that is told what was wrong."""


class StructuredOutputError(RuntimeError):
    """The model gave no valid answer, even after a repair and a retry."""


class _InvalidAnswer(ValueError):
    """One attempt's answer did not validate (the next attempt is told why)."""


MAX_TOKENS = 2048
"""Room for a whole JSON answer: a cut-off object is invalid (chat answers have their own cap)."""


def constrained(
    llm: BaseChatModel,
    schema: dict[str, Any],
    *,
    mode: StructuredOutput = "json_schema",
    max_tokens: int = MAX_TOKENS,
    grammar: bool = True,
) -> Runnable[Any, BaseMessage]:
    """The model bound to emit JSON of `schema`, by the means its runtime offers.

    Behind a queue, the runtime is the queued model's; bound arguments pass through the queue.
    `grammar=False` only asks (the prompt says JSON; the answer is validated all the same): for a
    model fine-tuned to answer in the schema, and to measure whether it does.
    """
    base = llm.model if isinstance(llm, QueuedChatModel) else llm
    kind = type(base).__name__
    if "Ollama" in kind:
        roomy = base.model_copy(update={"num_predict": max_tokens})
        if base is not llm:  # the same queue, in front of the roomier copy
            roomy = llm.model_copy(update={"model": roomy})
        if not grammar:
            return roomy
        return roomy.bind(format=schema if mode == "json_schema" else "json")
    if "LlamaCpp" in kind and not grammar:
        return llm.bind(repeat_penalty=1.0, max_tokens=max_tokens)
    if "OpenAI" in kind and not grammar:
        return llm.bind(max_tokens=max_tokens)
    if "LlamaCpp" in kind:
        # Grammar-constrained sampling; no repeat penalty, which would punish JSON's own syntax.
        return llm.bind(
            response_format={"type": "json_object", "schema": grammar_schema(schema)},
            repeat_penalty=1.0,
            max_tokens=max_tokens,
        )
    if "OpenAI" in kind:
        if mode == "json_schema":
            response_format: dict[str, Any] = {
                "type": "json_schema",
                "json_schema": {"name": "answer", "schema": schema},
            }
        elif mode == "json_object":
            # JSON mode; llama-cpp-python's server (which refuses `json_schema`) also constrains
            # to a `schema` given here, and servers that only know JSON mode ignore it.
            response_format = {"type": "json_object", "schema": grammar_schema(schema)}
        else:
            return llm.bind(max_tokens=max_tokens)
        return llm.bind(response_format=response_format, max_tokens=max_tokens)
    return llm


def schema_in_prompt(mode: StructuredOutput) -> bool:
    """Whether the schema must be spelled out in the prompt (the runtime does not enforce it)."""
    return mode != "json_schema"


GRAMMAR_MAX_LENGTH = 400
GRAMMAR_MAX_ITEMS = 10


def grammar_schema(schema: Any) -> Any:
    """The schema with bounds llama.cpp's grammar can take.

    llama.cpp unrolls bounds into nested rules, and a deep one crashes sampling (seen:
    `maxLength: 2000` segfaults): a long string loses its bound (it ends when the model closes
    it), a long array is held to `GRAMMAR_MAX_ITEMS` items. Dropped, an array's bound let the
    bundled model write 200 profile goals until the answer was cut at its room; held, the
    answer stays valid for the looser model. Pydantic still checks every bound afterwards.
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
            value = GRAMMAR_MAX_ITEMS
        out[key] = grammar_schema(value)
    return out


def generate(
    llm: BaseChatModel,
    messages: Sequence[BaseMessage],
    model: type[Model],
    *,
    check: Callable[[Model], None] | None = None,
    language: str = "en",
    mode: StructuredOutput = "json_schema",
    max_tokens: int = MAX_TOKENS,
    grammar: bool = True,
    counter: TokenCounter | None = None,
) -> Model:
    """Ask for an instance of `model`; StructuredOutputError if none valid comes back.

    With the model's `counter`, the schema it is constrained to is sized to `max_tokens`.
    """
    schema = model.model_json_schema()
    if counter is not None and grammar:
        sample = " ".join(message.text for message in messages)
        schema = fit_schema(grammar_schema(schema), max_tokens, counter, sample)
    runnable = constrained(llm, schema, mode=mode, max_tokens=max_tokens, grammar=grammar)
    prompt = list(messages)
    if schema_in_prompt(mode):
        hint = SCHEMA_HINT.get(language, SCHEMA_HINT["en"]).format(schema=schema_text(model))
        if prompt and isinstance(prompt[0], SystemMessage):
            prompt[0] = SystemMessage(f"{prompt[0].text}\n\n{hint}")
        else:
            prompt.insert(0, SystemMessage(hint))
    conversation = prompt
    retrying = Retrying(
        stop=stop_after_attempt(ATTEMPTS), retry=retry_if_exception_type(_InvalidAnswer)
    )
    try:
        for attempt in retrying:
            with attempt:
                reply = runnable.invoke(conversation)
                text = reply.text
                try:
                    return parse(text, model, check)
                except ValueError as exc:  # ValidationError is a ValueError
                    error = _short(exc)
                    number = attempt.retry_state.attempt_number
                    cut = reply.response_metadata.get("finish_reason") == "length"
                    logger.warning(
                        "structured output attempt %d invalid%s: %s",
                        number,
                        " (cut at its token room)" if cut else "",
                        error,
                    )
                    retry = (CUT if cut else RETRY).get(language, RETRY["en"])
                    conversation = [*prompt, HumanMessage(retry.format(error=error))]
                    # Not chained: the error's text quotes the answer, which may quote the
                    # user, and would be logged with the job's traceback. `error` says enough.
                    raise _InvalidAnswer(error) from None
    except RetryError as exc:
        last = exc.last_attempt.exception()
        raise StructuredOutputError(
            f"the model's answer was not valid {ATTEMPTS} times ({last})"
        ) from last
    raise AssertionError("unreachable: every attempt returns or raises")


def schema_tokens(model: type[BaseModel], mode: StructuredOutput, counter: TokenCounter) -> int:
    """Tokens sent besides the prompt's own messages.

    The schema, where the runtime does not enforce it, and the retry's message, so that the retry
    keeps the whole room for its answer.
    """
    retry = max(
        counter.count(text.format(error="x" * 300)) for text in (*RETRY.values(), *CUT.values())
    )
    if not schema_in_prompt(mode):
        return retry + 8
    return counter.count(SCHEMA_HINT["zh"] + schema_text(model)) + retry + 16


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
