"""The `memadvisor` command line on the embedded defaults."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli.main import app
from memadvisor.settings import get_settings

runner = CliRunner()


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("MEMADVISOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MEMADVISOR_LLM_MAX_TOKENS", "24")
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


def test_db_upgrade_creates_the_sqlite_file(data_dir: Path) -> None:
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert (data_dir / "memadvisor.db").is_file()
    assert "head" in result.output


@pytest.mark.slow
def test_chat_remembers_then_lists_searches_and_reindexes() -> None:
    chat = runner.invoke(
        app,
        ["chat", "--user", "alice"],
        input="I live in Hangzhou\n/new\nWhere do I live?\n/quit\n",
    )
    assert chat.exit_code == 0, chat.output
    assert "advisor>" in chat.output
    assert "(recalled 1 memories)" in chat.output

    listed = runner.invoke(app, ["memories", "--user", "alice", "--query", "home city"])
    assert listed.exit_code == 0 and "I live in Hangzhou" in listed.output

    reconciled = runner.invoke(app, ["reindex"])
    assert reconciled.exit_code == 0, reconciled.output
    assert "Indexed 0 owed, removed 0 orphaned; the vector index holds 1." in reconciled.output
    rebuilt = runner.invoke(app, ["reindex", "--full"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "Indexed 1 memories; the vector index holds 1." in rebuilt.output


def test_reindex_full_rebuilds_a_collection_built_for_another_distance(data_dir: Path) -> None:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.PersistentClient(
        path=str(data_dir / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
    )
    client.create_collection("memories", metadata={"hnsw:space": "cosine"})
    result = runner.invoke(app, ["reindex", "--full"])
    assert result.exit_code == 0, result.output
    assert "Indexed 0 memories; the vector index holds 0." in result.output


@pytest.mark.parametrize(("setting", "threads"), [(None, 0), ("1", 1)])
def test_reindex_embeds_on_every_core_at_once_unless_the_setting_says_otherwise(
    setting: str | None, threads: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import agent.services

    build = agent.services.build_services
    used: list[tuple[int, bool]] = []

    def spy(settings: Any, **kwargs: Any) -> Any:
        used.append((settings.index_threads, settings.index_when_idle))
        return build(settings, **kwargs)

    monkeypatch.setattr(agent.services, "build_services", spy)
    if setting is not None:
        monkeypatch.setenv("MEMADVISOR_INDEX_THREADS", setting)
        get_settings.cache_clear()
    result = runner.invoke(app, ["reindex"])
    assert result.exit_code == 0, result.output
    assert used == [(threads, False)]  # a bulk job does not wait for idle cores


def test_memories_of_an_unknown_user_is_a_clear_error() -> None:
    result = runner.invoke(app, ["memories", "--user", "nobody"])
    assert result.exit_code == 2
    assert "no user named 'nobody'" in result.output


def test_import_needs_consent_reports_rejected_rows_and_indexes_the_rest(tmp_path: Path) -> None:
    data = tmp_path / "health.csv"
    data.write_text(
        "data_type,recorded_at,steps,sleep_hours\n"
        "health,2026-11-20,3000,6\n"
        "health,2026-11-21,abc,6\n"
        "finance,2026-11-21,,\n",
        encoding="utf-8",
    )
    refused = runner.invoke(app, ["import", str(data), "--user", "carol"])
    assert refused.exit_code == 1, refused.output
    assert "no consent for health" in refused.output

    assert runner.invoke(app, ["consent", "health", "--user", "carol"]).exit_code == 0
    strict = runner.invoke(app, ["import", str(data), "--user", "carol", "--strict"])
    assert strict.exit_code == 1 and "Nothing written" in strict.output

    result = runner.invoke(app, ["import", str(data), "--user", "carol"])
    assert result.exit_code == 0, result.output
    assert "row 2" in result.output and "steps" in result.output
    assert "row 3" in result.output and "give at least one of" in result.output
    assert "Imported 1 records, rejected 2" in result.output

    listed = runner.invoke(app, ["memories", "--user", "carol", "--query", "steps"])
    assert "3000" in listed.output


def test_import_reads_apple_health_with_a_bar_and_maps_any_csv(tmp_path: Path) -> None:
    export = Path(__file__).parent / "fixtures" / "apple_health_export.xml"
    assert runner.invoke(app, ["consent", "health", "--user", "dan"]).exit_code == 0
    result = runner.invoke(app, ["import", str(export), "--user", "dan"])
    assert result.exit_code == 0, result.output
    assert "Reading apple_health_export.xml" in result.output and "6086/6086" in result.output
    assert "not imported: ActiveEnergyBurned (1 samples)" in result.output
    assert "Imported 4 records, rejected 2" in result.output
    again = runner.invoke(app, ["import", str(export), "--user", "dan"])
    assert "(4 from a former import replaced)" in again.output

    bp = tmp_path / "bp.csv"
    bp.write_text("Date,Sys,Dia,Mood\n2026-11-01,150,96,ok\n", encoding="utf-8")
    mapped = runner.invoke(
        app,
        [
            "import",
            str(bp),
            "--user",
            "dan",
            "--map",
            "Date=recorded_at,Sys=systolic_bp,Dia=diastolic_bp",
        ],
    )
    assert mapped.exit_code == 0, mapped.output
    assert "Imported 1 records" in mapped.output and "not mapped): Mood" in mapped.output
    wrong = runner.invoke(app, ["import", str(bp), "--user", "dan", "--map", "Sys=blood"])
    assert wrong.exit_code == 2 and "has no field blood" in wrong.output


def test_import_a_locked_bill_with_its_password_as_a_dry_run_then_for_real(tmp_path: Path) -> None:
    from tests.memory.bill_files import locked_zip, wechat_xlsx

    bill = tmp_path / "微信支付账单.zip"
    bill.write_bytes(locked_zip("微信支付账单(20250101-20250331).xlsx", wechat_xlsx(), "428571"))
    assert runner.invoke(app, ["consent", "finance", "--user", "erin"]).exit_code == 0
    locked = runner.invoke(app, ["import", str(bill), "--user", "erin", "--lang", "zh"])
    assert locked.exit_code == 1 and "这个微信支付账单无法导入" in locked.output
    args = ["import", str(bill), "--user", "erin", "--password", "428571"]
    preview = runner.invoke(app, [*args, "--dry-run"])
    assert preview.exit_code == 0, preview.output
    assert "wechat_pay: 6 records (6 finance), 2025-01-01 to 2025-03-01." in preview.output
    assert "income 500.00, expenses 224.70" in " ".join(preview.output.split())
    assert "Dry run: nothing written" in preview.output and "428571" not in preview.output
    result = runner.invoke(app, args)
    assert result.exit_code == 0 and "Imported 6 records" in result.output


def test_finetune_export_without_consenting_users_and_adapters_listing(tmp_path: Path) -> None:
    assert runner.invoke(app, ["consent", "model_training", "--user", "ann"]).exit_code == 0
    out = tmp_path / "export"
    exported = runner.invoke(app, ["finetune", "export", "--out", str(out), "--no-teacher"])
    assert exported.exit_code == 0, exported.output
    assert "Wrote 0 examples" in exported.output  # ann consented but approved nothing yet
    assert (out / "train.jsonl").read_text() == "" and (out / "dataset.json").is_file()
    listed = runner.invoke(app, ["finetune", "adapters", "--stale"])
    assert listed.exit_code == 0 and "No stale adapters." in listed.output


def test_loading_the_cli_leaves_the_metrics_unloaded() -> None:
    """`memadvisor worker` sets prometheus_client's multi-process folder before importing it, so
    no command module may load the metrics when the CLI is imported (import them in commands)."""
    check = "import sys, cli.main; sys.exit('prometheus_client' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", check], check=False).returncode == 0
