"""Real embeddings held at a gate, so a test decides when a batch being indexed may finish."""

from __future__ import annotations

import threading

from langchain_core.embeddings import Embeddings


class GatedEmbeddings(Embeddings):
    """The wrapped embeddings, but a batch of documents waits at the gate until the test opens it.

    `embedding` is set as soon as a batch arrives; queries are never held.
    """

    def __init__(self, inner: Embeddings) -> None:
        self.inner = inner
        self.embedding = threading.Event()
        self.gate = threading.Event()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Say a batch has started, wait for the gate, then embed it."""
        self.embedding.set()
        assert self.gate.wait(60), "the test never opened the gate"
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        """Embed a query at once."""
        return self.inner.embed_query(text)
