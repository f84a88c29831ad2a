"""Load test: many users chatting at once against the real server on loopback.

    python -m benchmarks.load [--users 50] [--seconds 120] [--model scripted|bundled] [--think 10]

Starts `benchmarks.load_server` (uvicorn, SQLite file, Chroma folder, multilingual-e5-small, and
a scripted model that streams at once, or with `--model bundled` the real SmolLM2 behind the
model queue) in a child process on a fresh data folder. Every user signs up and one uncounted turn
warms the server; then the clock starts and each user chats on the streaming endpoint until the
time is up (a closed loop: the next message leaves when the last answer's `final` event arrived,
at once or, with `--think`, after a pause as a person reading and typing would take; after a 503
or a busy `error` event, when its `Retry-After` has passed).
Meanwhile a prober asks `/api/health` and `/api/me` five times a second: the rest of the API must
stay fast while the model is busy. Then it waits, watching `/metrics`, until the background
indexing has caught up, stops the server (SIGINT, a graceful shutdown) and checks the stores
directly: every answered turn is in SQL with its answer, no turn is left `pending`, every turn's
memory is in SQL and indexed, and the vector store holds as many vectors per user as SQL holds
memories.

Prints one JSON object on the last line (and keeps it with the run's date, commit and machine in
`benchmarks/results/`, `--results-dir`): turns/s, turn and first-token latency as clients saw
them, the model queue's wait (server side), 503s, errors, hangs (a turn with no end in
`HANG_SECONDS`), lost turns, health and `/api/me` latency during the load, the indexing backlog and
how long it took to drain, a few server-side means read from its `/metrics`, and the checks.
Leaves nothing behind.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from httpx_sse import EventSource

from benchmarks.harness import percentile
from benchmarks.load_checks import Turn, check_stores
from benchmarks.load_server import start_server, stop_server, wait_ready
from benchmarks.prometheus_text import GEN_AI_DURATION, gauge, mean_ms, quantile_ms
from benchmarks.record import Start, add_results_argument, save

PASSWORD = "load test password"
HANG_SECONDS = 600.0
"""A turn with no end after this long counts as a hang (the queue's own bound is 120 s)."""
TOPICS = (
    "I walked {n} steps near West Lake today",
    "My budget for groceries this week is {n} yuan",
    "I studied calculus for {n} minutes",
    "今天我跑了{n}公里",
    "我这个月存了{n}元",
)


@dataclass(slots=True)
class Results:
    """What all users saw."""

    turns: list[Turn] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    refused: int = 0
    """503 answers (the model's queue was full)."""
    busy: int = 0
    """`error` events with a retry hint (waited past the queue's bound)."""
    hangs: int = 0
    queued_turns: int = 0
    """Turns that were told to wait for the model (`queued` events)."""
    probes: dict[str, list[float]] = field(default_factory=lambda: {"health": [], "me": []})
    probe_errors: int = 0
    backlog_max: float = 0.0
    jobs_pending_max: float = 0.0


class Busy(Exception):
    """The server said the model is busy: try again after `retry_after` seconds."""

    def __init__(self, retry_after: float, refused: bool) -> None:
        super().__init__(f"busy, retry after {retry_after} s")
        self.retry_after = retry_after
        self.refused = refused


async def sign_up(client: httpx.AsyncClient, username: str) -> tuple[int, dict[str, str]]:
    """Register and log in; the user's id and Authorization header."""
    account = {"username": username, "password": PASSWORD}
    (await client.post("/api/auth/register", json=account)).raise_for_status()
    login = await client.post("/api/auth/login", json=account)
    login.raise_for_status()
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    me = await client.get("/api/me", headers=headers)
    me.raise_for_status()
    return int(me.json()["id"]), headers


async def chat_turn(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    user_id: int,
    message: str,
    conversation: str | None,
    results: Results,
) -> tuple[Turn, str]:
    """Send one message; the turn and its conversation, or raises with what went wrong."""
    body: dict[str, Any] = {"message": message}
    if conversation:
        body["conversation_id"] = conversation
    start = time.perf_counter()
    first: float | None = None
    queued = False
    async with client.stream("POST", "/api/chat/stream", json=body, headers=headers) as response:
        if response.status_code == 503 and "retry-after" in response.headers:
            raise Busy(float(response.headers["retry-after"]), refused=True)
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code}")
        async for sse in EventSource(response).aiter_sse():
            if sse.event == "token" and first is None:
                first = time.perf_counter() - start
            elif sse.event == "queued" and not queued:
                queued = True
                results.queued_turns += 1
            elif sse.event == "error":
                if (retry := sse.json().get("retry_after")) is not None:
                    raise Busy(float(retry), refused=False)
                raise RuntimeError("error event")
            elif sse.event == "final":
                data = sse.json()
                seconds = time.perf_counter() - start
                turn = Turn(
                    user_id, data["turn_id"], message, data["answer"], seconds, first or seconds
                )
                return turn, data["conversation_id"]
    raise RuntimeError("stream ended without a final event")


