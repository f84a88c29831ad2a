"""The answer-only loss equals the full one, from the logits of the answer's positions only."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from finetune.train import answer_loss, answer_positions  # noqa: E402


def _tiny_llama() -> object:
    config = transformers.LlamaConfig(
        vocab_size=64,
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
    )
    torch.manual_seed(0)
    return transformers.LlamaForCausalLM(config).eval()


def test_answer_loss_matches_the_full_loss_with_a_fraction_of_the_logits() -> None:
    model = _tiny_llama()
    ids = torch.randint(0, 64, (2, 12))
    labels = ids.clone()
    labels[0, :7] = -100  # prompts of different lengths; the answer ends each sequence
    labels[1, :9] = -100
    labels[1, -1] = -100  # padding after the answer

    keep = answer_positions(labels)
    tail = model(input_ids=ids, logits_to_keep=keep).logits  # type: ignore[operator]
    full = model(input_ids=ids, labels=labels).loss  # type: ignore[operator]

    assert keep == 12 - 6 and tail.shape[1] == keep
    assert torch.allclose(answer_loss(tail, labels), full, atol=1e-6)
    learnt = int((labels[:, 1:] != -100).sum())
    summed = answer_loss(tail, labels, num_items=2 * learnt)  # half of an accumulated batch
    assert torch.allclose(summed, full / 2, atol=1e-6)
