"""Schemathesis fuzzes every operation of the app's OpenAPI schema as a signed-in user.

No input may cause a 5xx or an answer that contradicts the schema. Bounded: a fixed number of
examples per operation, derandomized, no deadline. Each case signs in a fresh user, so deleting
the account or logging out in one case does not starve the next.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import checks as core_checks
from schemathesis.specs.openapi import checks

from agent.services import Services
from api.main import create_app
from api.security import create_access_token

_names = itertools.count()

CHECKS = [
    core_checks.not_a_server_error,
    checks.response_schema_conformance,
    checks.content_type_conformance,
    checks.status_code_conformance,
]


@pytest.fixture
def app_schema(services: Services) -> Iterator[schemathesis.BaseSchema]:
    app = create_app(services=services)
    with TestClient(app):  # runs the lifespan: the app's state stays set for schemathesis' calls
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        yield schema.exclude(path_regex=r"^/advisor/playground")


def test_no_input_breaks_the_api(app_schema: schemathesis.BaseSchema, services: Services) -> None:
    tried = []
    for result in app_schema.get_all_operations():
        operation = result.ok()
        tried.append(operation.label)

        @settings(
            max_examples=25,
            derandomize=True,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        @given(case=operation.as_strategy())
        def fuzz(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=_fresh_user(services), checks=CHECKS)

        fuzz()
    assert "POST /api/auth/refresh" in tried and "GET /api/me/audit" in tried


# Files that once made the importer answer 500: nesting deeper than Python's recursion limit, an
# integer of more than 4,300 digits, a CSV cell over the csv module's 131,072 characters; and a
# broken XML file and a bill without its header.
@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("nested.json", b"[" * 5000),
        ("big.json", b'[{"data_type": "health", "data": {"steps": ' + b"9" * 5000 + b"}}]"),
        ("long.csv", b"data_type,note\nhealth," + b"x" * 140_000 + b"\n"),
        ("broken.xml", b"<?xml version='1.0'?><HealthData><Record type='x'"),
        ("alipay.csv", "支付宝交易记录明细查询\n没有表头\n".encode("gbk")),
    ],
)
def test_hostile_imports_are_clear_400s(services: Services, name: str, content: bytes) -> None:
    user = services.accounts.create("hostile", password_hash=None)
    services.user_data.consents.set(user.id, {"health": True})
    grant = services.auth_sessions.open(user.id)
    token = create_access_token(
        user.id, session_id=grant.session_id, secret=services.settings.secret_key, minutes=5
    )
    with TestClient(create_app(services=services)) as client:
        response = client.post(
            "/api/user-data/import",
            files={"file": (name, content, "text/plain")},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 400, response.text
    assert response.json()["detail"].startswith("Cannot import: ")


def _fresh_user(services: Services) -> dict[str, str]:
    user = services.accounts.create(f"fuzz{next(_names)}", password_hash=None)
    grant = services.auth_sessions.open(user.id)
    token = create_access_token(
        user.id, session_id=grant.session_id, secret=services.settings.secret_key, minutes=5
    )
    return {"Authorization": f"Bearer {token}"}
