"""`memadvisor serve`, `worker` and `beat`: the long-running processes."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path
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

    from agent.model.capabilities import capabilities, switch_command

    settings = get_settings()
    caps = capabilities(settings)
    docs = "docs: /docs, playground: /advisor/playground/" if settings.serves_docs else "no docs"
    console.print(
        f"[bold]MemAdvisor[/] on http://{host}:{port}  ({docs})  model: {caps.model}, "
        f"data: {settings.data_dir.resolve()}",
        markup=True,
        highlight=False,
    )
    if caps.demo:
        console.print(
            "[yellow]Demo model:[/] it writes English only (Chinese messages are answered "
            f"without it). For a real model: {switch_command(settings)}",
            highlight=False,
        )
    # The app reads forwarded headers itself, from MEMADVISOR_TRUSTED_PROXIES only (uvicorn's
    # own default believes any from 127.0.0.1), and says nothing about the server it runs on.
    uvicorn.run(
        "api.main:create_app",
        factory=True,
        host=host,
        port=port,
        reload=reload,
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=settings.server_shutdown_seconds,
    )


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

    On start it enqueues `reconcile`, so work that Redis lost and SQL still owes gets done. With
    `MEMADVISOR_WORKER_METRICS_PORT` it serves its Prometheus metrics there.
    """
    settings = get_settings()
    if settings.worker_metrics_port is not None:
        _multiprocess_metrics_folder()  # before anything imports prometheus_client

    from agent.jobs.celery_app import QUEUE, CeleryJobs, make_celery, serve_worker_metrics
    from agent.jobs.runner import JobFunction
    from agent.services import build_services, job_registry

    def registry() -> dict[str, JobFunction]:
        services = build_services(settings, migrate=False, jobs=CeleryJobs(celery))
        return job_registry(services)

    celery = make_celery(settings, registry)
    serve_worker_metrics(celery, settings)
    CeleryJobs(celery).enqueue("reconcile")
    argv = ["worker", f"--concurrency={concurrency}", f"--queues={QUEUE}"]
    argv += [f"--loglevel={settings.log_level.upper()}"] + ([f"--hostname={name}"] if name else [])
    celery.worker_main(argv)


def _multiprocess_metrics_folder() -> Path:
    """A fresh `PROMETHEUS_MULTIPROC_DIR` for this worker (one set from outside is kept).

    prometheus_client reads the variable when first imported, and the pool's child processes
    inherit it; the folder is removed when the worker exits.
    """
    if existing := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return Path(existing)
    if "prometheus_client" in sys.modules:
        raise RuntimeError("prometheus_client was imported before its multi-process folder was set")
    folder = Path(tempfile.mkdtemp(prefix="memadvisor-worker-metrics-"))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


@app.command()
def beat() -> None:
    """Send the scheduled jobs to the workers; run exactly one beat per deployment.

    Owed work every `MEMADVISOR_RECONCILE_SECONDS`; analysis and profile refresh once a day.
    """
    from agent.jobs.celery_app import make_celery

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    schedule = settings.data_dir / "celerybeat-schedule"
    make_celery(settings).start(
        ["beat", f"--schedule={schedule}", f"--loglevel={settings.log_level.upper()}"]
    )
