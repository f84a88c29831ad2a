"""Keep each benchmark run as data: one JSON file per run in `benchmarks/results/`.

A run's figures depend on the code and on the machine (this project's machines vary in speed by
the hour), so each file says which commit ran where and when, besides what was measured:

    {"benchmark": "locomo", "date": "2026-12-01", "started": "...Z", "finished": "...Z",
     "commit": "24b1abd", "dirty": false,
     "machine": {"cores": 2, "memory_gib": 23.4, "cpu": "...", "system": "Linux 6.18",
                 "load_average": [0.4, 0.3, 0.2]},
     "command": "python -m benchmarks.locomo --data ...", "options": {...}, "figures": {...}}

`figures` is exactly the JSON object the benchmark prints. The file is named
`<benchmark>-<UTC date>-<short commit>.json` (`-2`, `-3`, ... for later runs of the same day and
commit). The docs render the latest run of each configuration from these files
(`benchmarks.report`); git keeps the history.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Start:
    """When a run began and how busy the machine was then (the load average moves with the run)."""

    time: datetime = field(default_factory=lambda: datetime.now(UTC))
    load_average: tuple[float, ...] = field(
        default_factory=lambda: tuple(round(x, 2) for x in os.getloadavg())
    )


def add_results_argument(parser: argparse.ArgumentParser) -> None:
    """The `--results-dir` option every benchmark takes."""
    parser.add_argument(
        "--results-dir",
        type=Path,
        default=RESULTS_DIR,
        help=f"where the run's JSON file goes (default: {RESULTS_DIR.relative_to(ROOT)})",
    )


def commit() -> tuple[str, bool | None]:
    """The checkout's short commit, and whether tracked files differ from it ("unknown": no git)."""

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True, timeout=30
        )
        return done.stdout.strip()

    try:
        return git("rev-parse", "--short", "HEAD"), bool(
            git("status", "--porcelain", "--untracked-files=no")
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown", None


def machine(start: Start) -> dict[str, Any]:
    """Cores, memory, CPU model and system of this machine, and its load when the run began."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count() or 0
    return {
        "cores": usable,
        "memory_gib": _memory_gib(),
        "cpu": _cpu_model(),
        "system": f"{platform.system()} {platform.release()}",
        "load_average": list(start.load_average),
    }


def _memory_gib() -> float | None:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        return None


def _cpu_model() -> str | None:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine() or None


def _jsonable(options: Mapping[str, Any]) -> dict[str, Any]:
    return {key: str(value) if isinstance(value, Path) else value for key, value in options.items()}


def save(
    benchmark: str,
    figures: Mapping[str, Any],
    args: argparse.Namespace,
    argv: Sequence[str] | None,
    start: Start,
) -> Path:
    """Write one run's file into `args.results_dir` (never over another run's); say where on stderr.

    `args` are the parsed options (kept as the run's `options`), `argv` the command line they came
    from (`None`: this process's).
    """
    options = {k: v for k, v in vars(args).items() if k != "results_dir"}
    results_dir: Path = args.results_dir
    sha, dirty = commit()
    finished = datetime.now(UTC)
    document = {
        "benchmark": benchmark,
        "date": start.time.date().isoformat(),
        "started": start.time.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "finished": finished.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "commit": sha,
        "dirty": dirty,
        "machine": machine(start),
        "command": shlex.join(
            ["python", "-m", f"benchmarks.{benchmark}", *(sys.argv[1:] if argv is None else argv)]
        ),
        "options": _jsonable(options),
        "figures": dict(figures),
    }
    results_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{benchmark}-{document['date']}-{sha}"
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    for number in range(1, 1000):
        path = results_dir / (f"{stem}.json" if number == 1 else f"{stem}-{number}.json")
        try:
            with path.open("x", encoding="utf-8") as out:
                out.write(text)
        except FileExistsError:
            continue
        print(f"results: {path}", file=sys.stderr)
        return path
    raise FileExistsError(f"{results_dir}: too many runs of {stem}")
