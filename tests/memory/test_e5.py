"""E5 threads: batched queries and single-threaded passages change no vector."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

from memory.retrieval.e5 import E5SmallEmbeddings, PassageWorker, QueryBatcher, _IdlePassages

QUERIES = ["What did I eat yesterday?", "我最近的血压怎么样", "piano lessons", "x", "周末爬山"]


def test_concurrent_queries_get_the_vectors_they_would_get_alone() -> None:
    embeddings = E5SmallEmbeddings()
    alone = [embeddings.embed_query(q) for q in QUERIES]
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(embeddings.embed_query, QUERIES * 6))
    assert together == alone * 6


def test_passages_on_one_thread_or_all_are_the_same_vectors() -> None:
    texts = [f"{q} ({n})" for n, q in enumerate(QUERIES * 4)]
    one = np.array(E5SmallEmbeddings(index_threads=1).embed_documents(texts))
    every = np.array(E5SmallEmbeddings(index_threads=0).embed_documents(texts))
    assert np.allclose(one, every, atol=1e-6)


class _Broken:
    def __init__(self) -> None:
        self.calls = 0
        self.release = threading.Event()

    def spread_team(self) -> bool:
        return False

    def query(self, texts: list[str]) -> Any:
        self.calls += 1
        self.release.wait(5)
        raise RuntimeError("engine failed")


def test_an_engine_error_reaches_every_waiting_search() -> None:
    batcher = QueryBatcher()
    broken = _Broken()
    batcher._engine = broken  # type: ignore[assignment]
    with ThreadPoolExecutor(4) as pool:
        waiting = [pool.submit(batcher.embed, q) for q in QUERIES[:4]]
        broken.release.set()
        for future in waiting:
            with pytest.raises(RuntimeError, match="engine failed"):
                future.result(timeout=10)
    assert broken.calls <= 4


def test_passages_in_idle_time_are_the_vectors_of_the_callers_thread() -> None:
    texts = [f"{q} ({n})" for n, q in enumerate(QUERIES * 2)]
    idle = np.array(E5SmallEmbeddings(index_when_idle=True).embed_documents(texts))
    own = np.array(E5SmallEmbeddings(index_when_idle=False).embed_documents(texts))
    assert np.array_equal(idle, own)


@pytest.mark.skipif(sys.platform != "linux", reason="SCHED_IDLE is Linux's")
def test_the_passage_thread_runs_only_when_a_core_is_idle() -> None:
    worker = PassageWorker(when_idle=True)
    worker.embed(["a memory"])
    thread = worker._idle._thread if worker._idle is not None else None
    assert thread is not None and thread.native_id is not None
    assert os.sched_getscheduler(thread.native_id) == os.SCHED_IDLE


class _Starved:
    """An idle-time engine that never gets a core (until released)."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.release = threading.Event()

    def passage(self, texts: list[str]) -> Any:
        self.calls.append(texts)
        self.release.wait(30)
        return np.zeros((len(texts), 384), dtype=np.float32)


def test_a_starved_idle_thread_leaves_the_work_to_the_caller(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(PassageWorker, "IDLE_WAIT_S", 0.2)
    worker = PassageWorker(when_idle=True)
    worker._idle = _IdlePassages(threads=1)  # this test's own, not the process's
    starved = _Starved()
    worker._idle._engine = starved  # type: ignore[assignment]
    first = worker.embed(["first memory"])  # the idle thread took it, then starved
    second = worker.embed(["second memory"])  # queued behind it: cancelled, never run there
    expected = PassageWorker().embed(["first memory", "second memory"])
    assert np.array_equal(np.vstack([first, second]), expected)
    starved.release.set()
    worker.embed(["third"])  # waits for the idle thread's queue to move on
    assert ["second memory"] not in starved.calls


_TEAM_PROBE = """
import json, os, threading
from memory.retrieval.e5 import E5SmallEmbeddings

def bound():
    cores = []
    for task in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{task}/status") as status:
            for line in status:
                if line.startswith("Cpus_allowed_list:") and line.split(":")[1].strip().isdigit():
                    cores.append(int(line.split(":")[1]))
    return sorted(cores)

embeddings = E5SmallEmbeddings()
vector = embeddings.embed_query("周末爬山")
started = threading.Thread(target=lambda: None)
started.start()
started.join()
print(json.dumps({"bound": bound(), "caller": sorted(os.sched_getaffinity(0)),
                  "same": embeddings.embed_query("周末爬山") == vector}))
"""


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or len(os.sched_getaffinity(0)) < 2,
    reason="binds threads to cores on Linux with two cores or more",
)
def test_the_query_team_takes_a_core_each_and_leaves_every_other_thread_free() -> None:
    """In a process of its own: here, other tests' servers may start teams meanwhile."""
    env = {key: value for key, value in os.environ.items() if key != "OMP_NUM_THREADS"}
    probe = subprocess.run(
        [sys.executable, "-c", _TEAM_PROBE], capture_output=True, text=True, env=env, check=True
    )
    seen = json.loads(probe.stdout.strip().splitlines()[-1])
    cores = sorted(os.sched_getaffinity(0))
    assert seen["caller"] == cores  # the calling thread, and the threads it starts, stay free
    assert seen["bound"] == cores  # the default team spans every core: one thread on each
    assert seen["same"]
