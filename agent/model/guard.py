"""A llama.cpp chat handler that stops the answer when it starts repeating itself.

The handler renders the model's own chat template (as llama.cpp would without it) and adds, per
answer, a logits processor that watches the decoded text: once a finished sentence or line repeats
an earlier one, only the end-of-sequence token may follow. JSON answers are left alone: with a
grammar or a response format the grammar decides when they end; without one (a fine-tuned model
asked for JSON) the answer is validated, and two items may rightly share a rationale.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from agent.model.repetition import repeats

if TYPE_CHECKING:
    from llama_cpp import Llama


class RepeatedLineStop:
    """Logits processor for one answer: forces end-of-sequence after a repeated line."""

    def __init__(self, llama: Llama) -> None:
        self._llama = llama
        self._eos = int(llama.token_eos())
        self._start: int | None = None
        self._json = False
        """The answer starts as JSON: its start never changes, so it is left alone to the end."""
        self.stopped = False

    def __call__(
        self, input_ids: npt.NDArray[np.intc], scores: npt.NDArray[np.single]
    ) -> npt.NDArray[np.single]:
        """Pass `scores` through, or leave only end-of-sequence once the answer repeats."""
        if self._json:
            return scores
        if self._start is None:
            self._start = len(input_ids)  # the first call sees the prompt alone
        generated = [int(t) for t in input_ids[self._start :]]
        if not generated:
            return scores
        text = self._llama.detokenize(generated).decode("utf-8", errors="ignore")
        if not self.stopped and looks_like_json(text):
            self._json = True
            return scores
        if self.stopped or repeats(text):
            self.stopped = True
            scores[:] = -np.inf
            scores[self._eos] = 0.0
        return scores


def looks_like_json(text: str) -> bool:
    """Whether an answer is JSON (or a fenced JSON block) by how it starts; other code is prose."""
    return text.lstrip().startswith(("{", "[", "```json"))


class GuardedChatHandler:
    """Chat handler (pass as `Llama(chat_handler=...)`): the GGUF's template, plus the guard."""

    def __init__(self) -> None:
        self._inner: Any = None

    def __call__(self, *, llama: Llama, **kwargs: Any) -> Any:
        """Answer through the model's own chat handler, with a fresh guard for prose."""
        from llama_cpp import LogitsProcessorList

        if kwargs.get("response_format") is None and kwargs.get("grammar") is None:
            processors = list(kwargs.get("logits_processor") or [])
            kwargs["logits_processor"] = LogitsProcessorList([*processors, RepeatedLineStop(llama)])
        return self._handler(llama)(llama=llama, **kwargs)

    def _handler(self, llama: Llama) -> Any:
        """The handler llama.cpp picks from the GGUF's metadata when given none."""
        if self._inner is None:
            from llama_cpp import llama_chat_format

            name = llama_chat_format.guess_chat_format_from_gguf_metadata(llama.metadata)
            if name is not None:
                self._inner = llama_chat_format.get_chat_completion_handler(name)
            else:
                self._inner = llama._chat_handlers.get(
                    "chat_template.default"
                ) or llama_chat_format.get_chat_completion_handler("llama-2")
        return self._inner
