"""`memadvisor serve`, `worker` and `beat`: the long-running processes."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.app import app, console
from memadvisor.settings import get_settings


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
) -> None:
    """Start the HTTP API (REST, streaming chat, LangServe playground at /advisor/playground/)."""
    import uvicorn

    from agent.capabilities import capabilities, switch_command

    settings = get_settings()
    caps = capabilities(settings)
    console.print(
        f"[bold]MemAdvisor[/] on http://{host}:{port}  (docs: /docs, playground: "
        f"/advisor/playground/)  model: {caps.model}, data: {settings.data_dir.resolve()}",
        markup=True,
        highlight=False,
    )
    if caps.demo:
        console.print(
            "[yellow]Demo model:[/] it writes English only (Chinese messages are answered "
            f"without it). For a real model: {switch_command(settings)}",
            highlight=False,
        )
    uvicorn.run("api.main:create_app", factory=True, host=host, port=port, reload=reload)


@app.command()
def worker(
    concurrency: Annotated[
        int, typer.Option(help="Jobs run at once (processes); each loads its own models.")
    ] = 1,
    name: Annotated[
        str | None, typer.Option(help="Node name, unique per machine (default celery@host).")
    ] = None,
) -> None:
    """Run background jobs from Redis as a Celery worker (`MEMADVISOR_JOBS=celery`).

    On start it enqueues `reconcile`, so work that Redis lost and SQL still owes gets done.
    """
    from agent.celery_jobs import QUEUE, CeleryJobs, make_celery
    from agent.jobs import JobFunction
    from agent.services import build_services, job_registry

    settings = get_settings()

    def registry() -> dict[str, JobFunction]:
        services = build_services(settings, migrate=False, jobs=CeleryJobs(celery))
        return job_registry(services)

    celery = make_celery(settings, registry)
    CeleryJobs(celery).enqueue("reconcile")
    argv = ["worker", f"--concurrency={concurrency}", f"--queues={QUEUE}"]
    argv += [f"--loglevel={settings.log_level.upper()}"] + ([f"--hostname={name}"] if name else [])
    celery.worker_main(argv)


@app.command()
def beat() -> None:
    """Send the scheduled jobs to the workers; run exactly one beat per deployment.

    Owed work every `MEMADVISOR_RECONCILE_SECONDS`; analysis and profile refresh once a day.
    """
    from agent.celery_jobs import make_celery

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    schedule = settings.data_dir / "celerybeat-schedule"
    make_celery(settings).start(
        ["beat", f"--schedule={schedule}", f"--loglevel={settings.log_level.upper()}"]
    )
