"""`memadvisor export-analytics`: statistics without names, emails, text or real user ids."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.services import Services, analytics_key
from cli.main import app as cli
from memadvisor.settings import get_settings
from memory.usage.analytics import analytics_report, pseudonym

SECRET = "I owe 30000 yuan on my credit card 我欠了信用卡三万块"


def _seed(services: Services) -> list[int]:
    ids = []
    for name in ("alice.wang", "张伟"):
        user = services.accounts.create(name, password_hash=None, email=f"{name}@example.com")
        turn = services.history.begin_turn(user.id, None, SECRET)
        services.memory.add(user.id, f"{SECRET} ({name})", source_id=str(turn.id), index=False)
        ids.append(user.id)
    return ids


def test_the_export_holds_counts_under_pseudonyms_only(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _seed(services)
    monkeypatch.setenv("MEMADVISOR_DATA_DIR", str(services.settings.data_dir))
    get_settings.cache_clear()
    try:
        out = tmp_path / "analytics.json"
        result = CliRunner().invoke(cli, ["export-analytics", "--out", str(out)])
        assert result.exit_code == 0, result.output
    finally:
        get_settings.cache_clear()

    content = out.read_text(encoding="utf-8")
    for leak in ("alice", "张伟", "example.com", "credit card", "信用卡"):
        assert leak not in content, leak
    report = json.loads(content)
    assert report["totals"] == {
        "users": 2,
        "active_users": 2,
        "conversations": 2,
        "turns": 2,
        "memories": 2,
        "records": 0,
    }
    key = analytics_key(services.settings)
    assert sorted(u["user"] for u in report["users"]) == sorted(pseudonym(i, key) for i in ids)
    assert all(set(u) >= {"user", "turns", "memories", "joined"} for u in report["users"])
    assert not any(str(i) == u["user"] for i in ids for u in report["users"])


def test_pseudonyms_are_stable_per_key_and_differ_across_keys(services: Services) -> None:
    _seed(services)
    first = analytics_report(services.sessions, b"k" * 32)["users"]
    again = analytics_report(services.sessions, b"k" * 32)["users"]
    other = analytics_report(services.sessions, b"x" * 32)["users"]
    assert [u["user"] for u in first] == [u["user"] for u in again]
    assert not {u["user"] for u in first} & {u["user"] for u in other}
