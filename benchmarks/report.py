"""The latest figures of each benchmark, as Markdown tables read from `benchmarks/results/`.

    python -m benchmarks.report [locomo|scale|load|advice]

Each benchmark's runs are grouped by configuration (the data set and method, the store's shape,
the load's users and model, the model and adapter), and the latest run of each configuration is
one row. The docs' benchmarks page is built from these tables (`scripts/docs_hooks.py`), so no
figure is typed into prose. A seeded file may give one figure for several runs as a `[low, high]`
range (`"runs": 2`); it is shown as `low–high`.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.record import RESULTS_DIR

DATA_SETS = {"locomo-dev": "LoCoMo dev", "bilingual": "bilingual zh/en"}


@dataclass(frozen=True)
class Result:
    """One results file."""

    path: Path
    benchmark: str
    date: str
    started: str | None
    commit: str
    dirty: bool | None
    machine: dict[str, Any]
    options: dict[str, Any]
    figures: dict[str, Any]
    runs: int = 1
    note: str | None = None

    @property
    def order(self) -> tuple[str, str, int]:
        """Oldest first: by date, start time, then the `-N` suffix of runs of the same day."""
        suffix = re.search(r"-(\d+)$", self.path.stem)
        return self.date, self.started or "", int(suffix.group(1)) if suffix else 1

    @classmethod
    def read(cls, path: Path) -> Result:
        """Parse a results file (see `benchmarks.record`)."""
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            path=path,
            benchmark=data["benchmark"],
            date=data["date"],
            started=data.get("started"),
            commit=data["commit"],
            dirty=data.get("dirty"),
            machine=data.get("machine") or {},
            options=data.get("options") or {},
            figures=data["figures"],
            runs=data.get("runs", 1),
            note=data.get("note"),
        )


def load_results(results_dir: Path = RESULTS_DIR) -> list[Result]:
    """Every results file, oldest first."""
    return sorted((Result.read(p) for p in results_dir.glob("*.json")), key=lambda r: r.order)


RowSource = tuple[tuple[Any, ...], tuple[str, ...], dict[str, Any]]
"""What a benchmark makes of a run: a configuration's key, the cells naming it, its figures."""


@dataclass(frozen=True)
class Row:
    """One configuration's latest figures, with the run they come from."""

    key: tuple[Any, ...]
    labels: tuple[str, ...]
    figures: dict[str, Any]
    result: Result


@dataclass(frozen=True)
class Column:
    """A cell from one or more figures (joined by " / "), rounded to `digits`."""

    header: str
    keys: tuple[str, ...]
    digits: int = 1

    def cell(self, figures: dict[str, Any]) -> str:
        """The formatted figures; a dash for one this run did not record."""
        return " / ".join(_format(_lookup(figures, key), self.digits) for key in self.keys)


@dataclass(frozen=True)
class Table:
    """A table of one benchmark: rows from its runs, these columns."""

    title: str
    columns: Sequence[Column]


@dataclass(frozen=True)
class Benchmark:
    """How a benchmark's runs become rows and tables."""

    name: str
    configuration: tuple[str, ...]
    """Headers of the cells that name a configuration."""
    rows: Callable[[Result], Iterable[RowSource]]
    tables: Sequence[Table] = field(default_factory=tuple)
    order: Callable[[tuple[Any, ...]], Any] = lambda key: key
    """Sorts the configurations (by their key)."""

    def latest(self, results: Iterable[Result]) -> list[Row]:
        """The latest row of each configuration."""
        rows: dict[tuple[Any, ...], Row] = {}
        for result in results:
            if result.benchmark != self.name:
                continue
            for key, labels, figures in self.rows(result):
                rows[key] = Row(key, labels, figures, result)
        return sorted(rows.values(), key=lambda row: self.order(row.key))

    def markdown(self, results: Iterable[Result]) -> str:
        """Every table of this benchmark, with the notes of the runs shown."""
        rows = self.latest(results)
        if not rows:
            return f"*No results of `benchmarks.{self.name}` yet.*\n"
        parts = []
        for table in self.tables:
            headers = [*self.configuration, *(c.header for c in table.columns), "run"]
            lines = [
                f"**{table.title}**",
                "",
                "| " + " | ".join(headers) + " |",
                "|" + "---|" * len(headers),
            ]
            for row in rows:
                figures = [c.cell(row.figures) for c in table.columns]
                if all(set(cell) <= set("–/ ") for cell in figures):
                    continue  # this run recorded nothing of this table
                cells = [*row.labels, *figures, _run(row.result)]
                lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
            parts.append("\n".join(lines))
        notes = [f"- {', '.join(row.labels)}: {row.result.note}" for row in rows if row.result.note]
        if notes:
            parts.append("\n".join(notes))
        return "\n\n".join(parts) + "\n"


