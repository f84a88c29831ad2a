"""`understand`: what one user message says about the user, model-free first, the model when it can.

Pure: nothing is stored here. The rules always run (cheap enough for every turn); the model tier
runs only when a model is given (the wiring passes one when `agent.understanding.model.uses_model`
says the configured model can do it) and is merged with the rules' result, the rules winning on
numbers and records.
"""

from __future__ import annotations

from datetime import datetime

from langchain_core.language_models import BaseChatModel

from agent.understanding.rules import understand_rules
from agent.understanding.shapes import Understanding
from memadvisor.settings import StructuredOutput
from prompts.language import Language, detect_language


def understand(
    text: str,
    *,
    now: datetime,
    language: Language | None = None,
    model: BaseChatModel | None = None,
    structured_output: StructuredOutput = "json_schema",
) -> Understanding:
    """The statements of `text`, told at `now` (which dates such as "next Friday" resolve against).

    `language`: the message's language (detected when None). `model`: a chat model for the model
    tier (None: rules only); its failure never loses the rules' result (see `Understanding.notes`).
    """
    language = language or detect_language(text)
    found = understand_rules(text, now=now, language=language)
    if model is None:
        return found
    from agent.understanding.model import extract, merge

    try:
        extracted = extract(model, text, now=now, language=language, mode=structured_output)
    except Exception as exc:
        return Understanding(
            found.language,
            found.statements,
            found.sentences,
            found.tiers,
            (*found.notes, f"model tier failed: {type(exc).__name__}: {str(exc)[:200]}"),
        )
    return merge(found, extracted)
