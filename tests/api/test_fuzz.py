"""Schemathesis fuzzes every operation of the app's OpenAPI schema as a signed-in user.

No input may cause a 5xx or an answer that contradicts the schema. Bounded: a fixed number of
examples per operation, derandomized, no deadline. Each case signs in a fresh user, so deleting
the account or logging out in one case does not starve the next.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import checks as core_checks
from schemathesis.specs.openapi import checks
from schemathesis.specs.openapi.formats import STRING_FORMATS

from agent.services import Services
from api.main import create_app
from api.security import create_access_token
from api.web import mount_web
from memory.records.datatypes import DATA_TYPES

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


# --- times at the edges of the calendar --------------------------------------------------------
# UTC cannot hold these (year 0 and 10000 once converted): `since` was a 500 (OverflowError).
EDGE_TIMES = [
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00",
    "9999-12-31T23:59:59.999999",
    "0001-01-01T00:00:00-14:00",
    "9999-12-31T23:59:59+14:00",
]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _edge_files(when: str) -> list[tuple[str, bytes, dict[str, str]]]:
    """One file per importer with `when` as every time in it: (name, content, form fields)."""
    moment = datetime.fromisoformat(when)
    apple = moment.strftime("%Y-%m-%d %H:%M:%S ") + (moment.strftime("%z") or "+0000")
    local = moment.strftime("%Y-%m-%d %H:%M:%S")
    health = (FIXTURES / "apple_health_export.xml").read_text(encoding="utf-8")
    health = re.sub(r'(start|end|creation)Date="[^"]*"', rf'\1Date="{apple}"', health)
    alipay = (FIXTURES / "alipay_bill.csv").read_bytes().decode("gbk")
    wechat = (FIXTURES / "wechat_pay_bill.csv").read_text(encoding="utf-8-sig")
    bill_time = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"
    mapping = {"mapping": json.dumps({"data_type": "health", "columns": {"t": "recorded_at"}})}
    record = {"data_type": "health", "data": {"steps": 1}}
    return [
        ("records.csv", f"data_type,recorded_at,steps\nhealth,{when},4000\n".encode(), {}),
        ("records.json", json.dumps([{**record, "recorded_at": when}]).encode(), {}),
        ("export.xml", health.encode(), {}),
        ("alipay.csv", re.sub(bill_time, local, alipay, flags=re.M).encode("gbk"), {}),
        ("wechat.csv", re.sub(bill_time, local, wechat, flags=re.M).encode(), {}),
        ("mine.csv", f"t,steps\n{when},4000\n".encode(), mapping),
    ]


def _utc_holds(when: str) -> bool:
    moment = datetime.fromisoformat(when)
    try:
        moment.astimezone(UTC) if moment.tzinfo else moment
    except OverflowError:
        return False
    return True


def _signed_in(services: Services, name: str) -> dict[str, str]:
    user = services.accounts.create(name, password_hash=None)
    services.user_data.consents.set(user.id, dict.fromkeys(DATA_TYPES, True))
    grant = services.auth_sessions.open(user.id)
    token = create_access_token(
        user.id, session_id=grant.session_id, secret=services.settings.secret_key, minutes=5
    )
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("when", EDGE_TIMES)
def test_times_utc_cannot_hold_are_422s_or_row_errors(services: Services, when: str) -> None:
    """From a query, a body and every importer: a clear 4xx or a refused row, never a 500."""
    headers = _signed_in(services, "edges")
    with TestClient(create_app(services=services), raise_server_exceptions=False) as client:
        listed = client.get("/api/user-data", params={"since": when}, headers=headers)
        if not _utc_holds(when):
            assert listed.status_code == 422, listed.text
            assert "outside the years 1 to 9999" in listed.json()["message"]
        else:
            assert listed.status_code == 200, listed.text
        added = client.post(
            "/api/user-data",
            json={"data_type": "health", "recorded_at": when, "data": {"steps": 1}},
            headers=headers,
        )
        assert added.status_code == 422 and "recorded_at" in added.json()["message"], added.text
        for name, content, form in _edge_files(when):
            for path in ("/api/user-data/import", "/api/user-data/import/preview"):
                answer = client.post(
                    path, files={"file": (name, content)}, data=form, headers=headers
                )
                assert answer.status_code < 500, (name, path, answer.text)
                if path.endswith("import") and answer.status_code == 200:
                    report = answer.json()
                    assert report["accepted"] == 0 or name.endswith(("alipay.csv", "wechat.csv"))


def test_schemathesis_at_the_edges_of_the_calendar(
    app_schema: schemathesis.BaseSchema, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Schemathesis on the listing and import operations, its times and files drawn from the
    edges of the calendar as well as from anywhere."""
    # Registered for this test only (the registry is schemathesis' own, module-wide).
    monkeypatch.setitem(STRING_FORMATS, "date-time", st.nothing())
    times = st.sampled_from(EDGE_TIMES) | st.datetimes(timezones=st.timezones()).map(
        datetime.isoformat
    )
    schemathesis.openapi.format("date-time", times)
    files = [(name, content) for when in EDGE_TIMES for name, content, _ in _edge_files(when)]
    operations = {
        ("GET", "/api/user-data"),
        ("POST", "/api/user-data"),
        ("POST", "/api/user-data/import"),
        ("POST", "/api/user-data/import/preview"),
    }
    tried = []
    for result in app_schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) not in operations:
            continue
        tried.append(operation.label)

        @settings(
            max_examples=40,
            derandomize=True,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        @given(case=operation.as_strategy(), file=st.sampled_from(files))
        def fuzz(case: schemathesis.Case, file: tuple[str, bytes]) -> None:
            if isinstance(case.body, dict) and "file" in case.body:
                case.body = {**case.body, "file": file[1]}
            case.call_and_validate(headers=_fresh_user(services), checks=CHECKS)

        fuzz()
    assert len(tried) == len(operations), tried
