"""Load test: many users chatting at once against the real server on loopback.

    python -m benchmarks.load [--users 50] [--seconds 120]

Starts `benchmarks.load_server` (uvicorn, SQLite file, Chroma folder, multilingual-e5-small, a
scripted model that streams at once) in a child process on a fresh data folder. Every user signs
up and one uncounted turn warms the server; then the clock starts and each user chats without pause
on the streaming endpoint until the time is up (a closed loop: the next message leaves when the
last answer's `final` event arrived). Then it waits, watching `/metrics`,
until the background indexing has caught up, stops the server and checks the stores directly:
every answered turn is in SQL with its answer, every turn's memory is in SQL and indexed, and the
vector store holds as many vectors per user as SQL holds memories.

Prints one JSON object on the last line: turns/s, turn and first-token latency as clients saw
them, errors, the indexing backlog and how long it took to drain, a few server-side means read
from its `/metrics`, and the checks. Leaves nothing behind.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from agent.services import build_services
from benchmarks.harness import percentile
from memadvisor.settings import Settings
from memory.models import MemoryRow

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "load test password"
TOPICS = (
    "I walked {n} steps near West Lake today",
    "My budget for groceries this week is {n} yuan",
    "I studied calculus for {n} minutes",
    "今天我跑了{n}公里",
    "我这个月存了{n}元",
)


@dataclass(frozen=True, slots=True)
class Turn:
    """One answered turn as the client saw it."""

    user_id: int
    turn_id: int
    message: str
    answer: str
    seconds: float
    first_token: float


@dataclass(slots=True)
class Results:
    """What all users saw."""

    turns: list[Turn] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    backlog_max: float = 0.0
    jobs_pending_max: float = 0.0


async def sse_events(response: httpx.Response) -> AsyncIterator[tuple[str, Any]]:
    """(event, decoded data) pairs of a `text/event-stream` body, as they arrive."""
    name, data = "message", list[str]()
    async for line in response.aiter_lines():
        if not line:
            if data:
                yield name, json.loads("\n".join(data))
            name, data = "message", []
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))


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
) -> tuple[Turn, str]:
    """Send one message; the turn and its conversation, or raises with what went wrong."""
    body: dict[str, Any] = {"message": message}
    if conversation:
        body["conversation_id"] = conversation
    start = time.perf_counter()
    first: float | None = None
    async with client.stream("POST", "/api/chat/stream", json=body, headers=headers) as response:
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code}")
        async for name, data in sse_events(response):
            if name == "token" and first is None:
                first = time.perf_counter() - start
            elif name == "error":
                raise RuntimeError("error event")
            elif name == "final":
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
) -> None:
    """Chat until the deadline; every failure is counted, none stops the loop."""
    user_id, headers = account
    conversation: str | None = None
    n = 0
    while time.monotonic() < deadline:
        n += 1
        message = f"[{index}.{n}] " + TOPICS[(index + n) % len(TOPICS)].format(n=1000 + n)
        try:
            turn, conversation = await chat_turn(client, headers, user_id, message, conversation)
        except (httpx.HTTPError, RuntimeError, KeyError, ValueError) as exc:
            results.errors[f"chat: {type(exc).__name__}: {exc}"[:120]] += 1
            continue
        results.turns.append(turn)


def gauge(text: str, name: str, **labels: str) -> float:
    """The sum of the samples of metric `name` (with these labels) in a `/metrics` page."""
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and labels.items() <= sample.labels.items()
    )


def mean_ms(pages: tuple[str, str], histogram: str, **labels: str) -> float:
    """A histogram's mean between two `/metrics` pages, in milliseconds."""
    before, after = pages
    count = gauge(after, f"{histogram}_count", **labels)
    count -= gauge(before, f"{histogram}_count", **labels)
    total = gauge(after, f"{histogram}_sum", **labels)
    total -= gauge(before, f"{histogram}_sum", **labels)
    return round(1000 * total / count, 1) if count else 0.0


def quantile_ms(pages: tuple[str, str], histogram: str, q: float) -> float:
    """A histogram's q-quantile between two `/metrics` pages, in milliseconds.

    Interpolated linearly within the bucket that holds it, as Prometheus' `histogram_quantile`.
    """
    before, after = pages
    bounds = sorted(
        {
            float(sample.labels["le"])
            for family in text_string_to_metric_families(after)
            for sample in family.samples
            if sample.name == f"{histogram}_bucket"
        }
    )
    counts = [
        gauge(after, f"{histogram}_bucket", le=_le(b))
        - gauge(before, f"{histogram}_bucket", le=_le(b))
        for b in bounds
    ]
    if not counts or counts[-1] <= 0:
        return 0.0
    rank, lower, below = q * counts[-1], 0.0, 0.0
    for bound, count in zip(bounds, counts, strict=True):
        if count >= rank:
            if bound == float("inf"):
                return round(1000 * lower, 1)
            share = (rank - below) / (count - below) if count > below else 1.0
            return round(1000 * (lower + (bound - lower) * share), 1)
        lower, below = bound, count
    return round(1000 * lower, 1)


