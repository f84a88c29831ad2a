"""Real processes for the job tests: Debian's redis-server and Celery workers, on free ports.

Each test starts its own, in its own process group, and stops only those: the shared Redis on
6379 and everything else on the machine are never touched.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import redis

from memadvisor.settings import Settings
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `check` until it holds; fail (naming `what`) if it does not within `timeout`."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.2)


class RedisServer:
    """A redis-server of our own that keeps nothing on disk (like the machine's), restartable."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The URL of database 0."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start it (empty) on its port and wait until it answers."""
        self.directory.mkdir(parents=True, exist_ok=True)
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory)]
        args += ["--save", "", "--appendonly", "no", "--logfile", "redis.log"]
        self.process = subprocess.Popen([REDIS_SERVER, *args], start_new_session=True)
        client = redis.Redis.from_url(self.url, socket_timeout=1)
        wait_until(lambda: _pings(client), 30, f"redis-server on port {self.port}")

    def stop(self) -> None:
        """Kill it at once: what it held is gone."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
        self.process = None


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


def job_env(settings: Settings) -> dict[str, str]:
    """The environment giving a subprocess the test's settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMADVISOR_")}
    env |= {"HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False", "PYTHONUNBUFFERED": "1"}
    values = settings.model_dump(
        include={
            "env",
            "data_dir",
            "jobs",
            "redis_url",
            "job_visibility_timeout",
            "reconcile_seconds",
            "summary_every_turns",
            "consolidate_facts",
            "embedding_model",
            "worker_metrics_port",
        },
        exclude_none=True,
    )
    env |= {
        f"MEMADVISOR_{k.upper()}": str(v).lower() if isinstance(v, bool) else str(v)
        for k, v in values.items()
    }
    return env


class Process:
    """A command run in its own process group, its output kept in a log file."""

    def __init__(self, args: Sequence[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, *args],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        """SIGKILL the whole group: no warm shutdown, no goodbye to Redis."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """Ask the group to stop; kill it if it does not."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        """What it printed so far (to explain a failure)."""
        return self.log.read_text(errors="replace")[-5000:]
