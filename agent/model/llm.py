"""The chat-model factory: llama.cpp with a GGUF, Ollama, or an OpenAI-compatible server.

llama.cpp runs a GGUF in-process (the bundled one: zero setup); the OpenAI-compatible provider
serves vLLM, SGLang, the llama.cpp server and hosted APIs.

This is the only module that builds a backend's client, so swapping one is a local change; what
each model can do is declared in `agent.model.capabilities`, and the GGUF file is found in
`agent.model.gguf`.
"""

from __future__ import annotations

import httpx
from langchain_core.language_models import BaseChatModel
from pydantic import SecretStr

from agent.model.capabilities import context_window, llamacpp_window
from agent.model.errors import LLMUnavailableError
from agent.model.gguf import gguf_path
from agent.model.guard import GuardedChatHandler
from memadvisor.settings import Settings


def answer_tokens(settings: Settings) -> int:
    """Most tokens of a chat answer: the setting, at most half the window (prompts get the rest)."""
    return min(settings.llm_max_tokens, context_window(settings) // 2)


def make_chat_model(settings: Settings) -> BaseChatModel:
    """Build the chat model named in settings (loading a GGUF takes a moment; build once)."""
    if settings.llm_provider == "ollama":
        from langchain_ollama import ChatOllama

        return ChatOllama(
            model=settings.ollama_model,
            base_url=settings.ollama_base_url,
            num_ctx=settings.ollama_num_ctx,
            num_predict=answer_tokens(settings),
            keep_alive=settings.ollama_keep_alive,
            temperature=settings.llm_temperature,
            seed=settings.llm_seed,
        )
    if settings.llm_provider == "openai":
        return _make_openai(settings)
    return _make_llamacpp(settings)


def _make_openai(settings: Settings) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    key = settings.openai_api_key
    return ChatOpenAI(
        model=settings.openai_model,
        base_url=settings.openai_base_url,
        # Local servers want no key, but the client insists on one.
        api_key=key if key is not None else SecretStr("not-needed"),
        max_tokens=answer_tokens(settings),
        temperature=settings.llm_temperature,
        seed=settings.llm_seed,
        streaming=True,
        stream_usage=True,  # token counts in the last chunk, where the server sends them
        max_retries=1,
        timeout=120,
    )


def check_llm(settings: Settings, timeout: float = 3.0) -> None:
    """Raise LLMUnavailableError, with the fix, if the configured model cannot answer now."""
    if settings.llm_provider == "llamacpp":
        path = gguf_path(settings)  # a packaged model: assembled and verified, or the fix
        if not path.is_file():
            raise LLMUnavailableError(f"The model file {path} does not exist.")
        return
    if settings.llm_provider == "openai":
        _check_openai(settings, timeout)
        return
    base = settings.ollama_base_url.rstrip("/")
    try:
        response = httpx.get(f"{base}/api/tags", timeout=timeout)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise LLMUnavailableError(
            f"Ollama is not reachable at {public_url(base)} ({type(exc).__name__}). "
            "Start it with `ollama serve`, or set MEMADVISOR_LLM_PROVIDER=llamacpp."
        ) from exc
    names = {m.get("name", "") for m in response.json().get("models", [])}
    wanted = settings.ollama_model
    if wanted not in names and f"{wanted}:latest" not in names:
        raise LLMUnavailableError(f"Ollama has no model {wanted!r}. Run `ollama pull {wanted}`.")


def _check_openai(settings: Settings, timeout: float) -> None:
    base = settings.openai_base_url.rstrip("/")
    key = settings.openai_api_key
    headers = {"Authorization": f"Bearer {key.get_secret_value()}"} if key is not None else {}
    try:
        response = httpx.get(f"{base}/models", headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        raise LLMUnavailableError(
            f"The OpenAI-compatible server at {public_url(base)} is not reachable "
            f"({type(exc).__name__}). Start it (e.g. `vllm serve {settings.openai_model}`), or "
            "check MEMADVISOR_OPENAI_BASE_URL."
        ) from exc
    if response.status_code in (401, 403):
        raise LLMUnavailableError(
            f"The server at {public_url(base)} refused the API key ({response.status_code}); "
            "check MEMADVISOR_OPENAI_API_KEY."
        )
    if not response.is_success:
        raise LLMUnavailableError(
            f"The server at {public_url(base)} answered {response.status_code} to GET /models; "
            "is MEMADVISOR_OPENAI_BASE_URL its API root (ending in /v1)?"
        )
    served = {m.get("id", "") for m in response.json().get("data", [])}
    if served and settings.openai_model not in served:
        raise LLMUnavailableError(
            f"The server at {public_url(base)} does not serve {settings.openai_model!r} (it serves "
            f"{', '.join(sorted(served))}); set MEMADVISOR_OPENAI_MODEL to one of them."
        )


def model_unavailable(exc: BaseException) -> bool:
    """Whether `exc` says the model could not be asked now (down, unreachable, busy, timed out).

    Such a failure passes; a caller with another way to answer (the rules) can use it.
    """
    from openai import APIConnectionError, APITimeoutError, InternalServerError

    from agent.model.queue import ModelBusyError

    unavailable = (
        LLMUnavailableError,
        ModelBusyError,
        httpx.HTTPError,
        ConnectionError,
        TimeoutError,
        APIConnectionError,
        APITimeoutError,
        InternalServerError,
    )
    return isinstance(exc, unavailable)


def public_url(url: str) -> str:
    """The URL without credentials, fit for a message a user (or a log) may see."""
    parsed = httpx.URL(url)
    return str(parsed.copy_with(userinfo=b"")) if parsed.userinfo else url


def _make_llamacpp(settings: Settings) -> BaseChatModel:
    """ChatLlamaCpp on the GGUF.

    Its context is not thread-safe: callers go through an `agent.model.queue.ModelQueue` with one
    slot (as `Services.llm` does), never two threads at once.
    """
    from langchain_community.chat_models import ChatLlamaCpp

    return ChatLlamaCpp(
        model_path=str(gguf_path(settings)),
        lora_path=str(settings.llamacpp_lora_path) if settings.llamacpp_lora_path else None,
        n_ctx=llamacpp_window(settings),
        n_threads=settings.llamacpp_threads,
        seed=-1 if settings.llm_seed is None else settings.llm_seed,
        # ChatLlamaCpp's own defaults override the GGUF's: a RoPE base of 10,000 (SmolLM2 was
        # trained with 100,000, Qwen2.5 with 1,000,000; 0 reads the model's) and prompt batches
        # of 8 tokens (slow).
        rope_freq_base=0.0,
        rope_freq_scale=0.0,
        n_batch=512,
        max_tokens=answer_tokens(settings),
        temperature=settings.llm_temperature,
        repeat_penalty=settings.llamacpp_repeat_penalty,
        streaming=True,
        verbose=False,
        # The model's own chat template, plus a stop as soon as the answer repeats a line.
        model_kwargs={"chat_handler": GuardedChatHandler()},
    )
