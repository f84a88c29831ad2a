"""Benchmark results as data: each run writes `benchmarks/results/<name>-<UTC date>-<commit>.json`.

The file holds the figures with when (UTC), on what commit and on which machine they were measured,
so the history lives in git and the docs can render the latest table.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def commit() -> str:
    """The short hash of the checked-out commit (with `-dirty` for uncommitted changes)."""
    root = Path(__file__).resolve().parents[1]
    try:
        short = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{short}-dirty" if dirty else short


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    return {
        "system": platform.system(),
        "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }


def write_results(name: str, figures: dict[str, Any], folder: Path = RESULTS) -> Path:
    """Write one run's figures with date, commit and machine; returns the file."""
    now = datetime.now(UTC)
    revision = commit()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-{now:%Y-%m-%d}-{revision}.json"
    document = {
        "benchmark": name,
        "date": now.isoformat(timespec="seconds"),
        "commit": revision,
        "machine": machine(),
        "results": figures,
    }
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path
