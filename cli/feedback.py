"""`memadvisor feedback-stats`: approval of each prompt version and variant, for the operator.

Approval across users is the operator's view, so it lives here and in `/metrics`
(`memadvisor_feedback_*`), not in the HTTP API, where a user sees only their own feedback.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer
from rich.table import Table

from cli.app import app, console
from memadvisor.settings import get_settings


@app.command("feedback-stats")
def feedback_stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Approval and adoption rates per target type, prompt version and variant (counts only)."""
    from agent.services import make_keyring
    from memory.conversations.feedback import FeedbackStore
    from memory.storage.db import make_engine, make_session_factory

    settings = get_settings()
    engine = make_engine(settings.sqlalchemy_url, keyring=make_keyring(settings))
    try:
        rows = FeedbackStore(make_session_factory(engine)).stats()
    finally:
        engine.dispose()
    if as_json:
        print(json.dumps([asdict(row) for row in rows], ensure_ascii=False))
        return
    table = Table("target", "prompt version", "variant", "votes", "approval", "adoption")
    for row in rows:
        table.add_row(
            row.target_type,
            row.prompt_version or "-",
            row.variant or "-",
            str(row.count),
            f"{row.approval_rate:.0%}",
            f"{row.adoption_rate:.0%}",
        )
    console.print(table if rows else "No feedback yet.")
