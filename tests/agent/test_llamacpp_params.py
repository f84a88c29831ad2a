"""The bundled model runs as it was trained: the GGUF's RoPE base, not ChatLlamaCpp's default.

ChatLlamaCpp passes `rope_freq_base=10000` unless told otherwise, and SmolLM2 was trained with
100,000: every answer was subtly wrong (a fine-tuned adapter that reproduced its training answers
under plain llama.cpp lost its keys and items through the product).
"""

from __future__ import annotations

from pathlib import Path

from agent.model.llm import make_chat_model
from memadvisor.settings import Settings


def test_the_bundled_model_keeps_its_own_rope_base_and_batches_prompts(tmp_path: Path) -> None:
    llm = make_chat_model(Settings(_env_file=None, data_dir=tmp_path, llm_provider="llamacpp"))
    client = getattr(llm, "client")  # noqa: B009 - the llama_cpp.Llama behind ChatLlamaCpp
    trained = float(client.metadata["llama.rope.freq_base"])
    assert trained != 10_000.0  # the case that matters: a model not on the old default
    assert client.context_params.rope_freq_base in (0.0, trained)  # 0: read from the GGUF
    assert client.context_params.rope_freq_scale in (0.0, 1.0)
    assert client.n_batch >= 512
