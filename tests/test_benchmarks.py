"""The benchmarks keep their contract: one JSON object on the last line, nothing left behind."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

from benchmarks import locomo, scale

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


def _last_json(text: str) -> dict[str, object]:
    result: dict[str, object] = json.loads(text.strip().splitlines()[-1])
    return result


def _leftovers(prefix: str) -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob(f"{prefix}*")}


def test_locomo_benchmark_on_the_bilingual_set(capsys: pytest.CaptureFixture[str]) -> None:
    before = _leftovers("memadvisor-bench-")
    locomo.main(["--data", str(ROOT / "benchmarks" / "data" / "bilingual"), "--k", "5", "10"])
    result = _last_json(capsys.readouterr().out)
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


def test_scale_benchmark_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    scale.main(["--sizes", "100", "300", "--users", "5", "--queries", "3"])
    result = _last_json(capsys.readouterr().out)
    sizes = result["sizes"]
    assert isinstance(sizes, dict) and set(sizes) == {"100", "300"}
    assert {"search_p50_ms", "search_p95_ms", "disk_mb", "peak_rss_mb"} <= set(sizes["300"])
