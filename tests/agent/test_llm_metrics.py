"""Token counts of a model call: what the model reports wins; nothing is invented."""

from __future__ import annotations

from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, LLMResult

from agent.model.metrics import reported_tokens


def test_reported_usage_wins_over_counted_chunks() -> None:
    message = AIMessage(
        "hi", usage_metadata={"input_tokens": 12, "output_tokens": 3, "total_tokens": 15}
    )
    assert reported_tokens(LLMResult(generations=[[ChatGeneration(message=message)]])) == (12, 3)
    legacy = LLMResult(
        generations=[[ChatGeneration(message=AIMessage("hi"))]],
        llm_output={"token_usage": {"prompt_tokens": 7, "completion_tokens": 2}},
    )
    assert reported_tokens(legacy) == (7, 2)
    silent = LLMResult(generations=[[ChatGeneration(message=AIMessage("hi"))]])
    assert reported_tokens(silent) == (None, None)
