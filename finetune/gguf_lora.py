"""A PEFT LoRA adapter as a GGUF adapter file that llama.cpp (and Ollama's `ADAPTER`) loads.

Written with the `gguf` package (llama.cpp's own writer), following llama.cpp's
`convert_lora_to_gguf.py`: the same tensor names (`blk.N.attn_q.weight.lora_a`), keys
(`general.type = adapter`, `adapter.type = lora`, `adapter.lora.alpha`) and, for the llama
architecture, the same row order of the query and key projections (llama.cpp permutes their rows
for its rotary embedding, and `transformers` undoes that when it loads a GGUF; `lora_B` holds the
rows). That script needs llama.cpp's source tree; this needs the `gguf` package only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

LLAMA_TYPES = ("llama", "mistral")
"""Model types laid out as llama.cpp's `llama` architecture."""


class UnsupportedBaseError(ValueError):
    """The base model is not of the llama architecture this converter knows."""


def _permute(rows: Any, heads: int) -> Any:
    """llama.cpp's row order for a query or key projection (its `LlamaModel.permute`)."""
    return (
        rows.reshape(heads, 2, rows.shape[0] // heads // 2, *rows.shape[1:])
        .swapaxes(1, 2)
        .reshape(rows.shape)
    )


def convert_lora(adapter_dir: Path, out_file: Path, model_config: dict[str, Any]) -> Path:
    """Write `adapter_dir` (from `save_pretrained`) as one GGUF adapter; returns `out_file`."""
    import gguf
    from safetensors.torch import load_file

    model_type = model_config.get("model_type")
    if model_type not in LLAMA_TYPES:
        raise UnsupportedBaseError(
            f"cannot convert an adapter of a {model_type!r} model: only the llama architecture "
            "(SmolLM2, Llama, Mistral) is supported; use llama.cpp's convert_lora_to_gguf.py"
        )
    config = json.loads((adapter_dir / "adapter_config.json").read_text())
    tensors = load_file(str(adapter_dir / "adapter_model.safetensors"), device="cpu")
    blocks = int(model_config["num_hidden_layers"])
    heads = int(model_config["num_attention_heads"])
    kv_heads = int(model_config.get("num_key_value_heads") or heads)
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, blocks)

    writer = gguf.GGUFWriter(str(out_file), gguf.MODEL_ARCH_NAMES[gguf.MODEL_ARCH.LLAMA])
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(config["lora_alpha"]))
    for name in sorted(tensors):
        if ".lora_A." not in name:
            continue
        base = name.replace("base_model.model.", "").replace(".lora_A.weight", ".weight")
        target = names.get_name(base, try_suffixes=(".weight",))
        if target is None:
            raise UnsupportedBaseError(f"llama.cpp has no tensor for {base!r}")
        lora_a = tensors[name].float()
        lora_b = tensors[name.replace(".lora_A.", ".lora_B.")].float()
        if base.endswith("q_proj.weight"):
            lora_b = _permute(lora_b, heads)
        elif base.endswith("k_proj.weight"):
            lora_b = _permute(lora_b, kv_heads)
        writer.add_tensor(f"{target}.lora_a", lora_a.contiguous().numpy())
        writer.add_tensor(f"{target}.lora_b", lora_b.contiguous().numpy())
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out_file
