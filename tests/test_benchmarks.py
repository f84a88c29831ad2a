"""The benchmarks keep their contract: one JSON object on the last line, kept as a results file
with the run's date, commit and machine, nothing else left behind."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

from agent.evaluation.datasets import BILINGUAL
from benchmarks import load, locomo, scale

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


def _last_json(text: str) -> dict[str, object]:
    result: dict[str, object] = json.loads(text.strip().splitlines()[-1])
    return result


def _leftovers(prefix: str) -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob(f"{prefix}*")}


def _kept(results: Path, benchmark: str, printed: dict[str, object]) -> None:
    """The run's results file holds what was printed, with its date, commit and machine."""
    [path] = results.glob(f"{benchmark}-*.json")
    kept = json.loads(path.read_text(encoding="utf-8"))
    assert kept["benchmark"] == benchmark and kept["figures"] == printed
    assert path.name == f"{benchmark}-{kept['date']}-{kept['commit']}.json"
    assert kept["machine"]["cores"] >= 1 and kept["machine"]["memory_gib"] > 0
    assert kept["started"] <= kept["finished"] and "results_dir" not in kept["options"]


def test_locomo_benchmark_on_the_bilingual_set(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    before = _leftovers("memadvisor-bench-")
    locomo.main(["--data", str(BILINGUAL), "--k", "5", "10", "--results-dir", str(tmp_path)])
    result = _last_json(capsys.readouterr().out)
    _kept(tmp_path, "locomo", result)
    for key in (
        "recall@5",
        "recall@10",
        "questions",
        "ingest_per_s",
        "search_p50_ms",
        "search_p95_ms",
    ):
        assert key in result
    assert result["questions"] == 43
    assert isinstance(result["recall@5"], float) and result["recall@5"] >= 0.7
    assert "adversarial_above_threshold" in result
    assert _leftovers("memadvisor-bench-") == before


def test_scale_benchmark_smoke(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    small = ["--sizes", "100", "300", "--users", "5", "--queries", "3"]
    scale.main([*small, "--results-dir", str(tmp_path)])
    result = _last_json(capsys.readouterr().out)
    _kept(tmp_path, "scale", result)
    sizes = result["sizes"]
    assert isinstance(sizes, dict) and set(sizes) == {"100", "300"}
    assert {
        "search_p50_ms",
        "search_p95_ms",
        "search_after_write_p95_ms",
        "write_p95_ms",
        "disk_mb",
        "rss_mb",
    } <= set(sizes["300"])


def test_load_benchmark_short_run_loses_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    before = _leftovers("memadvisor-load-")
    load.main(["--users", "10", "--seconds", "15", "--results-dir", str(tmp_path)])
    result = _last_json(capsys.readouterr().out)
    _kept(tmp_path, "load", result)
    assert result["errors"] == 0, result["error_kinds"]
    assert isinstance(result["turns"], int) and result["turns"] >= 10
    assert result["turns_missing_in_sql"] == 0
    assert result["lost_turns"] == result["hangs"] == result["turns_left_pending"] == 0
    assert result["health_p95_ms"] > 0 and result["me_p95_ms"] > 0
    assert result["memories_missing_in_sql"] == 0
    assert isinstance(result["server_retrieval_p95_ms"], float)
    assert result["memories_not_indexed"] == 0
    assert result["users_with_vector_count_mismatch"] == 0
    assert result["vectors"] == result["memories_in_sql"] >= result["turns"]
    assert result["job_failures"] == 0
    assert {"turns_per_s", "turn_p50_ms", "turn_p95_ms", "index_drain_s"} <= set(result)
    assert _leftovers("memadvisor-load-") == before


def test_results_are_written_with_date_commit_and_machine(tmp_path: Path) -> None:
    from benchmarks.results import write_results

    path = write_results("models", {"chat": {"zh": 1}}, folder=tmp_path)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert path.name == f"models-{document['date'][:10]}-{document['commit']}.json"
    assert document["benchmark"] == "models" and document["results"]["chat"] == {"zh": 1}
    assert document["machine"]["cpus"] and len(document["commit"]) >= 7


def test_the_side_by_side_benchmark_judges_language_and_use_of_memory() -> None:
    from benchmarks.models import _chat_figures, in_language

    assert in_language("杭州是浙江的省会。", "zh") and not in_language("Hangzhou is a city.", "zh")
    assert in_language("Bao is your dog.", "en") and not in_language("你的狗叫豆豆。", "en")
    rows = [
        {"language": "zh", "by_model": True, "in_language": True, "grounded": True,
         "uses_memory": True, "repeats": False, "first_token_s": 1.0, "seconds": 2.0},
        {"language": "zh", "by_model": False, "in_language": True, "grounded": False,
         "uses_memory": False, "repeats": False, "first_token_s": 0.1, "seconds": 0.1},
    ]  # fmt: skip
    figures = _chat_figures(rows)["zh"]
    assert figures["answered_by_model"] == 0.5 and figures["grounded_uses_memory"] == 1.0
    assert figures["first_token_p50_s"] == 1.0
