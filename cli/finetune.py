"""`memadvisor finetune`: export a consented data set, train a LoRA adapter, list adapters.

The logic lives in `finetune`; `train` needs the `[finetune]` extra (torch, transformers,
peft, gguf), imported only when it runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.app import app, console, progress_bar
from memadvisor.settings import get_settings

finetune_app = typer.Typer(
    help="Fine-tune the model on approved advice (with consent).", no_args_is_help=True
)
app.add_typer(finetune_app, name="finetune")


@finetune_app.command("export")
def export(
    out: Annotated[Path, typer.Option("--out", help="Folder for train.jsonl and the manifest.")],
    personas: Annotated[
        Path | None,
        typer.Option(
            help="Synthetic personas whose rules-written advice teaches the model "
            "(default: benchmarks/data/personas/train.json of the checkout)."
        ),
    ] = None,
    teacher: Annotated[
        bool, typer.Option(help="Add the teacher's examples from synthetic personas.")
    ] = True,
) -> None:
    """Write a chat-format data set from consenting users' approved advice and valid outputs.

    Only users who turned on `model_training` contribute; names, e-mails and usernames become
    placeholders; the manifest names each example's pseudonymised user.
    """
    from agent.services import analytics_key, build_services
    from finetune.dataset import export_dataset
    from finetune.personas import PERSONAS_DIR

    settings = get_settings()
    persona_file = personas or PERSONAS_DIR / "train.json"
    if teacher and not persona_file.is_file():
        console.print(f"[yellow]No personas at {persona_file}: exporting without the teacher.[/]")
    chosen = persona_file if teacher and persona_file.is_file() else None
    services = build_services(settings, inline_jobs=True)
    try:
        total = _persona_count(chosen)
        with progress_bar() as progress:
            task = progress.add_task("Teacher examples from personas", total=total)
            summary = export_dataset(
                services,
                out,
                key=analytics_key(settings),
                personas=chosen,
                progress=lambda n: progress.advance(task, n),
            )
    finally:
        services.close()
    origins = ", ".join(f"{n} {origin}" for origin, n in sorted(summary.by_origin.items()))
    console.print(
        f"Wrote {summary.examples} examples ({origins or 'none'}) from "
        f"{len(summary.per_user)} consenting users to {out} (data set {summary.set_id})."
    )


def _persona_count(path: Path | None) -> int:
    if path is None:
        return 0
    from finetune.personas import load_personas

    return len(load_personas(path))


@finetune_app.command("train")
def train(
    data: Annotated[Path, typer.Option("--data", exists=True, file_okay=False, help="Export.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the adapter (resumable).")],
    base: Annotated[
        Path | None,
        typer.Option(help="A Hugging Face folder or a GGUF file; default: the bundled SmolLM2."),
    ] = None,
    epochs: Annotated[float, typer.Option(help="Passes over the data.")] = 2.0,
    learning_rate: Annotated[float, typer.Option(help="Peak learning rate.")] = 3e-4,
    rank: Annotated[int, typer.Option(help="LoRA rank.")] = 16,
    top_layers: Annotated[
        int | None, typer.Option(help="Adapt only the last N blocks (faster on a CPU).")
    ] = None,
    max_length: Annotated[int, typer.Option(help="Skip examples longer than this.")] = 2048,
    max_steps: Annotated[int, typer.Option(help="Stop after N steps (-1: epochs).")] = -1,
    accumulation: Annotated[int, typer.Option(help="Examples per optimiser step.")] = 8,
    seed: Annotated[int, typer.Option(help="Fixes shuffling and initialisation.")] = 42,
    register: Annotated[
        bool, typer.Option(help="Record the adapter in the database (for staleness).")
    ] = True,
) -> None:
    """Train a LoRA adapter on an export; rerun the same command to resume from a checkpoint.

    Writes `adapter/` (PEFT), `adapter.gguf` (llama.cpp: MEMADVISOR_LLAMACPP_LORA_PATH),
    `Modelfile` (Ollama) and `adapter.json` (id, data set, time per epoch).
    """
    try:
        from finetune.train import TrainOptions
        from finetune.train import train as run
    except ImportError as exc:  # pragma: no cover - depends on the installed extra
        console.print(f"[red]{exc}[/]: install the extra with `pip install -e '.[finetune]'`.")
        raise typer.Exit(1) from exc
    from agent.model.gguf import bundled_gguf_path

    model = base or bundled_gguf_path()
    options = TrainOptions(
        data=data,
        base=model,
        out=out,
        epochs=epochs,
        learning_rate=learning_rate,
        rank=rank,
        alpha=2 * rank,
        top_layers=top_layers,
        max_length=max_length,
        max_steps=max_steps,
        accumulation=accumulation,
        seed=seed,
    )
    result = run(options)
    console.print(
        f"Adapter {result.adapter_id}: {result.examples} examples ({result.skipped} too long "
        f"skipped), {result.steps} steps in {result.seconds:.0f} s "
        f"({result.seconds_per_epoch:.0f} s per epoch); GGUF at {result.gguf}."
    )
    if register:
        _register(result.adapter_id, result.set_id, str(model), result.gguf)


def _register(adapter_id: str, set_id: str | None, base: str, gguf: Path) -> None:
    from agent.services import build_services

    services = build_services(get_settings(), inline_jobs=True)
    try:
        if set_id and services.training.set_stale(set_id) is None:
            console.print(
                f"[yellow]Data set {set_id} was exported from another database: "
                "erasure there cannot mark this adapter stale here.[/]"
            )
        adapter = services.training.add_adapter(
            adapter_id, set_id=set_id, base_model=base, path=str(gguf.resolve())
        )
    finally:
        services.close()
    if adapter.stale:
        console.print(
            f"[red]Adapter {adapter.id} is stale at birth[/]: a user in its data set erased "
            "their account or withdrew consent since the export. Export again and retrain."
        )


@finetune_app.command("adapters")
def adapters(
    stale: Annotated[bool, typer.Option("--stale", help="Only the stale ones.")] = False,
) -> None:
    """List trained adapters; stale ones learnt from someone owed forgetting: retrain them."""
    from rich.table import Table

    from agent.services import build_services

    services = build_services(get_settings(), inline_jobs=True)
    try:
        rows = services.training.adapters(stale_only=stale)
    finally:
        services.close()
    table = Table("adapter", "data set", "trained", "stale since", "why", "path")
    for row in rows:
        table.add_row(
            row.id,
            row.set_id or "-",
            f"{row.created_at:%Y-%m-%d %H:%M}",
            f"{row.stale_at:%Y-%m-%d %H:%M}" if row.stale_at else "-",
            row.stale_reason or "-",
            row.path,
        )
    console.print(table if rows else "No adapters." if not stale else "No stale adapters.")
    if any(row.stale for row in rows):
        console.print(
            "Stale adapters must not be served: run `memadvisor finetune export` and "
            "`memadvisor finetune train` again, then point MEMADVISOR_LLAMACPP_LORA_PATH at the "
            "new adapter.gguf and delete the stale files."
        )
