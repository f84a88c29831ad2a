"""The user's data from the command line: consent, import, summary and analytics export."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer

from cli.app import UserOption, app, console, local_user, progress_bar
from memadvisor.settings import get_settings

if TYPE_CHECKING:
    from memory.records.userdata import ConsentKind


@app.command()
def consent(
    types: Annotated[
        list[str],
        typer.Argument(help="health, finance, education, behavior, custom, model_training."),
    ],
    user: UserOption = "me",
    withdraw: Annotated[bool, typer.Option(help="Turn consent off instead of on.")] = False,
) -> None:
    """Allow (or stop) the collection and use of data types for a local user.

    `model_training` allows the user's approved advice to fine-tune the model
    (see docs/fine-tuning.md).
    """
    from agent.services import build_services
    from memory.records.datatypes import DATA_TYPES
    from memory.records.userdata import PURPOSES

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
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            help="Our .csv/.json layout, an Apple Health export (.xml or .zip), an Alipay or "
            "WeChat Pay bill (.csv, .xlsx or their .zip), or any CSV with --map.",
        ),
    ],
    user: UserOption = "me",
    strict: Annotated[bool, typer.Option(help="Write nothing if any row is rejected.")] = False,
    format: Annotated[
        str,
        typer.Option(help="auto, records, apple_health, alipay, wechat_pay or csv (with --map)."),
    ] = "auto",
    map_columns: Annotated[
        str | None,
        typer.Option(
            "--map",
            help='For any CSV: "column=field,..." onto the fields of --type, e.g. '
            '"Date=recorded_at,BP high=systolic_bp,BP low=diastolic_bp".',
        ),
    ] = None,
    data_type: Annotated[str, typer.Option("--type", help="The data type --map fills.")] = "health",
    password: Annotated[
        str | None,
        typer.Option(
            help="The password of a locked ZIP (asked for when needed and not given); never kept.",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option(help="Read and check the file, show what it would bring, write nothing.")
    ] = False,
    lang: Annotated[str, typer.Option(help="zh or en: the language of notes and errors.")] = "en",
) -> None:
    """Import records from a file (docs/data-and-advice.md lists the formats).

    The file is read as a stream with a progress bar; every row is validated; valid rows are
    written in one transaction (a newer export of the same app replaces what a former one
    brought), then indexed for chat; each rejected row is listed with its reasons.
    """
    from agent.services import build_services
    from memory.records.importers import (
        FORMATS,
        ColumnMapping,
        ImportFormatError,
        ImportLimits,
        ParsedImport,
        PasswordRequiredError,
        parse_import,
        split_by_consent,
        summarize,
    )

    if format not in FORMATS:
        raise typer.BadParameter(f"use one of {', '.join(FORMATS)}", param_hint="--format")
    mapping = None
    if map_columns is not None:
        pairs = [part.split("=", 1) for part in map_columns.split(",") if part.strip()]
        try:
            mapping = ColumnMapping(
                data_type=data_type,
                columns={column.strip(): field.strip() for column, field in pairs},
            )
        except (ValueError, TypeError) as exc:
            raise typer.BadParameter(str(exc), param_hint="--map") from exc
    if lang not in ("zh", "en"):
        raise typer.BadParameter("use zh or en", param_hint="--lang")
    settings = get_settings()
    services = build_services(settings, inline_jobs=True)
    try:
        user_id = services.accounts.local(user).id

        def read(password: str | None) -> ParsedImport:
            with progress_bar() as progress, file.open("rb") as stream:
                task = progress.add_task(f"Reading {file.name}", total=file.stat().st_size)
                parsed = parse_import(
                    stream,
                    file.name,
                    format=format,
                    mapping=mapping,
                    progress=lambda done, total: progress.update(task, completed=done, total=total),
                    password=password,
                    limits=ImportLimits.from_settings(settings),
                )
                progress.update(task, completed=progress.tasks[task].total)
            return parsed

        while True:
            try:
                parsed = read(password)
                break
            except PasswordRequiredError as exc:
                if password is not None or not sys.stdin.isatty():
                    console.print(f"[red]{exc.in_(lang)}[/] (--password)")
                    raise typer.Exit(1) from exc
                password = typer.prompt("Password of the ZIP", hide_input=True)
            except ImportFormatError as exc:
                console.print(f"[red]{exc.in_(lang)}[/]")
                raise typer.Exit(1) from exc
        accepted, rejected = split_by_consent(
            parsed,
            services.user_data.consents.granted(user_id),
            hint=" (run `memadvisor consent TYPE`)",
        )
        for number, errors in rejected:
            console.print(f"[yellow]row {number}[/]: " + "; ".join(errors))
        hidden = parsed.rejected_total - len(parsed.rejected)
        if hidden:
            console.print(f"[yellow]... and {hidden} more rejected rows[/]")
        for note in parsed.notes:
            console.print(f"[dim]{note.in_(lang)}[/]")
        total_rejected = len(rejected) + hidden
        summary = summarize(accepted)
        span = f", {summary.first} to {summary.last}" if summary.first else ""
        kinds = ", ".join(f"{n} {kind}" for kind, n in summary.kinds.items())
        money = "; ".join(
            f"{currency} "
            + ", ".join(
                f"{name} {sums[name]:,.2f}" for name in ("income", "expenses") if name in sums
            )
            for currency, sums in summary.money.items()
        )
        console.print(f"{parsed.format}: {summary.records} records ({kinds}){span}. {money}")
        if dry_run:
            console.print(f"Dry run: nothing written ({total_rejected} rejected).")
            return
        if not accepted or (strict and rejected):
            console.print(f"Nothing written ({len(accepted)} valid, {total_rejected} rejected).")
            raise typer.Exit(1 if rejected else 0)
        rows, replaced = services.user_data.import_many(user_id, accepted)
        with progress_bar() as progress:
            task = progress.add_task("Indexing for chat", total=services.memory.count_pending())
            services.memory.index_pending(progress=lambda n: progress.advance(task, n))
        insights = services.analyst.analyse_user(user_id)
        again = f" ({replaced} from a former import replaced)" if replaced else ""
        console.print(
            f"Imported {len(rows)} records{again}, rejected {total_rejected}; "
            f"{insights} insights now."
        )
    finally:
        services.close()


@app.command()
def summarize(user: UserOption = "me") -> None:
    """Rerun the analysers and rewrite a user's profile summary with the model, now."""
    from agent.model.structured import StructuredOutputError
    from agent.services import build_services

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
    from memory.storage.db import make_engine, make_session_factory
    from memory.usage.analytics import analytics_report

    settings = get_settings()
    engine = make_engine(settings.sqlalchemy_url, keyring=make_keyring(settings))
    try:
        report = analytics_report(make_session_factory(engine), analytics_key(settings))
    finally:
        engine.dispose()
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    console.print(f"Wrote statistics of {report['totals']['users']} users to {out}.")