def _le(bound: float) -> str:
    return "+Inf" if bound == float("inf") else str(bound)


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
    base_url: str, users: int, seconds: float
) -> tuple[Results, float, float, tuple[str, str]]:
    """Run every user until the time is up.

    Returns the results, elapsed and drain seconds, and `/metrics` at the start and the end.
    """
    results = Results()
    limits = httpx.Limits(max_connections=users + 5, max_keepalive_connections=users + 5)
    async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as client:
        # Before the clock starts: sign every user up, and warm the server (models load on first
        # use) with one turn of a user that is not counted.
        accounts = await asyncio.gather(*(sign_up(client, f"load-user-{i}") for i in range(users)))
        warm_id, warm_headers = await sign_up(client, "load-warm-up")
        await chat_turn(client, warm_headers, warm_id, "Hello, I am warming up.", None)
        baseline = (await client.get("/metrics")).text
        stop = asyncio.Event()
        watcher = asyncio.create_task(watch(client, results, stop))
        start = time.monotonic()
        deadline = start + seconds
        await asyncio.gather(
            *(user_loop(client, i, accounts[i], deadline, results) for i in range(users))
        )
        elapsed = time.monotonic() - start
        stop.set()
        await watcher
        drained, page = await drain(client, timeout=max(600.0, 10 * seconds))
    return results, elapsed, drained, (baseline, page)


def start_server(data_dir: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """The server in a child process, on a loopback socket bound here (port chosen by the OS)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
    env["LANGSMITH_TRACING"] = "false"
    command = [sys.executable, "-m", "benchmarks.load_server", "--fd", str(sock.fileno())]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--data-dir", str(data_dir)],
            cwd=ROOT,
            env=env,
            pass_fds=[sock.fileno()],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    sock.close()  # the child holds its own copy
    return process, f"http://127.0.0.1:{port}"


def wait_ready(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    """Block until the server answers its health check."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(f"{base_url}/api/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError("the server did not start in time")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """Ask the server to shut down gracefully (it finishes queued jobs); kill it if it hangs."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def check_stores(data_dir: Path, turns: Sequence[Turn]) -> dict[str, int]:
    """Compare what clients were told with what SQL and the vector store hold."""
    settings = Settings(_env_file=None, env="development", data_dir=data_dir)
    services = build_services(settings, migrate=False, inline_jobs=True)
    try:
        missing_turns = missing_memories = unindexed = 0
        by_user: dict[int, list[Turn]] = {}
        for turn in turns:
            by_user.setdefault(turn.user_id, []).append(turn)
        vector_mismatch = 0
        for user_id, own in by_user.items():
            with services.sessions() as session:
                rows = session.scalars(
                    select(MemoryRow).where(MemoryRow.user_id == user_id, MemoryRow.kind == "turn")
                ).all()
                memories = {row.source_id: row for row in rows}
            for turn in own:
                saved = services.history.get_turn(user_id, turn.turn_id)
                if saved is None or (saved.input_text, saved.output_text) != (
                    turn.message,
                    turn.answer,
                ):
                    missing_turns += 1
                memory = memories.get(str(turn.turn_id))
                if memory is None or memory.text != turn.message:
                    missing_memories += 1
                elif memory.indexed_at is None:
                    unindexed += 1
            if services.memory.vector_count(user_id) != services.memory.count(user_id):
                vector_mismatch += 1
        return {
            "turns_missing_in_sql": missing_turns,
            "memories_missing_in_sql": missing_memories,
            "memories_not_indexed": unindexed,
            "users_with_vector_count_mismatch": vector_mismatch,
            "memories_in_sql": services.memory.count(),
            "vectors": services.memory.vector_count(),
        }
    finally:
        services.close()


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the load test and print its figures as JSON (also returned, for tests)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=120.0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="memadvisor-load-") as tmp:
        data_dir, log = Path(tmp) / "data", Path(tmp) / "server.log"
        process, base_url = start_server(data_dir, log)
        try:
            wait_ready(process, base_url, log)
            results, elapsed, drained, pages = asyncio.run(load(base_url, args.users, args.seconds))
        finally:
            stop_server(process)
        checks = check_stores(data_dir, results.turns)
    latencies = [t.seconds * 1000 for t in results.turns]
    first = [t.first_token * 1000 for t in results.turns]
    report: dict[str, Any] = {
        "users": args.users,
        "seconds": round(elapsed, 1),
        "turns": len(results.turns),
        "turns_per_s": round(len(results.turns) / elapsed, 2) if elapsed else 0.0,
        "turn_p50_ms": round(percentile(latencies, 50), 1),
        "turn_p95_ms": round(percentile(latencies, 95), 1),
        "turn_p99_ms": round(percentile(latencies, 99), 1),
        "first_token_p50_ms": round(percentile(first, 50), 1),
        "first_token_p95_ms": round(percentile(first, 95), 1),
        "errors": sum(results.errors.values()),
        "error_kinds": dict(results.errors),
        "index_backlog_max": int(results.backlog_max),
        "jobs_pending_max": int(results.jobs_pending_max),
        "index_drain_s": round(drained, 1),
        "job_failures": int(gauge(pages[1], "memadvisor_job_failures_total")),
        # Server side, from its own /metrics: means over the timed run and the drain.
        "server_retrieval_mean_ms": mean_ms(pages, "memadvisor_memory_retrieval_duration_seconds"),
        "server_retrieval_p50_ms": quantile_ms(
            pages, "memadvisor_memory_retrieval_duration_seconds", 0.5
        ),
        "server_retrieval_p95_ms": quantile_ms(
            pages, "memadvisor_memory_retrieval_duration_seconds", 0.95
        ),
        "server_llm_mean_ms": mean_ms(pages, "memadvisor_llm_duration_seconds"),
        "server_index_job_mean_ms": mean_ms(
            pages, "memadvisor_job_duration_seconds", job="index_memories"
        ),
        **checks,
    }
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    main()
