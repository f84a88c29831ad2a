"""Imports over HTTP as a person meets them: a preview first (same path, nothing written), the
password of a locked bill, errors and notes in the user's language, and a stream that always ends
with a report or an error."""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.api.sse import parse_sse
from tests.memory.bill_files import locked_zip, wechat_xlsx

Headers = dict[str, str]
FIXTURES = Path(__file__).parent.parent / "fixtures"
IMPORT = "/api/user-data/import"


@pytest.fixture
def alice(register: Callable[[str], Headers], client: TestClient) -> Headers:
    headers = register("alice")
    consent = {"health": True, "finance": True, "behavior": True}
    assert client.put("/api/me/consent", json=consent, headers=headers).status_code == 200
    return headers


def _file(name: str, content: bytes | None = None) -> dict[str, tuple[str, bytes, str]]:
    data = content if content is not None else (FIXTURES / name).read_bytes()
    return {"file": (name, data, "application/octet-stream")}


def test_a_preview_shows_what_the_import_brings_and_writes_nothing(
    client: TestClient, alice: Headers
) -> None:
    preview = client.post(f"{IMPORT}?dry_run=true", files=_file("alipay_2023.csv"), headers=alice)
    assert preview.status_code == 200, preview.text
    report = preview.json()
    assert report["dry_run"] is True and report["written"] is False and report["ids"] == []
    assert report["format"] == "alipay" and report["accepted"] == 6
    assert report["summary"] == {
        "first": "2026-09-01",
        "last": "2026-10-01",
        "records": 6,
        "kinds": {"finance": 6},
        "money": {"CNY": {"expenses": 611.3, "income": 15000.0}},
    }
    assert client.get("/api/user-data", headers=alice).json() == []
    imported = client.post(IMPORT, files=_file("alipay_2023.csv"), headers=alice).json()
    assert imported["written"] is True and imported["summary"] == report["summary"]
    assert imported["notes"] == report["notes"]
    assert len(client.get("/api/user-data?type=finance", headers=alice).json()) == 6


def test_notes_and_errors_come_in_the_users_language(client: TestClient, alice: Headers) -> None:
    zh = {**alice, "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}
    report = client.post(f"{IMPORT}?dry_run=true", files=_file("wechat_pay_2025.csv"), headers=zh)
    assert "已从原交易中扣除的退款：2 笔（¥91.10）" in report.json()["notes"]
    broken = client.post(IMPORT, files=_file("x.xml", b"<HealthData><Record"), headers=zh)
    assert broken.status_code == 400
    assert broken.json()["detail"].startswith("这个 Apple 健康导出文件无法导入：")
    english = client.post(
        f"{IMPORT}?lang=en", files=_file("x.xml", b"<HealthData><Record"), headers=zh
    )
    assert english.json()["detail"].startswith("This Apple Health export cannot be imported: ")
    assert english.json()["app"] == "apple_health"


def test_a_locked_bill_asks_for_its_password_which_is_never_kept(
    client: TestClient, alice: Headers, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    locked = locked_zip("微信支付账单(20250101-20250331).xlsx", wechat_xlsx(), "S3cret-428571")
    files = _file("微信支付账单.zip", locked)
    missing = client.post(IMPORT, files=files, headers=alice)
    assert missing.status_code == 400
    body = missing.json()
    assert body["code"] == "password_required" and body["app"] == "wechat_pay"
    assert "WeChat Pay bill" in body["detail"] and "Apple" not in body["detail"]
    wrong = client.post(IMPORT, files=files, data={"password": "nope"}, headers=alice)
    assert wrong.json()["code"] == "password_wrong"
    streamed = client.post(IMPORT, files=files, headers={**alice, "Accept": "text/event-stream"})
    name, data = parse_sse(streamed)[-1]
    assert name == "error" and data["code"] == "password_required" and data["status"] == 400
    right = client.post(IMPORT, files=files, data={"password": "S3cret-428571"}, headers=alice)
    assert right.status_code == 200 and right.json()["written"] is True
    assert right.json()["summary"]["money"] == {"CNY": {"expenses": 224.7, "income": 500.0}}
    assert "S3cret-428571" not in caplog.text
    audit = client.get("/api/me/audit", headers=alice).text
    assert "S3cret-428571" not in audit


def test_a_wechat_xlsx_is_read_as_one_never_as_apple_health(
    client: TestClient, alice: Headers
) -> None:
    report = client.post(IMPORT, files=_file("微信支付账单.xlsx", wechat_xlsx()), headers=alice)
    assert report.status_code == 200 and report.json()["format"] == "wechat_pay"
    assert report.json()["accepted"] == 6


def test_non_finite_values_are_row_errors_and_the_stream_ends_with_a_report(
    client: TestClient, alice: Headers
) -> None:
    response = client.post(
        IMPORT,
        files=_file("apple_health_ios16.xml"),
        headers={**alice, "Accept": "text/event-stream"},
    )
    events = parse_sse(response)
    name, report = events[-1]
    assert name == "report" and report["written"] is True
    reasons = [" ".join(row["errors"]) for row in report["rejected"]]
    assert reasons == [
        "HeartRate: value 'NaN' is not a finite number",
        "HeartRate: value 'inf' is not a finite number",
    ]
    assert report["summary"]["kinds"] == {"days": 2, "glucose": 1, "workouts": 2}


def test_a_zip_bomb_streams_a_400_error(client: TestClient, alice: Headers) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("apple_health_export/export.xml", b"<HealthData>" + b" " * (64 << 20))
    response = client.post(
        IMPORT,
        files=_file("export.zip", buffer.getvalue()),
        headers={**alice, "Accept": "text/event-stream"},
    )
    name, data = parse_sse(response)[-1]
    assert name == "error" and data["status"] == 400 and "zip bomb" in data["detail"]