def _lookup(figures: dict[str, Any], key: str) -> Any:
    value: Any = figures
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _format(value: Any, digits: int) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list) and len(value) == 2:
        low, high = (_format(v, digits) for v in value)
        return low if low == high else f"{low}–{high}"
    if isinstance(value, int | float):
        return f"{value:,.{digits}f}"
    return str(value)


def _run(result: Result) -> str:
    """Date, commit (`+` when tracked files differed from it) and machine of a run."""
    machine = [f"{result.machine['cores']} cores"] if result.machine.get("cores") else []
    if result.machine.get("memory_gib"):
        machine.append(f"{result.machine['memory_gib']:g} GiB")
    if result.machine.get("load_average"):
        machine.append(f"load {result.machine['load_average'][0]:.1f}")
    dirty = "+" if result.dirty else ""
    runs = f", {result.runs} runs" if result.runs > 1 else ""
    return f"{result.date} `{result.commit}{dirty}`{runs}" + (
        f" ({', '.join(machine)})" if machine else ""
    )


def _count(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def _locomo_rows(result: Result) -> Iterable[RowSource]:
    data = Path(str(result.options.get("data", result.figures.get("data", "?")))).name
    embedding = str(result.figures.get("embedding", result.options.get("embedding")))
    method = str(result.options.get("method", "hybrid in threads (the product's)"))
    questions = result.figures.get("questions")
    name = DATA_SETS.get(data, data) + (f" ({_count(questions)} questions)" if questions else "")
    by_category = result.figures.get("recall@5_by_category") or {}
    figures = dict(result.figures)
    figures["by_category"] = (
        ", ".join(f"{name} {value:.3f}" for name, value in by_category.items()) or None
    )
    yield (data, embedding, method), (name, method, embedding), figures


def _scale_rows(result: Result) -> Iterable[RowSource]:
    per_user = result.figures.get("per_user")
    users = result.figures.get("users", 1)
    for size, figures in result.figures.get("sizes", {}).items():
        if per_user:
            yield ("per-user", int(size)), (f"{int(size):,}", "one"), figures
        else:
            yield ("users", users, int(size)), (f"{int(size):,}", f"{users:,}"), figures


def _load_rows(result: Result) -> Iterable[RowSource]:
    figures = result.figures
    model, users, think = figures.get("model"), figures.get("users"), figures.get("think_s") or 0
    pace = f"think {think:g} s" if think else "flat out"
    seconds = figures.get("seconds")
    length = f"{seconds:g} s" if isinstance(seconds, int | float) else "–"
    yield (model, users, think), (str(users), str(model), pace, length), figures


def _advice_rows(result: Result) -> Iterable[RowSource]:
    figures = result.figures
    adapter = figures.get("adapter_id") or "no adapter"
    yield (figures.get("model"), adapter), (str(figures.get("model")), adapter), figures


BENCHMARKS = {
    "locomo": Benchmark(
        "locomo",
        ("data set", "method", "embedding"),
        _locomo_rows,
        (
            Table(
                "Recall: the share of a question's evidence turns found in the top k",
                (
                    Column("recall@5", ("recall@5",), 3),
                    Column("recall@10", ("recall@10",), 3),
                    Column("recall@20", ("recall@20",), 3),
                    Column("search p50 / p95 (ms)", ("search_p50_ms", "search_p95_ms")),
                    Column("ingested per s", ("ingest_per_s",)),
                ),
            ),
            Table("Recall@5 by question category", (Column("by category", ("by_category",)),)),
        ),
        order=lambda key: (key[0] != "locomo-dev", key[2].startswith("dense"), key),
    ),
    "scale": Benchmark(
        "scale",
        ("memories", "users"),
        _scale_rows,
        (
            Table(
                "Search, p50 / p95 in ms (the query embedding is part of every search)",
                (
                    Column("warm search", ("search_p50_ms", "search_p95_ms")),
                    Column(
                        "right after a write",
                        ("search_after_write_p50_ms", "search_after_write_p95_ms"),
                    ),
                    Column("write", ("write_p50_ms", "write_p95_ms")),
                    Column("query embedding", ("query_embedding_p50_ms", "query_embedding_p95_ms")),
                    Column(
                        "a user's first search", ("first_search_p50_ms", "first_search_p95_ms"), 0
                    ),
                    Column("resident MB", ("rss_mb",), 0),
                    Column("index cache MB", ("index_cache_mb",), 0),
                ),
            ),
        ),
        order=lambda key: (key[0] == "per-user", key),
    ),
    "load": Benchmark(
        "load",
        ("users", "model", "pace", "for"),
        _load_rows,
        (
            Table(
                "Throughput and latency as the clients saw it (ms)",
                (
                    Column("turns", ("turns",), 0),
                    Column("turns/s", ("turns_per_s",), 2),
                    Column("turn p50 / p95", ("turn_p50_ms", "turn_p95_ms"), 0),
                    Column(
                        "first token p50 / p95", ("first_token_p50_ms", "first_token_p95_ms"), 0
                    ),
                    Column(
                        "retrieval p50 / p95 (server)",
                        ("server_retrieval_p50_ms", "server_retrieval_p95_ms"),
                    ),
                    Column("`/api/health` p95", ("health_p95_ms",)),
                    Column("`/api/me` p95", ("me_p95_ms",)),
                ),
            ),
            Table(
                "Nothing lost: refusals, errors and the stores checked afterwards",
                (
                    Column("503 / busy", ("refused_503", "busy_errors"), 0),
                    Column("errors", ("errors",), 0),
                    Column("hangs", ("hangs",), 0),
                    Column("lost turns", ("lost_turns",), 0),
                    Column("left pending", ("turns_left_pending",), 0),
                    Column("memories / vectors", ("memories_in_sql", "vectors"), 0),
                    Column("model call mean (ms)", ("server_llm_mean_ms",), 0),
                    Column(
                        "queue wait p50 / p95 (ms)", ("queue_wait_p50_ms", "queue_wait_p95_ms"), 0
                    ),
                ),
            ),
        ),
        order=lambda key: (key[0] != "scripted", -key[2], key[1]),
    ),
    "advice": Benchmark(
        "advice",
        ("model", "adapter"),
        _advice_rows,
        (
            Table(
                "Held-out personas, grammar off, temperature 0",
                (
                    Column("personas", ("personas",), 0),
                    Column("valid JSON", ("valid_json",), 3),
                    Column("after repair", ("valid_after_repair",), 3),
                    Column("problems", ("problems",), 0),
                    Column("addressed (per persona / all)", ("addressed", "addressed_all"), 3),
                    Column("foreign sources", ("foreign_sources",), 0),
                    Column("unknown labels", ("unknown_labels",), 0),
                    Column(
                        "zh valid / addressed",
                        ("by_language.zh.valid_json", "by_language.zh.addressed"),
                        3,
                    ),
                    Column(
                        "en valid / addressed",
                        ("by_language.en.valid_json", "by_language.en.addressed"),
                        3,
                    ),
                    Column("answer cap (tokens)", ("max_tokens",), 0),
                ),
            ),
        ),
        order=lambda key: (key[1] != "no adapter", key),
    ),
}


def markdown(benchmark: str, results_dir: Path = RESULTS_DIR) -> str:
    """The tables of one benchmark's latest runs."""
    if benchmark not in BENCHMARKS:
        raise KeyError(f"no benchmark {benchmark!r}; known: {', '.join(BENCHMARKS)}")
    return BENCHMARKS[benchmark].markdown(load_results(results_dir))


def main(argv: Sequence[str] | None = None) -> None:
    """Print the latest tables of one benchmark or of all."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("benchmark", nargs="*", help=f"any of {', '.join(BENCHMARKS)} (all)")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    unknown = set(args.benchmark) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark: {', '.join(sorted(unknown))}")
    for name in args.benchmark or BENCHMARKS:
        print(f"## {name}\n\n{markdown(name, args.results_dir)}")


if __name__ == "__main__":
    main()
