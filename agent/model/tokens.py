"""Token counters for prompt budgets: the GGUF's own tokenizer, or a conservative bound.

llama.cpp: the exact count, from the model file's vocabulary (loaded alone, without weights, so
counting never waits for a generation). Ollama and OpenAI-compatible servers: no tokenizer of
theirs can be had offline, so `BoundTokens` counts high on purpose (see its docstring).
"""

from __future__ import annotations

import atexit
import math
import re
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

from agent.model.capabilities import Capabilities
from agent.model.gguf import gguf_path
from agent.model.llm import answer_tokens
from memadvisor.settings import Settings
from prompts.budget import PromptBudget, TokenCounter

JSON_TOKENS = 2048
"""Most room kept for a JSON answer (a recommendation set is about 600 tokens)."""

_PIECE = re.compile(r"[A-Za-z]+|\s+|.", re.DOTALL)


class BoundTokens:
    """A count that errs high, for tokenizers we cannot load offline.

    Each run of ASCII letters counts one token per two letters, every other ASCII character one,
    a non-ASCII character one per UTF-8 byte (three for a Chinese character), and a run of
    whitespace one. Byte-level BPE tokenizers never use more than one token
    per byte, and common words take one token; the tests check that the bound is at or above the
    bundled SmolLM2 tokenizer (49k entries, English-centric: it spells Chinese out nearly byte by
    byte) on every text of the bilingual benchmark set and every prompt template. Qwen's,
    DeepSeek's and Llama 3's vocabularies hold most Chinese characters whole, so for them it
    overcounts Chinese about threefold and English about twofold: prompts are trimmed earlier
    than needed, never too late.
    """

    def count(self, text: str) -> int:
        """The bound for `text`."""
        total = 0
        for piece in _PIECE.findall(text):
            if piece.isascii() and piece.isalpha():
                total += math.ceil(len(piece) / 2)
            elif piece.isspace():
                total += 1
            else:
                total += len(piece.encode("utf-8"))
        return total


class LlamaTokens:
    """Exact counts with a GGUF's vocabulary (llama.cpp's tokenizer, no weights loaded)."""

    def __init__(self, path: Path) -> None:
        from llama_cpp import Llama

        self._vocab: Any = Llama(str(path), vocab_only=True, verbose=False)
        self._lock = threading.Lock()
        atexit.register(self._vocab.close)  # before the interpreter tears llama.cpp down

    def count(self, text: str) -> int:
        """Tokens of `text` as the model reads it (no BOS, special tokens as text)."""
        if not text:
            return 0
        with self._lock:  # a few microseconds; llama.cpp objects are not documented thread-safe
            return len(self._vocab.tokenize(text.encode("utf-8"), add_bos=False, special=False))


@lru_cache(maxsize=4)
def _llama_tokens(path: Path) -> LlamaTokens:
    return LlamaTokens(path)


def token_counter(settings: Settings) -> TokenCounter:
    """The configured model's counter: its own tokenizer where we have it, else the bound."""
    if settings.llm_provider == "llamacpp":
        return _llama_tokens(gguf_path(settings))
    return BoundTokens()


def make_budget(settings: Settings, caps: Capabilities) -> PromptBudget:
    """The prompt budget of the configured model.

    A chat answer keeps `llm_max_tokens` of room and a JSON answer up to 2048, each at most half
    the window, so that the prompt always has the other half.
    """
    half = caps.context_window // 2
    return PromptBudget(
        counter=token_counter(settings),
        context_window=caps.context_window,
        answer_tokens=answer_tokens(settings),
        json_tokens=min(JSON_TOKENS, half),
    )