async def user_loop(
    client: httpx.AsyncClient,
    index: int,
    account: tuple[int, dict[str, str]],
    deadline: float,
    results: Results,
    think: float = 0.0,
) -> None:
    """Chat until the deadline; every failure is counted, none stops the loop.

    After each answer the user reads and types for a random while, `think` seconds on average
    (exponential, seeded by the user's number; 0: the next message leaves at once), and the first
    message waits such a while too: people do not all press Enter at the same moment.
    """
    user_id, headers = account
    conversation: str | None = None
    pauses = random.Random(index)
    if think > 0:
        await asyncio.sleep(min(pauses.expovariate(1.0 / think), deadline - time.monotonic()))
    n = 0
    while time.monotonic() < deadline:
        n += 1
        message = f"[{index}.{n}] " + TOPICS[(index + n) % len(TOPICS)].format(n=1000 + n)
        try:
            turn, conversation = await asyncio.wait_for(
                chat_turn(client, headers, user_id, message, conversation, results), HANG_SECONDS
            )
        except Busy as busy:
            if busy.refused:
                results.refused += 1
            else:
                results.busy += 1
            await asyncio.sleep(min(busy.retry_after, max(0.0, deadline - time.monotonic())))
            continue
        except TimeoutError:
            results.hangs += 1
            continue
        except (httpx.HTTPError, RuntimeError, KeyError, ValueError) as exc:
            results.errors[f"chat: {type(exc).__name__}: {exc}"[:120]] += 1
            continue
        results.turns.append(turn)
        if think > 0:
            pause = pauses.expovariate(1.0 / think)
            await asyncio.sleep(min(pause, max(0.0, deadline - time.monotonic())))


async def probe(
    client: httpx.AsyncClient, headers: dict[str, str], results: Results, stop: asyncio.Event
) -> None:
    """Time `/api/health` and `/api/me` (signed in) five times a second until stopped."""
    while not stop.is_set():
        for name, path, auth in (("health", "/api/health", {}), ("me", "/api/me", headers)):
            start = time.perf_counter()
            try:
                (await client.get(path, headers=auth)).raise_for_status()
                results.probes[name].append(1000 * (time.perf_counter() - start))
            except httpx.HTTPError:
                results.probe_errors += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=0.2)


async def watch(client: httpx.AsyncClient, results: Results, stop: asyncio.Event) -> None:
    """Scrape `/metrics` every second for the largest indexing backlog and job queue."""
    while not stop.is_set():
        try:
            text = (await client.get("/metrics")).text
            results.backlog_max = max(
                results.backlog_max, gauge(text, "memadvisor_memories_pending_index")
            )
            results.jobs_pending_max = max(
                results.jobs_pending_max, gauge(text, "memadvisor_jobs_pending")
            )
        except httpx.HTTPError:
            results.errors["metrics scrape"] += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=1.0)


async def drain(client: httpx.AsyncClient, timeout: float) -> tuple[float, str]:
    """Wait until indexing has caught up; seconds taken, and the last `/metrics` page."""
    start = time.monotonic()
    while True:
        text = (await client.get("/metrics")).text
        idle = gauge(text, "memadvisor_jobs_pending") == 0
        if idle and gauge(text, "memadvisor_memories_pending_index") == 0:
            return time.monotonic() - start, text
        if time.monotonic() - start > timeout:
            raise TimeoutError("indexing did not catch up")
        await asyncio.sleep(0.5)


