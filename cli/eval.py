"""`memadvisor eval-retrieval`: the retrieval canary on demand (beat also runs it daily)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from cli.app import app, console
from memadvisor.settings import get_settings


@app.command("eval-retrieval")
def eval_retrieval(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the run as one JSON line instead of a table.")
    ] = False,
) -> None:
    """Search the bundled bilingual set with the live embedding and search code; report recall@5.

    Runs in a scratch store (no user's data is read), stores the run in SQL (the API exports the
    latest as gauges) and prints recall@5 overall and for Chinese, English and cross-lingual
    questions: the same recall@5 as `python -m benchmarks.locomo` on that set.
    """
    from agent.services import build_services

    services = build_services(get_settings(), inline_jobs=True)
    try:
        run = services.eval_retrieval(trigger="cli")
    finally:
        services.close()
    questions = run.details.get("questions", {})
    slices = {
        "all": run.recall_at_5,
        "zh": run.recall_at_5_zh,
        "en": run.recall_at_5_en,
        "cross": run.recall_at_5_cross,
    }
    if as_json:
        figures = {f"recall@5_{name}": _rounded(value) for name, value in slices.items()}
        print(
            json.dumps(
                {
                    "run": run.id,
                    "dataset": run.dataset,
                    "embedding": run.embedding_model,
                    "recall@5": _rounded(run.recall_at_5),
                    **figures,
                    "questions": questions,
                    "seconds": round(run.duration_seconds, 2),
                }
            )
        )
        return
    table = Table("questions", "count", "recall@5", title=f"Retrieval canary: {run.dataset}")
    for name, value in slices.items():
        label = {"all": "all", "zh": "Chinese", "en": "English", "cross": "cross-lingual"}[name]
        shown = "-" if value is None else f"{value:.4f}"
        table.add_row(label, str(questions.get(name, 0)), shown)
    console.print(table)
    console.print(
        f"recall@5 {run.recall_at_5:.4f} with {run.embedding_model} in "
        f"{run.duration_seconds:.1f} s; stored as run {run.id}."
    )


def _rounded(value: float | None) -> float | None:
    """Four decimals, as `benchmarks.locomo` prints them."""
    return None if value is None else round(value, 4)
