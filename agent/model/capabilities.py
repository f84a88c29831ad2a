"""What the configured model can do, declared in one place and overridable in settings.

Every decision that depends on the model reads this, never the provider's name: whether a message
in a language goes to the model or gets the answer without it (`prompts.fallback`), how JSON is
asked for (`agent.model.structured`), whether its own advice and facts are used, how long a prompt
may be. `GET /api/system` and `memadvisor doctor` report it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from agent.model.gguf import gguf_path
from memadvisor.settings import LLMProvider, Settings, StructuredOutput
from prompts.language import Language


@dataclass(frozen=True, slots=True)
class Capabilities:
    """The configured model's declaration (after settings' overrides)."""

    provider: LLMProvider
    model: str
    """The label recorded with every answer, e.g. `ollama:qwen2.5:3b`."""
    languages: tuple[Language, ...]
    """Languages it writes well; a message in another one is answered without it."""
    structured_output: StructuredOutput
    """`json_schema`: constrained to the schema; `json_object`: JSON mode; `prompt`: only asked."""
    demo: bool
    """The bundled demo model: runs anywhere, not an advisor."""
    advice: bool
    """Whether its own advice and extracted facts are worth using."""
    context_window: int
    """Tokens that a prompt and its answer share."""

    def writes(self, language: Language) -> bool:
        """Whether the model can answer in `language`."""
        return language in self.languages


@dataclass(frozen=True, slots=True)
class _Traits:
    languages: tuple[Language, ...] = ("zh", "en")
    structured_output: StructuredOutput = "json_schema"
    demo: bool = False
    advice: bool = True


PROVIDERS: dict[LLMProvider, _Traits] = {
    # llama.cpp: a GGUF grammar built from the schema; Ollama: `format`; OpenAI-compatible
    # servers: `response_format` with a JSON schema (vLLM, SGLang, llama.cpp server, OpenAI).
    "llamacpp": _Traits(),
    "ollama": _Traits(),
    "openai": _Traits(),
}
"""What each provider's models can do unless the model is known to do less."""

SMALL_MODELS: tuple[tuple[re.Pattern[str], _Traits], ...] = (
    # SmolLM2-135M/360M: English only (its Chinese is gibberish that loops), advice not usable.
    (
        re.compile(r"smollm2?[-_.]?(135|360)m", re.IGNORECASE),
        _Traits(languages=("en",), advice=False),
    ),
    (re.compile(r"gemma-?3-?270m", re.IGNORECASE), _Traits(languages=("en",), advice=False)),
)
"""Models known to do less than their provider, matched on the model's name."""


def model_name(settings: Settings) -> str:
    """The configured model's name as its provider knows it."""
    if settings.llm_provider == "ollama":
        return settings.ollama_model
    if settings.llm_provider == "openai":
        return settings.openai_model
    return gguf_path(settings).name


def model_label(settings: Settings) -> str:
    """A short name of the model, recorded with every answer."""
    return f"{settings.llm_provider}:{model_name(settings)}"


def context_window(settings: Settings) -> int:
    """The tokens a prompt and its answer share, for the configured provider."""
    if settings.llm_context_window is not None:
        return settings.llm_context_window
    return {
        "llamacpp": settings.llamacpp_n_ctx,
        "ollama": settings.ollama_num_ctx,
        "openai": settings.openai_context_window,
    }[settings.llm_provider]


def capabilities(settings: Settings) -> Capabilities:
    """The declaration for the configured provider and model, with settings' overrides applied."""
    name = model_name(settings)
    traits = PROVIDERS[settings.llm_provider]
    for pattern, known in SMALL_MODELS:
        if pattern.search(name):
            traits = replace(known, structured_output=traits.structured_output)
            break
    demo = settings.llm_provider == "llamacpp" and settings.llamacpp_model_path is None
    return Capabilities(
        provider=settings.llm_provider,
        model=f"{settings.llm_provider}:{name}",
        languages=tuple(settings.llm_languages or traits.languages),
        structured_output=settings.llm_structured_output or traits.structured_output,
        demo=demo,
        advice=traits.advice if settings.llm_advice is None else settings.llm_advice,
        context_window=context_window(settings),
    )


def recommends_with_model(settings: Settings, caps: Capabilities) -> bool:
    """Whether recommendations are written by the model (else by the rules)."""
    if settings.recommender == "auto":
        return caps.advice
    return settings.recommender == "model"


def consolidates(settings: Settings, caps: Capabilities) -> bool:
    """Whether fact consolidation runs after each turn."""
    if settings.consolidate_facts is None:
        return caps.advice
    return settings.consolidate_facts


def switch_command(settings: Settings) -> str:
    """The one command that replaces the demo model with a real one (Ollama with a Qwen model)."""
    model = settings.ollama_model
    return f"ollama pull {model} && MEMADVISOR_LLM_PROVIDER=ollama make run"
