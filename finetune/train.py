"""`memadvisor finetune train`: a LoRA adapter (peft + transformers) on an exported data set.

The base is a Hugging Face folder or a GGUF file: `transformers` reads llama-architecture GGUF
files (dequantised) with their tokenizer, so the bundled SmolLM2 trains with nothing downloaded.
Each example is rendered with the base model's own chat template, the one llama.cpp applies when
serving, and only the answer's tokens are learnt. `transformers.Trainer` brings the progress bar,
the fixed seed, the GPU when there is one, and checkpoints that a rerun resumes from. The result
is the PEFT adapter, its GGUF conversion for llama.cpp, an Ollama Modelfile and `adapter.json`.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from finetune.dataset import DATA_FILE, SUMMARY_FILE
from finetune.gguf_lora import convert_lora
from finetune.serving import write_modelfile
from memory.training.registry import adapter_id

ADAPTER_DIR = "adapter"
GGUF_FILE = "adapter.gguf"
INFO_FILE = "adapter.json"
CHECKPOINTS = "checkpoints"
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


@dataclass
class TrainOptions:
    """The knobs of one training run (the CLI's options)."""

    data: Path
    base: Path
    out: Path
    epochs: float = 2.0
    learning_rate: float = 3e-4
    rank: int = 16
    alpha: int = 32
    top_layers: int | None = None
    """Adapt only the last N transformer blocks (backpropagation stops below them: faster)."""
    max_length: int = 2048
    """Longer examples are skipped (not cut: a cut answer would teach broken JSON). The default
    is llama.cpp's context (`MEMADVISOR_LLAMACPP_N_CTX`), which every product prompt fits."""
    batch_size: int = 1
    accumulation: int = 8
    max_steps: int = -1
    """Stop after this many optimiser steps (-1: the epochs decide); for smoke tests."""
    save_steps: int = 20
    seed: int = 42
    max_examples: int | None = None


@dataclass
class TrainResult:
    """What a run wrote and how long it took."""

    adapter_id: str
    gguf: Path
    set_id: str | None
    examples: int
    skipped: int
    steps: int
    seconds: float
    seconds_per_epoch: float
    train_loss: float | None


def load_base(base: Path) -> tuple[Any, Any]:
    """The base model and tokenizer from a Hugging Face folder or a GGUF file."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    where: dict[str, Any] = {}
    folder = base
    if base.is_file():
        folder, where["gguf_file"] = base.parent, base.name
    dtype = torch.bfloat16 if torch.cuda.is_available() else torch.float32
    tokenizer = AutoTokenizer.from_pretrained(folder, **where)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype, **where)
    if where:  # GGUF weights arrive dequantised: plain floats, though marked as quantized
        setattr(model, "hf_quantizer", None)  # noqa: B010 - torch types modules' attributes
        setattr(model, "is_quantized", False)  # noqa: B010
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


def encode(tokenizer: Any, messages: list[dict[str, str]]) -> dict[str, list[int]]:
    """Token ids of the whole conversation; labels only on the answer (the rest is -100)."""
    prompt = tokenizer.apply_chat_template(
        messages[:-1], add_generation_prompt=True, tokenize=False
    )
    full = tokenizer.apply_chat_template(messages, tokenize=False)
    if not full.startswith(prompt):
        raise ValueError("the chat template does not render the prompt as a prefix")
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    answer_ids = tokenizer(full[len(prompt) :], add_special_tokens=False)["input_ids"]
    ids = prompt_ids + answer_ids
    return {"input_ids": ids, "labels": [-100] * len(prompt_ids) + answer_ids}


def answer_positions(labels: Any) -> int:
    """How many final positions need logits: from the one before the first learnt token.

    Only the answer is learnt, and it ends each sequence; the logits of a long prompt (49k
    vocabulary entries per position) would cost time and memory for nothing.
    """
    learnt = (labels != -100).any(dim=0).nonzero()
    first = int(learnt[0]) if len(learnt) else labels.shape[1] - 1
    return int(labels.shape[1] - max(first - 1, 0))


def answer_loss(logits: Any, labels: Any, num_items: Any = None) -> Any:
    """Cross-entropy of the answer tokens, from the logits of the last positions only.

    The logits at position p predict token p + 1, so the last `k` logits predict the last
    `k - 1` tokens. Summed and divided by `num_items` (the learnt tokens of the whole
    accumulated batch) when the Trainer gives it, else the mean of this batch.
    """
    import torch.nn.functional as F

    keep = logits.shape[1]
    targets = labels[:, labels.shape[1] - keep + 1 :]
    total = F.cross_entropy(
        logits[:, :-1].flatten(0, 1).float(), targets.flatten(), ignore_index=-100, reduction="sum"
    )
    count = num_items if num_items is not None else (targets != -100).sum().clamp(min=1)
    return total / count


def _answer_trainer(base: type) -> type:
    """A Trainer whose loss needs logits for the answer's positions only."""

    class AnswerTrainer(base):  # type: ignore[misc]
        def compute_loss(
            self,
            model: Any,
            inputs: dict[str, Any],
            return_outputs: bool = False,
            num_items_in_batch: Any = None,
        ) -> Any:
            labels = inputs.pop("labels")
            outputs = model(**inputs, logits_to_keep=answer_positions(labels))
            loss = answer_loss(outputs.logits, labels, num_items_in_batch)
            # Divided by the accumulated batch's tokens already: the Trainer must not divide again.
            self.loss_is_scaled_for_ga = num_items_in_batch is not None
            return (loss, outputs) if return_outputs else loss

    return AnswerTrainer


def read_examples(data: Path, limit: int | None = None) -> list[list[dict[str, str]]]:
    """The messages of each line of `train.jsonl`."""
    lines = (data / DATA_FILE).read_text(encoding="utf-8").splitlines()
    examples = [json.loads(line)["messages"] for line in lines if line.strip()]
    return examples[:limit] if limit else examples


def train(options: TrainOptions) -> TrainResult:
    """Train, save, convert to GGUF and describe the adapter in `options.out`."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import (
        DataCollatorForSeq2Seq,
        Trainer,
        TrainingArguments,
        set_seed,
    )

    set_seed(options.seed)
    out = options.out
    out.mkdir(parents=True, exist_ok=True)
    model, tokenizer = load_base(options.base)
    encoded = [encode(tokenizer, m) for m in read_examples(options.data, options.max_examples)]
    kept = [e for e in encoded if len(e["input_ids"]) <= options.max_length]
    if not kept:
        raise ValueError(f"no example of {options.data} fits in {options.max_length} tokens")
    blocks = int(model.config.num_hidden_layers)
    layers = None
    if options.top_layers:
        layers = list(range(max(0, blocks - options.top_layers), blocks))
    lora = LoraConfig(
        r=options.rank,
        lora_alpha=options.alpha,
        lora_dropout=0.05,
        target_modules=TARGETS,
        layers_to_transform=layers,
        task_type="CAUSAL_LM",
    )
    model = get_peft_model(model, lora)
    arguments = TrainingArguments(
        output_dir=str(out / CHECKPOINTS),
        num_train_epochs=options.epochs,
        max_steps=options.max_steps,
        learning_rate=options.learning_rate,
        lr_scheduler_type="cosine",
        warmup_steps=min(10, max(1, options.max_steps // 10 if options.max_steps > 0 else 10)),
        per_device_train_batch_size=options.batch_size,
        gradient_accumulation_steps=options.accumulation,
        logging_steps=5,
        save_strategy="steps",
        save_steps=options.save_steps,
        save_total_limit=2,
        seed=options.seed,
        data_seed=options.seed,
        report_to=[],
        bf16=torch.cuda.is_available(),
        dataloader_num_workers=0,
        dataloader_pin_memory=False,
        remove_unused_columns=False,
    )
    trainer = _answer_trainer(Trainer)(
        model=model,
        args=arguments,
        train_dataset=kept,
        data_collator=DataCollatorForSeq2Seq(tokenizer, padding=True, label_pad_token_id=-100),
    )
    checkpoints = list((out / CHECKPOINTS).glob("checkpoint-*"))
    resumed_at = max((_step(c) for c in checkpoints), default=0)
    started = time.monotonic()
    result = trainer.train(resume_from_checkpoint=True if checkpoints else None)
    seconds = time.monotonic() - started
    model.save_pretrained(str(out / ADAPTER_DIR))
    gguf = convert_lora(out / ADAPTER_DIR, out / GGUF_FILE, model.config.to_dict())
    steps = int(trainer.state.global_step)
    epochs = float(trainer.state.epoch or options.epochs) or 1.0
    # A resumed run timed only the steps after its checkpoint: per epoch is per those steps.
    epochs_done = epochs * (steps - resumed_at) / steps if steps > resumed_at else epochs
    summary = _data_summary(options.data)
    info = TrainResult(
        adapter_id=adapter_id(gguf),
        gguf=gguf,
        set_id=summary.get("set_id"),
        examples=len(kept),
        skipped=len(encoded) - len(kept),
        steps=steps,
        seconds=round(seconds, 1),
        seconds_per_epoch=round(seconds / epochs_done, 1),
        train_loss=round(float(result.training_loss), 4) if result.training_loss else None,
    )
    document = {
        **{k: str(v) if isinstance(v, Path) else v for k, v in asdict(info).items()},
        "base": str(options.base),
        "options": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(options).items()},
        "resumed": bool(checkpoints),
    }
    (out / INFO_FILE).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    write_modelfile(out, base=options.base, adapter=gguf)
    return info


def _step(checkpoint: Path) -> int:
    """The optimiser step a `checkpoint-N` folder was saved at."""
    return int(checkpoint.name.rsplit("-", 1)[-1])


def _data_summary(data: Path) -> dict[str, Any]:
    path = data / SUMMARY_FILE
    return dict(json.loads(path.read_text())) if path.is_file() else {}
