"""How memory search scales: synthetic users and memories at growing totals.

    python -m benchmarks.scale [--sizes 10000 100000 1000000] [--users 1000] [--queries 200]

Memories are synthetic sentences (English and Chinese) spread over `--users` users and written in
batches through `MemoryStore.add_many` (SQL rows, keyword terms, Chroma vectors). Their vectors are
synthetic too (seeded random unit vectors): embedding a million real sentences with
multilingual-e5-small would take hours on two cores, and the embedding rate is measured separately
(`embed_per_s`, real model). Searches run the real path, query embedding included. Sizes are reached
cumulatively in one store. Prints one JSON object on the last line; leaves nothing behind.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings
from rich.progress import Progress

from agent.services import make_keyring
from benchmarks.harness import percentile
from memadvisor.settings import Settings
from memory.accounts import Accounts
from memory.db import make_engine, make_session_factory, upgrade
from memory.embeddings import E5SmallEmbeddings
from memory.store import MemoryStore, NewMemory
from memory.vectors import VectorIndex

DIM = 384
BATCH = 500
SUBJECTS = ["I", "My sister", "My doctor", "Our team", "My son", "我", "我妈妈", "我们公司"]
VERBS = ["started", "finished", "planned", "talked about", "booked", "cancelled", "想要", "完成了"]
OBJECTS = [
    "a trip to Hangzhou",
    "the marathon training",
    "a new savings plan",
    "the piano lessons",
    "a dentist appointment",
    "the quarterly report",
    "yoga on Sundays",
    "a diet with less sugar",
    "去上海出差",
    "学习机器学习课程",
    "每天走一万步",
    "买房的首付",
    "体检复查",
    "周末爬山",
]
WHEN = ["last week", "yesterday", "in May", "this morning", "next month", "上个月", "周末", "今天"]


class SyntheticDocuments(Embeddings):
    """Seeded random unit vectors for memories; the real model for queries (timed)."""

    def __init__(self, query_model: Embeddings) -> None:
        self._query_model = query_model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """One reproducible random unit vector per text."""
        out = []
        for text in texts:
            seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")
            vector = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
            out.append((vector / np.linalg.norm(vector)).tolist())
        return out

    def embed_query(self, text: str) -> list[float]:
        """The real query embedding."""
        return self._query_model.embed_query(text)


def sentence(rng: random.Random) -> str:
    """A plausible memory in either language."""
    return f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(WHEN)}"


def folder_bytes(folder: Path) -> int:
    """Bytes on disk under `folder`."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def embedding_rate(model: Embeddings, rng: random.Random, n: int = 200) -> float:
    """Real memories embedded per second (batch of `n`)."""
    texts = [sentence(rng) for _ in range(n)]
    began = time.perf_counter()
    model.embed_documents(texts)
    return n / (time.perf_counter() - began)


def run(sizes: list[int], users: int, queries: int, seed: int = 7) -> dict[str, Any]:
    """Grow one store through `sizes` and measure at each."""
    rng = random.Random(seed)
    real = E5SmallEmbeddings()
    results: dict[str, Any] = {
        "users": users,
        "embedding": "multilingual-e5-small",
        "embed_per_s": round(embedding_rate(real, rng), 1),
        "sizes": {},
    }
    with tempfile.TemporaryDirectory(prefix="memadvisor-scale-") as folder:
        data = Path(folder)
        settings = Settings(_env_file=None, data_dir=data)
        keyring = make_keyring(settings)
        upgrade(settings.sqlalchemy_url, keyring=keyring)
        engine = make_engine(settings.sqlalchemy_url, keyring=keyring)
        sessions = make_session_factory(engine)
        accounts = Accounts(sessions)
        user_ids = [accounts.create(f"user{i:05d}", password_hash=None).id for i in range(users)]
        embeddings = SyntheticDocuments(real)
        vectors = VectorIndex(
            collection="scale", embeddings=embeddings, persist_dir=settings.chroma_dir
        )
        store = MemoryStore(
            sessions=sessions, vectors=vectors, embeddings=embeddings, keyring=keyring
        )
        written = 0
        with Progress(transient=True) as progress:
            progress.console.file = sys.stderr
            for size in sorted(sizes):
                task = progress.add_task(f"writing up to {size:,} memories", total=size - written)
                began = time.perf_counter()
                added = 0
                # Every user grows by the same share, in batches of at most BATCH.
                share, extra = divmod(size - written, users)
                for number, user in enumerate(user_ids):
                    todo = share + (1 if number < extra else 0)
                    while todo:
                        n = min(BATCH, todo)
                        store.add_many(
                            user,
                            [
                                NewMemory(sentence(rng), thread=f"t{written // 20}")
                                for _ in range(n)
                            ],
                        )
                        written += n
                        added += n
                        todo -= n
                        progress.advance(task, n)
                ingest_rate = added / (time.perf_counter() - began)
                results["sizes"][str(size)] = _measure(store, user_ids, queries, rng) | {
                    "ingest_per_s_without_embedding": round(ingest_rate, 1),
                    "disk_mb": round(folder_bytes(data) / 2**20, 1),
                    "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                }
        engine.dispose()
    return results


def _measure(
    store: MemoryStore, user_ids: list[int], queries: int, rng: random.Random
) -> dict[str, Any]:
    """Search latency: first query of a user (keyword index built) and a repeat (cached)."""
    cold: list[float] = []
    warm: list[float] = []
    for _ in range(queries):
        user = rng.choice(user_ids)
        for bucket in (cold, warm):
            query = f"What did {rng.choice(SUBJECTS)} do about {rng.choice(OBJECTS)}?"
            began = time.perf_counter()
            store.search(user, query, k=5)
            bucket.append((time.perf_counter() - began) * 1000)
    return {
        "search_p50_ms": round(percentile(warm, 50), 2),
        "search_p95_ms": round(percentile(warm, 95), 2),
        "first_search_p50_ms": round(percentile(cold, 50), 2),
        "first_search_p95_ms": round(percentile(cold, 95), 2),
    }


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, run, print the JSON line."""
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    logging.basicConfig(level=logging.WARNING)
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.sizes, args.users, args.queries)))


if __name__ == "__main__":
    main()
