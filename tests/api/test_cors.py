"""CORS: named origins only, with credentials; `*` refused in production, credential-free in dev."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from pydantic import ValidationError

from agent.services import Services
from api.main import create_app
from memadvisor.settings import Settings

WEB = "https://advisor.example.com"


def _preflight(client: TestClient, origin: str) -> dict[str, str]:
    response = client.options(
        "/api/me",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    return {k.lower(): v for k, v in response.headers.items()}


def test_production_refuses_any_origin_and_malformed_ones() -> None:
    secure = {
        "_env_file": None,
        "env": "production",
        "secret_key": "k" * 40,
        "encryption_keys": [Fernet.generate_key().decode()],
        "term_hash_key": "t" * 40,
        "analytics_hash_key": "n" * 40,
    }
    with pytest.raises(ValidationError, match="CORS_ORIGINS may not contain"):
        Settings(**secure, cors_origins=["*"])  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="not an origin"):
        Settings(**secure, cors_origins=[WEB + "/app/"])  # type: ignore[arg-type]
    assert Settings(**secure, cors_origins=[WEB]).cors_origins == [WEB]  # type: ignore[arg-type]


def test_only_listed_origins_get_credentials(make_services: Callable[..., Services]) -> None:
    services = make_services(None, cors_origins=[WEB])
    with TestClient(create_app(services=services)) as client:
        listed = _preflight(client, WEB)
        assert listed["access-control-allow-origin"] == WEB
        assert listed["access-control-allow-credentials"] == "true"
        stranger = _preflight(client, "https://evil.example.net")
        assert "access-control-allow-origin" not in stranger
        simple = client.get("/api/health", headers={"Origin": "https://evil.example.net"})
        assert "access-control-allow-origin" not in {k.lower() for k in simple.headers}


def test_any_origin_in_development_never_carries_credentials(
    make_services: Callable[..., Services],
) -> None:
    services = make_services(None, cors_origins=["*"])
    with TestClient(create_app(services=services)) as client:
        answer = client.get("/api/health", headers={"Origin": "https://evil.example.net"})
        assert answer.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in {k.lower() for k in answer.headers}
