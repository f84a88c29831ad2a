"""The understanding benchmark keeps its contract on a small slice: one JSON line, every figure."""

from __future__ import annotations

import json

import pytest

from benchmarks import understanding


def test_benchmark_on_a_slice(capsys: pytest.CaptureFixture[str]) -> None:
    understanding.main(["--part", "dev", "--limit", "12", "--no-write"])
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    part = result["parts"]["dev"]
    assert part["messages"] == 12
    for language in ("en", "all"):
        figures = part["tiers"]["rules"][language]
        assert set(figures["kinds"]) == {
            "fact",
            "preference",
            "goal",
            "event",
            "measurement",
            "forget",
        }
        assert {"value_accuracy", "matched"} <= set(figures["records"])
        assert {"question", "small_talk"} == set(figures["acts"])
        assert isinstance(figures["records_from_traps"], int)
    assert part["rules_p95_ms"] >= part["rules_p50_ms"] > 0
    assert {"import_s", "rss_added_mb"} <= set(result["speed"])


def test_results_file_has_date_commit_and_machine(tmp_path: object) -> None:
    from pathlib import Path

    from benchmarks.results import write_results

    path = write_results("example", {"x": 1}, folder=Path(str(tmp_path)))
    document = json.loads(path.read_text())
    assert {"date", "commit", "machine", "results"} <= set(document)
    assert path.name.startswith("example-") and document["results"] == {"x": 1}
