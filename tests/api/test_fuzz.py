"""Schemathesis fuzzes every operation of the app's OpenAPI schema as a signed-in user.

No input may cause a 5xx or an answer that contradicts the schema. Bounded: a fixed number of
examples per operation, derandomized, no deadline. Each case signs in a fresh user, so deleting
the account or logging out in one case does not starve the next.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from urllib.parse import quote

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import checks as core_checks
from schemathesis.specs.openapi import checks

from agent.services import Services
from api.main import create_app
from api.security import create_access_token
from api.web import mount_web

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
    detail = response.json()["detail"]
    assert detail.startswith("Cannot import this file: ") or " cannot be imported: " in detail


def _fresh_user(services: Services) -> dict[str, str]:
    user = services.accounts.create(f"fuzz{next(_names)}", password_hash=None)
    grant = services.auth_sessions.open(user.id)
    token = create_access_token(
        user.id, session_id=grant.session_id, secret=services.settings.secret_key, minutes=5
    )
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def web_only(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    """The web client's route alone, on a built-looking `dist` (no services needed)."""
    dist = tmp_path_factory.mktemp("dist")
    (dist / "index.html").write_text("<html>app</html>")
    app = FastAPI()
    mount_web(app, dist)
    return TestClient(app)


@settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(path=st.text(min_size=1, max_size=300))
def test_no_path_breaks_the_web_client_route(web_only: TestClient, path: str) -> None:
    """Paths outside the schema go to the web client's catch-all: never a 5xx. `GET /%00` was a
    500 (a NUL byte in `Path.resolve`); so could be a name too long for the file system."""
    response = web_only.get("/" + quote(path, safe="/"))
    assert response.status_code < 500, path


@pytest.mark.parametrize("path", ["/%00", "/assets/%00.js", "/a%00b", "/" + "a" * 5000])
def test_odd_paths_get_a_clear_4xx_or_the_page(web_only: TestClient, path: str) -> None:
    response = web_only.get(path)
    assert response.status_code in (200, 400), path
    if response.status_code == 400:
        assert response.json()["detail"] == "The path is not valid."
