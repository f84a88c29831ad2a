"""The llama.cpp guard stops prose that loops and leaves JSON answers to their validation."""

from __future__ import annotations

from typing import Any, cast

import numpy as np

from agent.model.guard import RepeatedLineStop

EOS = 0


class _Characters:
    """A stand-in for `Llama` whose tokens are characters (token id = code point)."""

    def token_eos(self) -> int:
        return EOS

    def detokenize(self, tokens: list[int]) -> bytes:
        return "".join(map(chr, tokens)).encode()


def _stops_after(text: str) -> bool:
    """Feed `text` one character at a time; whether the guard forced end-of-sequence."""
    guard = RepeatedLineStop(cast(Any, _Characters()))
    prompt = [ord(c) for c in "prompt"]
    guard(np.array(prompt, dtype=np.intc), np.zeros(4, dtype=np.single))
    for end in range(1, len(text) + 1):
        ids = np.array(prompt + [ord(c) for c in text[:end]], dtype=np.intc)
        scores = guard(ids, np.zeros(0x10000, dtype=np.single))
        if guard.stopped:
            assert scores[EOS] == 0.0 and np.isneginf(scores[1:]).all()
            return True
    return False


def test_prose_that_repeats_a_sentence_is_stopped() -> None:
    assert _stops_after("Sleep more every night. Walk after lunch. Sleep more every night. ")


def test_a_code_block_that_loops_is_stopped() -> None:
    assert _stops_after("```python\nprint('the same line here')\nprint('the same line here')\n")


def test_a_json_answer_whose_items_share_a_sentence_is_left_to_finish() -> None:
    rationale = "You slept 5.2 hours a night on average, below the 7 most adults need."
    answer = (
        f'{{"health": [{{"advice": "Go to bed at ten.", "rationale": "{rationale}", '
        f'"sources": ["I1"]}}, {{"advice": "Keep the phone out of the bedroom.", '
        f'"rationale": "{rationale}", "sources": ["I1", "D1"]}}]}}'
    )
    assert not _stops_after(answer)
    assert not _stops_after("```json\n" + answer + "\n```")
