"""A tiny real training run on the bundled model, and its GGUF adapter loaded by llama.cpp."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from agent.model.gguf import bundled_gguf_path
from finetune.chat import chat_example
from finetune.dataset import DATA_FILE
from finetune.train import GGUF_FILE, INFO_FILE, TrainOptions, train
from memory.training.registry import adapter_id

pytestmark = pytest.mark.slow

PROMPT = [
    {"role": "system", "content": "Reply with only the JSON object."},
    {"role": "user", "content": 'Notes:\n[I1] "(health) You averaged 2,800 steps a day."'},
]
ANSWER = {
    "health": [{"advice": "Walk after meals.", "rationale": "2,800 steps.", "sources": ["I1"]}]
}


def _logits(lora: Path | None, tokens: list[int]) -> np.ndarray:
    from llama_cpp import Llama

    model = Llama(
        model_path=str(bundled_gguf_path()),
        lora_path=str(lora) if lora else None,
        n_ctx=256,
        logits_all=True,
        verbose=False,
    )
    model.eval(tokens)
    return np.array(model.scores[: len(tokens)])


def test_tiny_training_run_gives_an_adapter_llama_cpp_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    data = tmp_path / "data"
    data.mkdir()
    line = json.dumps(chat_example(PROMPT, ANSWER), ensure_ascii=False)
    (data / DATA_FILE).write_text(f"{line}\n{line}\n")
    options = TrainOptions(
        data=data,
        base=bundled_gguf_path(),
        out=tmp_path / "out",
        rank=4,
        alpha=64,
        top_layers=2,
        max_steps=2,
        accumulation=1,
        learning_rate=5e-3,
        save_steps=1,
        max_length=256,
    )
    result = train(options)

    assert result.steps == 2 and result.examples == 2
    gguf = tmp_path / "out" / GGUF_FILE
    assert result.gguf == gguf and result.adapter_id == adapter_id(gguf)
    info = json.loads((tmp_path / "out" / INFO_FILE).read_text())
    assert info["adapter_id"] == result.adapter_id and info["seconds_per_epoch"] > 0
    modelfile = (tmp_path / "out" / "Modelfile").read_text()
    assert "FROM " in modelfile and "ADAPTER ./adapter.gguf" in modelfile
    assert (tmp_path / "out" / "checkpoints" / "checkpoint-2").is_dir()  # resumable

    resumed = train(replace(options, max_steps=3))  # the same command again: one step more
    info = json.loads((tmp_path / "out" / INFO_FILE).read_text())
    assert resumed.steps == 3 and info["resumed"]
    # Timed: the one step run now (half an epoch of two examples), not the three.
    assert resumed.seconds_per_epoch == pytest.approx(2 * resumed.seconds, abs=0.3)

    from llama_cpp import Llama

    tokens = Llama(model_path=str(bundled_gguf_path()), vocab_only=True, verbose=False).tokenize(
        PROMPT[1]["content"].encode()
    )
    changed = np.abs(_logits(gguf, tokens) - _logits(None, tokens)).mean()
    assert changed > 1e-3  # llama.cpp loaded the adapter and applies it
