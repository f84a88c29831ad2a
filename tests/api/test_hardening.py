"""Request body limits (413 before the body is read), security headers, and closing the docs."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.types import Message

from agent.services import Services
from api.body_limit import BodyLimitMiddleware
from api.main import create_app
from tests.accounts import sign_up
from tests.ports import free_port, wait_for_http

ROOT = Path(__file__).resolve().parents[2]


def test_a_50_mb_json_body_gets_a_413_before_it_is_parsed(client: TestClient) -> None:
    """The issue's request: 50 MB of JSON to anonymous registration was parsed before its 422."""
    body = b'{"username": "' + b"a" * 50_000_000 + b'", "password": "correct horse"}'
    response = client.post(
        "/api/auth/register", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert "larger than the 1 MB" in response.json()["detail"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_chunked_body_is_cut_off_at_the_limit(client: TestClient) -> None:
    def chunks() -> object:
        for _ in range(3):
            yield b" " * 600_000

    response = client.post(
        "/api/auth/login", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


def test_the_limit_reads_no_further_than_it_must() -> None:
    """At the ASGI level: an endless chunked body is refused after the chunk that crosses it."""
    read = 0

    async def endless() -> Message:
        nonlocal read
        read += 1
        return {"type": "http.request", "body": b"x" * 1024, "more_body": True}

    async def app(scope: object, receive: Callable[[], object], send: object) -> None:
        while True:
            await receive()  # type: ignore[misc]

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    limited = BodyLimitMiddleware(app, max_bytes=10 * 1024, max_import_bytes=10 * 1024)
    scope = {"type": "http", "path": "/api/auth/register", "headers": []}
    asyncio.run(limited(scope, endless, send))  # type: ignore[arg-type]
    assert sent[0]["status"] == 413 and read == 11


def test_imports_have_a_larger_limit_of_their_own(
    make_services: Callable[..., Services],
) -> None:
    services = make_services(None, max_body_bytes=2048, max_import_bytes=64 * 1024)
    with TestClient(create_app(services=services)) as client:
        alice = sign_up(client, "alice")
        client.put("/api/me/consent", headers=alice, json={"health": True})
        rows = "data_type,steps\n" + "health,9000\n" * 300  # 3.6 KB: over the JSON limit
        upload = client.post(
            "/api/user-data/import",
            headers=alice,
            files={"file": ("steps.csv", rows.encode(), "text/csv")},
        )
        assert upload.status_code == 200 and upload.json()["accepted"] == 300
        huge = client.post(
            "/api/user-data/import",
            headers=alice,
            files={"file": ("steps.csv", rows.encode() * 20, "text/csv")},
        )
        assert huge.status_code == 413 and "64 KB" in huge.json()["detail"]
        memory = client.post(
            "/api/chat/stream", headers=alice, json={"message": "x" * 3000}
        )  # a JSON body over 2 KB
        assert memory.status_code == 413


def test_security_headers_and_the_web_clients_csp(
    tmp_path: Path, make_services: Callable[..., Services]
) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "index.html").write_text("<html>app</html>")
    with TestClient(create_app(services=make_services(None, web_dist=dist))) as client:
        for path in ("/", "/chat/1", "/api/health", "/api/me"):
            headers = client.get(path).headers
            assert headers["x-content-type-options"] == "nosniff"
            assert headers["referrer-policy"] == "no-referrer"
            assert headers["x-frame-options"] == "DENY"
            assert "frame-ancestors 'none'" in headers["content-security-policy"]
            assert "server" not in headers
        csp = client.get("/").headers["content-security-policy"]
        assert "script-src 'self'" in csp and "default-src 'self'" in csp


def test_production_closes_the_docs_and_the_playground(
    make_services: Callable[..., Services],
) -> None:
    services = make_services(None, api_docs=False)
    with TestClient(create_app(services=services)) as client:
        for path in ("/docs", "/redoc", "/openapi.json", "/advisor/playground/"):
            assert client.get(path).status_code == 404, path
        assert client.get("/api/health").status_code == 200
    assert make_services(None).settings.serves_docs  # development: open by default


@pytest.mark.slow
def test_memadvisor_serve_names_no_server_and_believes_no_forwarded_address(
    tmp_path: Path,
) -> None:
    """The real `memadvisor serve` (uvicorn): no `server` header, and `X-Forwarded-For` from
    127.0.0.1 is not believed unless that address is configured as a proxy."""
    port = free_port()
    env = {
        **os.environ,
        "MEMADVISOR_DATA_DIR": str(tmp_path / "data"),
        "MEMADVISOR_WEB_DIST": str(tmp_path / "no-dist"),
        "HF_HUB_OFFLINE": "1",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_for_http(f"{base}/api/health", server, timeout=120)
        health = httpx.get(f"{base}/api/health")
        assert "server" not in health.headers
        assert health.headers["x-content-type-options"] == "nosniff"
        account = {"username": "alice", "password": "correct horse battery"}
        assert httpx.post(f"{base}/api/auth/register", json=account).status_code == 201
        forged = {"X-Forwarded-For": "198.51.100.9"}
        token = httpx.post(f"{base}/api/auth/login", json=account, headers=forged).json()
        log = httpx.get(
            f"{base}/api/me/audit", headers={"Authorization": f"Bearer {token['access_token']}"}
        ).json()
        assert [entry["client"] for entry in log] == ["127.0.0.1"]
    finally:
        server.terminate()
        server.wait(timeout=30)
