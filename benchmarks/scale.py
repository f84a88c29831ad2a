"""How memory search scales: many users, one heavy user, and the search right after a write.

    python -m benchmarks.scale [--sizes 10000 100000 1000000] [--users 1000] [--queries 200]
    python -m benchmarks.scale --per-user 100000 [--queries 200]
    ... [--data-dir DIR]   # keep the generated store in DIR and reuse it next time

Memories are synthetic sentences (English and Chinese) written in batches through
`MemoryStore.add_many` (SQL rows, keyword terms, Chroma vectors); `--per-user N` gives one user N
of them, `--sizes` spreads each total over `--users` users. Their vectors are synthetic too
(seeded random unit vectors): embedding a million real sentences with multilingual-e5-small would
take hours on two cores, and the embedding rate is measured separately (`embed_per_s`, real model).
Searches run the real path, query embedding included. At each size it measures, on randomly
chosen users:
- `first_search`: a user's first search in the process (their index is built from SQL and Chroma);
- `search`: a warm search (nothing changed since the user's last search);
- `write`: one new memory, indexed (SQL row, vector, clock);
- `search_after_write`: the search right after that write (the index reads what changed);
- `query_embedding`: the query embedding alone (part of every search; the rest is the index's).
Prints one JSON object on the last line and keeps it with the run's date, commit and machine in
`benchmarks/results/` (`--results-dir`); leaves nothing else behind unless `--data-dir` is given.
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
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings
from rich.progress import Progress

from agent.services import make_keyring
from benchmarks.harness import percentile
from benchmarks.record import Start, add_results_argument, save
from memadvisor.settings import Settings
from memadvisor.startup import freeze_startup_objects
from memory.accounts.users import Accounts
from memory.retrieval.embeddings import E5SmallEmbeddings
from memory.retrieval.factory import make_memory_store
from memory.retrieval.store import MemoryStore, NewMemory
from memory.storage.db import make_engine, make_session_factory, upgrade

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
    """Bytes on disk under `folder` (blocks used: Chroma's index files can be sparse)."""
    return sum(p.stat().st_blocks * 512 for p in folder.rglob("*") if p.is_file())


def embedding_rate(model: Embeddings, rng: random.Random, n: int = 200) -> float:
    """Real memories embedded per second (batch of `n`)."""
    texts = [sentence(rng) for _ in range(n)]
    began = time.perf_counter()
    model.embed_documents(texts)
    return n / (time.perf_counter() - began)


def run(
    sizes: list[int], users: int, queries: int, data_dir: Path | None = None, seed: int = 7
) -> dict[str, Any]:
    """Grow one store through `sizes` (spread over `users` users) and measure at each."""
    rng = random.Random(seed)
    real = E5SmallEmbeddings()
    results: dict[str, Any] = {
        "users": users,
        "embedding": "multilingual-e5-small",
        "embed_per_s": round(embedding_rate(real, rng), 1),
        "sizes": {},
    }
    with ExitStack() as stack:
        data = data_dir or Path(
            stack.enter_context(tempfile.TemporaryDirectory(prefix="memadvisor-scale-"))
        )
        store, user_ids, written, dispose = _open(data, users, real)
        stack.callback(dispose)
        freeze_startup_objects()  # as a server does once started (`memadvisor.startup`)
        with Progress(transient=True) as progress:
            progress.console.file = sys.stderr
            for size in sorted(sizes):
                began, added = time.perf_counter(), max(0, size - written)
                written = _grow(store, user_ids, written, size, rng, progress)
                measured = _measure(store, user_ids, queries, rng)
                results["sizes"][str(size)] = measured | {
                    "memories": store.count(),
                    "ingest_per_s_without_embedding": (
                        round(added / (time.perf_counter() - began - measured["seconds"]), 1)
                        if added
                        else None
                    ),
                    "disk_mb": round(folder_bytes(data) / 2**20, 1),
                    "rss_mb": rss_mb(),
                    "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                    "index_cache_mb": round(store.index_cache_bytes / 2**20, 1),
                }
    return results


def _open(data: Path, users: int, real: Embeddings) -> tuple[MemoryStore, list[int], int, Any]:
    """The store in `data` (made, or found from an earlier run), its users and memory count."""
    settings = Settings(_env_file=None, data_dir=data)
    keyring = make_keyring(settings)
    upgrade(settings.sqlalchemy_url, keyring=keyring)
    engine = make_engine(settings.sqlalchemy_url, keyring=keyring)
    sessions = make_session_factory(engine)
    accounts = Accounts(sessions)
    user_ids = []
    for i in range(users):
        found = accounts.by_username(f"user{i:05d}")
        user_ids.append(
            found.id if found else accounts.create(f"user{i:05d}", password_hash=None).id
        )
    embeddings = SyntheticDocuments(real)
    store = make_memory_store(
        sessions=sessions,
        keyring=keyring,
        embeddings=embeddings,
        collection="scale",
        chroma_dir=settings.chroma_dir,
        cache_bytes=settings.memory_index_cache_mb * 2**20,
    )
    return store, user_ids, store.count(), engine.dispose


def _grow(
    store: MemoryStore,
    user_ids: list[int],
    written: int,
    size: int,
    rng: random.Random,
    progress: Progress,
) -> int:
    """Write memories until the store holds `size`; every user grows by the same share."""
    if size <= written:
        return written
    task = progress.add_task(f"writing up to {size:,} memories", total=size - written)
    share, extra = divmod(size - written, len(user_ids))
    for number, user in enumerate(user_ids):
        todo = share + (1 if number < extra else 0)
        while todo:
            n = min(BATCH, todo)
            store.add_many(
                user, [NewMemory(sentence(rng), thread=f"t{written // 20}") for _ in range(n)]
            )
            written += n
            todo -= n
            progress.advance(task, n)
    return written


def rss_mb() -> int:
    """The resident memory of this process now, in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024)
    return 0


def _measure(
    store: MemoryStore, user_ids: list[int], queries: int, rng: random.Random
) -> dict[str, Any]:
    """Latencies, in ms, of a user's first search, warm searches, writes and searches after them."""
    began = time.perf_counter()
    timings: dict[str, list[float]] = {
        "first_search": [],
        "search": [],
        "write": [],
        "search_after_write": [],
        "query_embedding": [],
    }

    def timed(name: str, call: Any, *args: Any, **kwargs: Any) -> None:
        start = time.perf_counter()
        call(*args, **kwargs)
        timings[name].append((time.perf_counter() - start) * 1000)

    fresh = list(user_ids)
    rng.shuffle(fresh)
    for number in range(queries):
        user = fresh[number % len(fresh)]
        first = "first_search" if number < len(fresh) else "search"
        timed(first, store.search, user, _question(rng), k=5)
        timed("search", store.search, user, _question(rng), k=5)
        timed("write", store.add, user, sentence(rng), thread=f"bench-{user}")
        timed("search_after_write", store.search, user, _question(rng), k=5)
        timed("query_embedding", store.embeddings.embed_query, _question(rng))
    figures: dict[str, Any] = {"seconds": time.perf_counter() - began}
    for name, values in timings.items():
        figures[f"{name}_p50_ms"] = round(percentile(values, 50), 2)
        figures[f"{name}_p95_ms"] = round(percentile(values, 95), 2)
    return figures


def _question(rng: random.Random) -> str:
    return f"What did {rng.choice(SUBJECTS)} do about {rng.choice(OBJECTS)}?"


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, run, print the JSON line and keep it in the results."""
    start = Start()
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    logging.basicConfig(level=logging.WARNING)
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--per-user", type=int, metavar="N", help="one user with N memories (overrides --sizes)"
    )
    parser.add_argument("--data-dir", type=Path, help="keep the store here and reuse it")
    add_results_argument(parser)
    args = parser.parse_args(argv)
    if args.per_user:
        result = run([args.per_user], 1, args.queries, args.data_dir)
        result["per_user"] = args.per_user
    else:
        result = run(args.sizes, args.users, args.queries, args.data_dir)
    result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result))
    save("scale", result, args, argv, start)


if __name__ == "__main__":
    main()