async def load(
    base_url: str, users: int, seconds: float, think: float = 0.0
) -> tuple[Results, float, float, tuple[str, str]]:
    """Run every user until the time is up.

    Returns the results, elapsed and drain seconds, and `/metrics` at the start and the end.
    """
    results = Results()
    # An idle connection is dropped before the server's own keep-alive limit (uvicorn: 5 s, as
    # httpx's default): else a message sent just as the server closes it fails with ReadError.
    limits = httpx.Limits(
        max_connections=users + 10, max_keepalive_connections=users + 10, keepalive_expiry=2.0
    )
    async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as client:
        # Before the clock starts: sign every user up, and warm the server (models load on first
        # use) with one turn of a user that is not counted.
        accounts = await asyncio.gather(*(sign_up(client, f"load-user-{i}") for i in range(users)))
        warm_id, warm_headers = await sign_up(client, "load-warm-up")
        await chat_turn(client, warm_headers, warm_id, "Hello, I am warming up.", None, Results())
        baseline = (await client.get("/metrics")).text
        stop = asyncio.Event()
        watcher = asyncio.create_task(watch(client, results, stop))
        prober = asyncio.create_task(probe(client, warm_headers, results, stop))
        start = time.monotonic()
        deadline = start + seconds
        await asyncio.gather(
            *(user_loop(client, i, accounts[i], deadline, results, think) for i in range(users))
        )
        elapsed = time.monotonic() - start
        stop.set()
        await asyncio.gather(watcher, prober)
        drained, page = await drain(client, timeout=max(600.0, 10 * seconds))
    return results, elapsed, drained, (baseline, page)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the load test, print its figures as JSON and keep them (also returned, for tests)."""
    start = Start()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument(
        "--model",
        choices=("scripted", "bundled"),
        default="scripted",
        help="scripted: measure the project's own path; bundled: the real SmolLM2 (llama.cpp)",
    )
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean seconds a user pauses after an answer (0: a closed loop, flat out)",
    )
    add_results_argument(parser)
    args = parser.parse_args(argv)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="memadvisor-load-") as tmp:
        data_dir, log = Path(tmp) / "data", Path(tmp) / "server.log"
        process, base_url = start_server(data_dir, log, args.model)
        try:
            wait_ready(process, base_url, log)
            results, elapsed, drained, pages = asyncio.run(
                load(base_url, args.users, args.seconds, args.think)
            )
        finally:
            stop_server(process)
        checks = check_stores(data_dir, results.turns)
    latencies = [t.seconds * 1000 for t in results.turns]
    first = [t.first_token * 1000 for t in results.turns]
    health, me = results.probes["health"], results.probes["me"]
    wait = "memadvisor_model_queue_wait_seconds"
    report: dict[str, Any] = {
        "model": args.model,
        "users": args.users,
        "think_s": args.think,
        # The machine's 1-minute load average: other work on a shared machine slows every figure.
        "machine_load_before": round(load_before, 1),
        "machine_load_after": round(os.getloadavg()[0], 1),
        "seconds": round(elapsed, 1),
        "turns": len(results.turns),
        "turns_per_s": round(len(results.turns) / elapsed, 2) if elapsed else 0.0,
        "turn_p50_ms": round(percentile(latencies, 50), 1),
        "turn_p95_ms": round(percentile(latencies, 95), 1),
        "turn_p99_ms": round(percentile(latencies, 99), 1),
        "first_token_p50_ms": round(percentile(first, 50), 1),
        "first_token_p95_ms": round(percentile(first, 95), 1),
        "queued_turns": results.queued_turns,
        "queue_wait_p50_ms": quantile_ms(pages, wait, 0.5, outcome="served"),
        "queue_wait_p95_ms": quantile_ms(pages, wait, 0.95, outcome="served"),
        "queue_wait_mean_ms": mean_ms(pages, wait, outcome="served"),
        "refused_503": results.refused,
        "busy_errors": results.busy,
        "hangs": results.hangs,
        "errors": sum(results.errors.values()),
        "error_kinds": dict(results.errors),
        "lost_turns": checks["turns_missing_in_sql"] + checks["turns_left_pending"],
        "health_p50_ms": round(percentile(health, 50), 1),
        "health_p95_ms": round(percentile(health, 95), 1),
        "me_p50_ms": round(percentile(me, 50), 1),
        "me_p95_ms": round(percentile(me, 95), 1),
        "probe_errors": results.probe_errors,
        "index_backlog_max": int(results.backlog_max),
        "jobs_pending_max": int(results.jobs_pending_max),
        "index_drain_s": round(drained, 1),
        "job_failures": int(gauge(pages[1], "memadvisor_job_failures_total")),
        # Server side, from its own /metrics: means over the timed run and the drain.
        "server_retrieval_mean_ms": mean_ms(
            pages, GEN_AI_DURATION, gen_ai_operation_name="search_memory"
        ),
        "server_retrieval_p50_ms": quantile_ms(
            pages, GEN_AI_DURATION, 0.5, gen_ai_operation_name="search_memory"
        ),
        "server_retrieval_p95_ms": quantile_ms(
            pages, GEN_AI_DURATION, 0.95, gen_ai_operation_name="search_memory"
        ),
        "server_llm_mean_ms": mean_ms(pages, GEN_AI_DURATION, gen_ai_operation_name="chat"),
        "server_index_job_mean_ms": mean_ms(
            pages, "memadvisor_job_duration_seconds", task="index_memories"
        ),
        **checks,
    }
    print(json.dumps(report))
    save("load", report, args, argv, start)
    return report


if __name__ == "__main__":
    main()
