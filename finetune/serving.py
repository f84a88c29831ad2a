"""What other runtimes need to serve a trained adapter: an Ollama Modelfile (FROM + ADAPTER).

vLLM serves the PEFT folder itself (`--enable-lora --lora-modules`); the docs' fine-tuning page has
the guide.
"""

from __future__ import annotations

from pathlib import Path

MODELFILE = "Modelfile"


def write_modelfile(out: Path, *, base: Path, adapter: Path) -> Path:
    """`out/Modelfile`: the base GGUF with the GGUF adapter (`ollama create NAME -f Modelfile`).

    Ollama resolves relative paths from the Modelfile's folder; the adapter sits beside it. A base
    given as a Hugging Face folder is named as it is: Ollama imports such folders too.
    """
    try:
        relative = adapter.resolve().relative_to(out.resolve())
        adapter_ref = f"./{relative}"
    except ValueError:
        adapter_ref = str(adapter.resolve())
    lines = [
        "# Written by `memadvisor finetune train`: the base model and the MemAdvisor adapter.",
        f"FROM {base.resolve()}",
        f"ADAPTER {adapter_ref}",
        "PARAMETER temperature 0.3",
        'PARAMETER stop "<|im_end|>"',
        "",
    ]
    path = out / MODELFILE
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
