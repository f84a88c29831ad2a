"""`memadvisor serve` itself, in a child process whose output is captured: what it logs, what it
leaves on disk, and how it treats slow and vanishing clients.

One server for the module (it loads the bundled model), with one-second header and body deadlines.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from cli.main import app as cli
from memadvisor.settings import get_settings
from tests.chroma_server import ChromaServer
from tests.ports import free_port, stop_process, wait_for_http
from tests.raw_http import send_slowly

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"


@dataclass(frozen=True, slots=True)
class Served:
    """A running `memadvisor serve`: where it answers, its data folder and its output."""

    url: str
    port: int
    data: Path
    log: Path

    def output(self) -> str:
        """Everything the server has written to stdout and stderr so far."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    def sign_up(self, username: str) -> dict[str, str]:
        """Register and sign in; the Authorization header."""
        account = {"username": username, "password": PASSWORD}
        assert httpx.post(f"{self.url}/api/auth/register", json=account).status_code == 201
        token = httpx.post(f"{self.url}/api/auth/login", json=account).json()["access_token"]
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("served")
    port = free_port()
    env = {
        **os.environ,
        "MEMADVISOR_DATA_DIR": str(root / "data"),
        "MEMADVISOR_WEB_DIST": str(root / "no-dist"),
        "MEMADVISOR_HEADER_TIMEOUT_SECONDS": "1",
        "MEMADVISOR_BODY_TIMEOUT_SECONDS": "1",
        "MEMADVISOR_LOG_LEVEL": "INFO",
        "HF_HUB_OFFLINE": "1",
    }
    log = root / "server.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "cli", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        assert wait_for_http(f"{url}/api/health", server, timeout=180), log.read_text()
        yield Served(url, port, root / "data", log)
    finally:
        stop_process(server, timeout=60)


def test_serve_closes_a_half_sent_header_and_a_stalled_body(served: Served) -> None:
    header = send_slowly(served.port, [b"GET /api/health HTTP/1.1\r\nhost: x\r\n"])
    assert header.status == 408 and header.after < 4
    body = send_slowly(
        served.port,
        [
            b"POST /api/auth/login HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
            b'content-length: 100\r\n\r\n{"username": '
        ],
    )
    assert body.status == 408 and b"did not arrive in time" in body.reply and body.after < 4
    big = send_slowly(served.port, [b"GET /api/health HTTP/1.1\r\n" + b"x-a: b\r\n" * 5000])
    assert big.status == 431


def test_a_search_leaves_no_trace_in_logs_or_files_once_the_user_is_erased(
    served: Served,
) -> None:
    """What a user typed (a search, refused input, an import, a chat message) is in no log line,
    and, once the account is erased, in no file of the data folder (SQLite and its WAL, Chroma)."""
    marker = f"Qz{secrets.token_hex(8)}"
    alice = served.sign_up("alice")
    base = served.url
    client = httpx.Client(base_url=base, headers=alice, timeout=120)
    assert client.put("/api/me/consent", json={"health": True}).status_code == 200

    found = client.post("/api/memories/search", json={"query": f"my {marker} passport"})
    assert found.status_code == 200
    old_way = client.get("/api/memories", params={"query": marker})
    assert old_way.status_code == 400 and "POST /api/memories/search" in old_way.json()["detail"]
    too_long = client.post("/api/memories/search", json={"query": marker * 100})
    assert too_long.status_code == 422 and marker not in too_long.text
    refused = client.post("/api/user-data", json={"data_type": "health", "data": {"steps": marker}})
    assert refused.status_code == 422 and marker not in refused.text
    rows = f"data_type,steps,note\nhealth,{marker},x\n{marker},100,y\nhealth,9000,{marker}\n"
    imported = client.post(
        "/api/user-data/import", files={"file": ("steps.csv", rows.encode(), "text/csv")}
    )
    assert imported.status_code == 200, imported.text
    with client.stream("POST", "/api/chat/stream", json={"message": f"My code is {marker}"}) as r:
        assert r.status_code == 200 and "event: final" in r.read().decode()
    time.sleep(2)  # the turn's memory is indexed in the background
    found = client.post("/api/memories/search", json={"query": marker}).json()
    assert any(marker in memory["text"] for memory in found)

    assert client.delete("/api/me").status_code == 204
    time.sleep(2)
    assert marker not in served.output()
    for path in served.data.rglob("*"):
        if path.is_file():
            assert marker.encode() not in path.read_bytes(), path.relative_to(served.data)


