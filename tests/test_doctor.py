"""`memadvisor doctor`: every check healthy, and broken in each way, with its fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.model.capabilities import capabilities
from cli.doctor import (
    check_chinese,
    check_database,
    check_json,
    check_model,
    check_redis,
    check_sign_in,
    check_vector_store,
)
from cli.main import app as cli
from memadvisor.settings import DEFAULT_SECRET_KEY, Settings
from memory.storage.db import upgrade
from tests.fakes.models import scripted
from tests.jobs.servers import RedisServer
from tests.ports import free_port


@pytest.fixture
def bundled(settings: Settings) -> Settings:
    """The default set-up: the bundled model's own declaration (English only)."""
    return settings.model_copy(update={"llm_languages": None})


def test_database_migrated_unmigrated_and_unreachable(settings: Settings) -> None:
    fresh = check_database(settings)
    assert fresh.status == "fail" and fresh.fix == "run `memadvisor db upgrade`"
    upgrade(settings.sqlalchemy_url)
    assert check_database(settings).status == "ok"
    down = settings.model_copy(
        update={"database_url": f"mysql+pymysql://u:pw@127.0.0.1:{free_port()}/x"}
    )
    broken = check_database(down)
    assert broken.status == "fail" and "MEMADVISOR_DATABASE_URL" in broken.fix
    assert "pw" not in broken.detail


def test_vector_store_embedded_and_server_down(settings: Settings) -> None:
    assert check_vector_store(settings).status == "ok"
    port = free_port()
    broken = check_vector_store(
        settings.model_copy(update={"chroma_url": f"http://127.0.0.1:{port}"})
    )
    assert broken.status == "fail" and f"chroma run --path /srv/chroma --port {port}" in broken.fix


def test_model_there_missing_and_unreachable(bundled: Settings, tmp_path: Path) -> None:
    ok = check_model(bundled, capabilities(bundled))
    assert ok.status == "ok" and "demo" in ok.detail
    missing = bundled.model_copy(update={"llamacpp_model_path": tmp_path / "gone.gguf"})
    assert check_model(missing, capabilities(missing)).status == "fail"
    ollama = bundled.model_copy(
        update={"llm_provider": "ollama", "ollama_base_url": f"http://127.0.0.1:{free_port()}"}
    )
    broken = check_model(ollama, capabilities(ollama))
    assert broken.status == "fail" and "ollama serve" in broken.fix


def test_json_round_trip_valid_and_invalid(bundled: Settings) -> None:
    caps = capabilities(bundled)
    good = scripted([json.dumps({"city": "Lyon", "country": "France"})])
    assert check_json(good, caps).status == "ok"
    bad = scripted(["Lyon is nice", "still not JSON"])
    broken = check_json(bad, caps)
    assert broken.status == "fail" and "MEMADVISOR_LLM_STRUCTURED_OUTPUT" in broken.fix


def test_chinese_round_trip_fluent_gibberish_and_declared_english_only(
    settings: Settings, bundled: Settings
) -> None:
    caps = capabilities(settings)  # declared to write Chinese
    fluent = scripted(["杭州是浙江省的省会，以西湖闻名。"])
    assert check_chinese(fluent, caps, settings).status == "ok"
    looping = scripted(["美食巨多，每日活动！美食巨多，每日活动！美食巨多，每日活动！"])
    assert check_chinese(looping, caps, settings).status == "fail"
    english = scripted(["Hangzhou is a city in China."])
    broken = check_chinese(english, caps, settings)
    assert broken.status == "fail" and "MEMADVISOR_LLM_LANGUAGES" in broken.fix
    demo = check_chinese(scripted([]), capabilities(bundled), bundled)
    assert demo.status == "warn" and "MEMADVISOR_LLAMACPP_MODEL=qwen2.5-coder-0.5b" in demo.fix


def test_the_development_secret_and_user_are_loud_warnings(settings: Settings) -> None:
    """With the public default secret anyone can mint a token for any account, for ten years."""
    public = check_sign_in(settings.model_copy(update={"secret_key": DEFAULT_SECRET_KEY}))
    assert public.status == "warn" and public.loud
    assert "sign a token for any account" in public.detail and "generate-keys" in public.fix
    own = settings.model_copy(update={"secret_key": "s" * 48})
    assert check_sign_in(own).status == "ok"
    anyone = check_sign_in(own.model_copy(update={"dev_user": "demo"}))
    assert anyone.status == "warn" and anyone.loud and "'demo'" in anyone.detail


def test_redis_skipped_reachable_and_down(settings: Settings, tmp_path: Path) -> None:
    assert check_redis(settings).status == "skip"
    celery = settings.model_copy(update={"jobs": "celery"})
    down = celery.model_copy(update={"redis_url": f"redis://:pw@127.0.0.1:{free_port()}/0"})
    broken = check_redis(down)
    assert broken.status == "fail" and "redis-server" in broken.fix and "pw" not in broken.detail
    server = RedisServer(tmp_path / "redis")
    server.start()
    try:
        assert check_redis(celery.model_copy(update={"redis_url": server.url})).status == "ok"
    finally:
        server.stop()


def test_the_command_prints_each_fix_and_fails(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MEMADVISOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MEMADVISOR_CHROMA_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("MEMADVISOR_LLAMACPP_MODEL_PATH", str(tmp_path / "missing.gguf"))
    from memadvisor.settings import get_settings

    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["doctor"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1, result.output
    assert "fix: run `memadvisor db upgrade`" in result.output
    assert "chroma run" in result.output and "does not exist" in result.output
    assert "Redis for Celery" in result.output
    assert "public development default" in result.output  # the settings' default secret
