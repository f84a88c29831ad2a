"""Where a benchmark run's figures are kept: `benchmarks/results/<name>-<UTC date>-<commit>.json`.

Each file holds the figures with the date, the commit (marked `-dirty` when the tree had
changes) and the machine they were measured on, so the docs can render the latest and git keeps
the history.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"


def commit() -> str:
    """The short commit of the checkout, `-dirty` if it has uncommitted changes."""
    root = Path(__file__).resolve().parents[1]

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=False
        ).stdout.strip()

    short = git("rev-parse", "--short", "HEAD") or "unknown"
    return f"{short}-dirty" if git("status", "--porcelain", "--untracked-files=no") else short


def machine() -> dict[str, Any]:
    """What the figures were measured on (no host name: results are committed)."""
    return {
        "cpus": os.cpu_count(),
        "cpu": platform.processor() or platform.machine(),
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "load_average_1m": round(os.getloadavg()[0], 1),
    }


def write_results(name: str, figures: dict[str, Any], folder: Path = RESULTS) -> Path:
    """Write `figures` with date, commit and machine; the file's path."""
    now = datetime.now(UTC)
    revision = commit()
    document = {
        "benchmark": name,
        "date": now.isoformat(timespec="seconds"),
        "commit": revision,
        "machine": machine(),
        **figures,
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-{now:%Y-%m-%d}-{revision}.json"
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path
