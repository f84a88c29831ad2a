"""The retrieval canary: the same recall@5 as the benchmark, stored in SQL, exported as gauges."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from agent.evaluation.datasets import BILINGUAL
from agent.evaluation.retrieval import Scored
from agent.services import build_services
from api.main import create_app
from benchmarks import locomo
from cli.main import app
from memadvisor.settings import Settings, get_settings


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("MEMADVISOR_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


def _scored(language: str, evidence: set[str]) -> Scored:
    return Scored(1, language, frozenset(evidence), {5: 1.0}, 0.9, 1.0)  # type: ignore[arg-type]


def test_questions_are_sliced_by_the_languages_of_question_and_evidence() -> None:
    assert _scored("zh", {"zh"}).slice == "zh"
    assert _scored("en", {"en"}).slice == "en"
    assert _scored("zh", {"en"}).slice == "cross"
    assert _scored("en", {"en", "zh"}).slice == "cross"


@pytest.mark.slow
def test_eval_retrieval_prints_the_benchmarks_recall_stores_the_run_and_exports_it(
    data_dir: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    result = CliRunner().invoke(app, ["eval-retrieval", "--json"])
    assert result.exit_code == 0, result.output
    canary = json.loads(result.output.strip().splitlines()[-1])

    locomo.main(["--data", str(BILINGUAL), "--k", "5", "--results-dir", str(tmp_path / "results")])
    benchmark = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert canary["recall@5"] == benchmark["recall@5"] >= 0.7
    questions = canary["questions"]
    assert questions["all"] == benchmark["questions"] == 43
    assert questions["zh"] + questions["en"] + questions["cross"] == 43
    assert min(questions["zh"], questions["en"], questions["cross"]) > 0
    assert canary["recall@5_cross"] is not None and canary["seconds"] > 0

    settings = Settings(_env_file=None, data_dir=data_dir, metrics_sql_cache_seconds=0)
    services = build_services(settings, inline_jobs=True)
    try:
        [run] = services.evaluations.latest()
        assert (run.trigger, run.dataset, run.questions) == ("cli", "bilingual", 43)
        with TestClient(create_app(services=services)) as client:
            page = client.get("/metrics").text
    finally:
        services.close()
    recall = {
        sample.labels["slice"]: sample.value
        for family in text_string_to_metric_families(page)
        for sample in family.samples
        if sample.name == "memadvisor_retrieval_canary_recall_at_5"
    }
    assert round(recall["all"], 4) == canary["recall@5"]
    assert set(recall) == {"all", "zh", "en", "cross"}
