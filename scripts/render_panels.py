"""Draw the overview dashboard's panels from Prometheus data saved by the monitoring test.

    MEMADVISOR_PANEL_SNAPSHOT=/tmp/panels.json .venv/bin/python -m pytest
        tests/test_monitoring.py -k real_prometheus          # (one command line)
    .venv/bin/python -m scripts.render_panels /tmp/panels.json docs/images/monitoring-overview.png

Grafana is not installable on the machine this project is built on, so the docs show this
instead of a screenshot: the same panels (titles, queries, units, layout by section) drawn with
matplotlib from what a real Prometheus answered for each panel's query during the test's scripted
traffic. A development tool (matplotlib is in the `dev` group), not part of the product.
"""

from __future__ import annotations

import argparse
import json
import math
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from matplotlib import rcParams
from matplotlib.axes import Axes
from matplotlib.figure import Figure

FONTS = ["Noto Sans CJK SC", "Noto Sans CJK JP", "DejaVu Sans"]
COLUMNS = 4
BACKGROUND = "#111217"
PANEL = "#181b1f"
TEXT = "#ccccdc"
PALETTE = ["#73bf69", "#f2cc0c", "#5794f2", "#ff9830", "#f2495c", "#b877d9", "#8ab8ff", "#ffcb7d"]


def legend(template: str, labels: dict[str, str]) -> str:
    """Grafana's `{{label}}` legend, filled in."""
    text = re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: labels.get(m.group(1), ""), template)
    return text or ", ".join(f"{k}={v}" for k, v in labels.items() if k != "__name__") or "value"


def formatted(value: float, unit: str) -> str:
    """A stat panel's value in its unit."""
    if math.isnan(value):
        return "NaN"
    if unit == "percentunit":
        return f"{value:.0%}"
    if unit == "s":
        return f"{value * 1000:.0f} ms" if abs(value) < 1 else f"{value:.1f} s"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:.2f}"


def draw_timeseries(ax: Axes, panel: dict[str, Any], start: float) -> None:
    """Lines over minutes since the start of the run."""
    colour = 0
    for query in panel["queries"]:
        for series in query["series"]:
            points = [(float(t), float(v)) for t, v in series["values"]]
            points = [(t, v) for t, v in points if not math.isnan(v)]
            if not points:
                continue
            xs = [(t - start) / 60 for t, _ in points]
            ys = [v * (100 if panel["unit"] == "percentunit" else 1) for _, v in points]
            name = legend(query["legend"], series["metric"])
            ax.plot(xs, ys, color=PALETTE[colour % len(PALETTE)], linewidth=1.4, label=name)
            colour += 1
    if colour:
        ax.legend(loc="upper left", fontsize=6, frameon=False, labelcolor=TEXT, ncol=2)
    suffix = {"s": " (s)", "percentunit": " (%)", "reqps": " (/s)"}.get(panel["unit"], "")
    ax.set_xlabel("minutes" + suffix, fontsize=6, color=TEXT)
    ax.tick_params(colors=TEXT, labelsize=6)
    ax.grid(color="#2c3235", linewidth=0.5)


def draw_stat(ax: Axes, panel: dict[str, Any]) -> None:
    """The latest value of each series, side by side."""
    values = [
        (legend(query["legend"], series["metric"]), float(series["value"][1]))
        for query in panel["queries"]
        for series in query["series"]
    ]
    ax.set_axis_off()
    for index, (name, value) in enumerate(values[:6]):
        x = (index + 0.5) / max(1, min(len(values), 6))
        ax.text(
            x,
            0.55,
            formatted(value, panel["unit"]),
            ha="center",
            va="center",
            fontsize=15 if len(values) < 4 else 11,
            color=PALETTE[index % len(PALETTE)],
            fontweight="bold",
            transform=ax.transAxes,
        )
        ax.text(
            x, 0.18, name, ha="center", va="center", fontsize=6, color=TEXT, transform=ax.transAxes
        )


def render(snapshot: dict[str, Any], out: Path) -> None:
    """One figure: a band per section, its panels in a grid of `COLUMNS`."""
    rcParams["font.sans-serif"] = FONTS
    rcParams["axes.unicode_minus"] = False
    rows: list[tuple[str, list[dict[str, Any]]]] = []
    for section in snapshot["sections"]:
        panels = section["panels"]
        for start in range(0, len(panels), COLUMNS):
            title = section["title"] if start == 0 else ""
            rows.append((title, panels[start : start + COLUMNS]))
    figure = Figure(figsize=(16, 2.45 * len(rows) + 0.8), facecolor=BACKGROUND)
    grid = figure.add_gridspec(
        len(rows), COLUMNS, hspace=0.75, wspace=0.18, top=0.95, bottom=0.02, left=0.03, right=0.99
    )
    taken = datetime.fromtimestamp(snapshot["end"], UTC).strftime("%Y-%m-%d %H:%M UTC")
    minutes = (snapshot["end"] - snapshot["start"]) / 60
    figure.suptitle(
        f"MemAdvisor overview · 总览 — drawn from a real Prometheus ({minutes:.0f} min of test "
        f"traffic, {taken}); not a Grafana screenshot",
        color=TEXT,
        fontsize=11,
        y=0.985,
    )
    for row, (title, panels) in enumerate(rows):
        for column, panel in enumerate(panels):
            ax = figure.add_subplot(grid[row, column], facecolor=PANEL)
            for spine in ax.spines.values():
                spine.set_color("#2c3235")
            heading = f"{title}\n" if title and column == 0 else "\n"
            ax.set_title(heading + panel["title"], loc="left", fontsize=8, color=TEXT)
            if panel["kind"] == "stat":
                draw_stat(ax, panel)
            else:
                draw_timeseries(ax, panel, snapshot["start"])
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=110, facecolor=BACKGROUND)


def main(argv: list[str] | None = None) -> None:
    """Read the snapshot, write the picture."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("snapshot", type=Path, help="JSON written by tests/test_monitoring.py")
    parser.add_argument("out", type=Path, help="the PNG to write")
    args = parser.parse_args(argv)
    render(json.loads(args.snapshot.read_text(encoding="utf-8")), args.out)


if __name__ == "__main__":
    main()