def test_dropped_streams_leave_their_access_line_and_no_error(served: Served) -> None:
    """Clients that leave mid-answer: each leaves its access log line and nothing else (the turn
    is marked failed, "stopped by the user"); no task is left pending (one was, and `Task was
    destroyed but it is pending!` was logged as an ERROR when it was collected)."""
    bob = served.sign_up("bob")
    before = len(served.output().splitlines())
    dropped = 5
    for number in range(dropped):
        with httpx.stream(
            "POST",
            f"{served.url}/api/chat/stream",
            json={"message": f"Tell me a long story about cats, number {number}"},
            headers=bob,
            timeout=120,
        ) as response:
            for line in response.iter_lines():
                if line.startswith("event: token"):
                    break
    # Let the server collect its garbage: enough requests for the collector's older generations.
    with httpx.Client(base_url=served.url, headers=bob) as client:
        for _ in range(300):
            client.get("/api/conversations")
    time.sleep(1)
    lines = [
        line
        for line in served.output().splitlines()[before:]
        if not line.startswith("INFO:     127.0.0.1")  # the access log
    ]
    assert not [line for line in lines if "ERROR" in line or "destroyed" in line], lines
    assert not [line for line in lines if "chat turn" in line], lines  # its access line only


def test_serve_with_workers_keeps_its_settings_and_sums_their_metrics(tmp_path: Path) -> None:
    """`memadvisor serve --workers 2`: two processes on one port, each with serve's header
    deadline and no `server` header, sharing the database, the keys and a metrics folder."""
    with ChromaServer(tmp_path / "chroma") as chroma:
        port = free_port()
        env = {
            **os.environ,
            "MEMADVISOR_DATA_DIR": str(tmp_path / "data"),
            "MEMADVISOR_WEB_DIST": str(tmp_path / "no-dist"),
            "MEMADVISOR_CHROMA_URL": chroma.url,
            "MEMADVISOR_HEADER_TIMEOUT_SECONDS": "1",
            "HF_HUB_OFFLINE": "1",
        }
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        log = tmp_path / "server.log"
        with log.open("wb") as output:
            server = subprocess.Popen(
                [sys.executable, "-m", "cli", "serve", "--port", str(port), "--workers", "2"],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        url = f"http://127.0.0.1:{port}"
        try:
            assert wait_for_http(f"{url}/api/health", server, timeout=300), log.read_text()
            deadline = time.monotonic() + 300
            while log.read_text().count("Application startup complete") < 2:
                assert time.monotonic() < deadline and server.poll() is None, log.read_text()
                time.sleep(1)
            assert len(set(re.findall(r"Started server process \[(\d+)\]", log.read_text()))) == 2

            assert send_slowly(port, [b"GET /api/health HTTP/1.1\r\nhost: x\r\n"]).status == 408
            served = Served(url, port, tmp_path / "data", log)
            with httpx.Client(base_url=url, headers=served.sign_up("alice")) as client:
                for _ in range(20):  # signed up by one process, served by both
                    answer = client.get("/api/me")
                    assert answer.status_code == 200 and "server" not in answer.headers
                scraped = httpx.get(f"{url}/metrics").text
            counted = re.search(
                r'memadvisor_http_request_duration_seconds_count\{handler="/api/me",'
                r'method="GET",status="200"\} (\S+)',
                scraped,
            )
            assert counted and float(counted.group(1)) == 20  # both processes' requests
        finally:
            stop_process(server, timeout=60)
        assert "ERROR" not in log.read_text()


def test_serve_with_workers_refuses_the_embedded_chroma(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEMADVISOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("MEMADVISOR_CHROMA_URL", raising=False)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["serve", "--workers", "2"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2 and "MEMADVISOR_CHROMA_URL" in result.output
