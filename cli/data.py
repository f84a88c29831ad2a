"""The user's data from the command line: consent, import, summary and analytics export."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer

from cli.app import UserOption, app, console, local_user, progress_bar
from memadvisor.settings import get_settings

if TYPE_CHECKING:
    from memory.userdata import ConsentKind


@app.command()
def consent(
    types: Annotated[
        list[str], typer.Argument(help="health, finance, education, behavior, model_training.")
    ],
    user: UserOption = "me",
    withdraw: Annotated[bool, typer.Option(help="Turn consent off instead of on.")] = False,
) -> None:
    """Allow (or stop) the collection and use of data types for a local user.

    `model_training` allows the user's approved advice to fine-tune the model (see the README).
    """
    from agent.services import build_services
    from memory.datatypes import DATA_TYPES
    from memory.userdata import PURPOSES

    kinds = (*DATA_TYPES, *PURPOSES)
    unknown = [t for t in types if t not in kinds]
    if unknown:
        raise typer.BadParameter(f"unknown types {unknown}; use {', '.join(kinds)}")
    services = build_services(get_settings())
    try:
        user_id = services.accounts.local(user).id
        changes = {cast("ConsentKind", t): not withdraw for t in types}
        now = services.user_data.consents.set(user_id, changes)
        console.print(
            "Consent: " + ", ".join(f"{t} {'on' if on else 'off'}" for t, on in now.items())
        )
    finally:
        services.close()


@app.command("import")
def import_data(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="A .csv or .json file.")
    ],
    user: UserOption = "me",
    strict: Annotated[bool, typer.Option(help="Write nothing if any row is rejected.")] = False,
) -> None:
    """Import health, finance, education or behavior records (see the README for the columns).

    Every row is validated; valid rows are written in one transaction, then indexed for chat with
    a progress bar; each rejected row is listed with its reasons.
    """
    from agent.services import build_services
    from memory.importing import ImportFormatError, parse_import

    services = build_services(get_settings(), inline_jobs=True)
    try:
        user_id = services.accounts.local(user).id
        try:
            parsed = parse_import(file.read_bytes(), file.name)
        except ImportFormatError as exc:
            console.print(f"[red]Cannot import {file}:[/] {exc}")
            raise typer.Exit(1) from exc
        allowed = services.user_data.consents.granted(user_id)
        rejected = list(parsed.rejected)
        accepted = []
        for number, record in parsed.records:
            if record.data_type in allowed:
                accepted.append(record)
            else:
                rejected.append(
                    (
                        number,
                        [
                            f"no consent for {record.data_type} "
                            f"(run `memadvisor consent {record.data_type}`)"
                        ],
                    )
                )
        for number, errors in sorted(rejected):
            console.print(f"[yellow]row {number}[/]: " + "; ".join(errors))
        if not accepted or (strict and rejected):
            console.print(f"Nothing written ({len(accepted)} valid, {len(rejected)} rejected).")
            raise typer.Exit(1 if rejected else 0)
        rows = services.user_data.add_many(user_id, accepted)
        with progress_bar() as progress:
            task = progress.add_task("Indexing for chat", total=services.memory.count_pending())
            services.memory.index_pending(progress=lambda n: progress.advance(task, n))
        insights = services.analyst.analyse_user(user_id)
        console.print(
            f"Imported {len(rows)} records, rejected {len(rejected)}; {insights} insights now."
        )
    finally:
        services.close()


@app.command()
def summarize(user: UserOption = "me") -> None:
    """Rerun the analysers and rewrite a user's profile summary with the model, now."""
    from agent.services import build_services
    from agent.structured import StructuredOutputError

    services = build_services(get_settings(), inline_jobs=True)
    try:
        user_id = local_user(services, user)
        services.analyst.analyse_user(user_id)
        try:
            profile = services.summarize_profile(user_id, force=True)
        except StructuredOutputError as exc:
            console.print(f"[red]The model gave no valid profile; nothing changed:[/] {exc}")
            raise typer.Exit(1) from exc
        console.print(f"[bold]Summary:[/] {profile.summary or '(none yet)'}")
        for name, items in profile.preferences.items():
            console.print(f"[bold]{name}:[/] {', '.join(items) or '-'}")
        for insight in services.insights.list(user_id):
            console.print(f"[{insight.severity}] {insight.text}")
    finally:
        services.close()


@app.command("export-analytics")
def export_analytics(
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the JSON document.")],
) -> None:
    """Write anonymised usage statistics: counts per pseudonymous user, no names, ids or text."""
    import json

    from agent.services import analytics_key, make_keyring
    from memory.analytics import analytics_report
    from memory.db import make_engine, make_session_factory

    settings = get_settings()
    engine = make_engine(settings.sqlalchemy_url, keyring=make_keyring(settings))
    try:
        report = analytics_report(make_session_factory(engine), analytics_key(settings))
    finally:
        engine.dispose()
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    console.print(f"Wrote statistics of {report['totals']['users']} users to {out}.")
