"""`memadvisor serve`, `worker` and `beat`: the long-running processes."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.app import app, console
from memadvisor.settings import Settings, get_settings


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="API processes sharing the port (each loads its own models); more than one "
            "needs a Chroma server (MEMADVISOR_CHROMA_URL).",
        ),
    ] = 1,
) -> None:
    """Start the HTTP API (REST, streaming chat, LangServe playground at /advisor/playground/)."""
    import uvicorn

    from agent.model.capabilities import capabilities, switch_command

    settings = get_settings()
    if workers > 1:
        _prepare_workers(settings, workers, reload=reload)
    caps = capabilities(settings)
    docs = "docs: /docs, playground: /advisor/playground/" if settings.serves_docs else "no docs"
    processes = f", {workers} processes" if workers > 1 else ""
    console.print(
        f"[bold]MemAdvisor[/] on http://{host}:{port}{processes}  ({docs})  model: {caps.model}, "
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
    if host not in LOOPBACK:  # reachable by others: say what the development defaults allow
        from cli.doctor import check_sign_in

        if (check := check_sign_in(settings)).status != "ok":
            console.print(f"[bold red]Warning: {check.detail}[/]", highlight=False)
    uvicorn.run(
        "api.main:create_app",
        factory=True,
        host=host,
        port=port,
        reload=reload,
        workers=workers,
        **server_options(settings),
    )


LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def server_options(settings: Settings) -> dict[str, Any]:
    """What `serve` asks of uvicorn, for one process or many.

    The app reads forwarded headers itself, from MEMADVISOR_TRUSTED_PROXIES only (uvicorn's own
    default believes any from 127.0.0.1), and says nothing about the server it runs on. The
    protocol bounds the time and size of request headers (`api.http_protocol`).
    """
    from api.http_protocol import BoundedHeadersProtocol

    protocol = partial(
        BoundedHeadersProtocol,
        header_timeout=settings.header_timeout_seconds,
        max_header_bytes=settings.max_header_bytes,
    )
    return {
        "proxy_headers": False,
        "server_header": False,
        "timeout_graceful_shutdown": settings.server_shutdown_seconds,
        "http": protocol,
    }


def _prepare_workers(settings: Settings, workers: int, *, reload: bool) -> None:
    """What several API processes must share, done once before they start.

    The database is migrated here (each process would otherwise race to), the development keys
    are made here (each would otherwise make its own), and the processes write their metrics to
    one folder that `/metrics` sums. A setting that cannot be shared stops the start.
    """
    from agent.services import make_keyring
    from memory.storage.db import upgrade

    if reload:
        raise typer.BadParameter("--reload runs one process", param_hint="--workers")
    if settings.chroma_url is None:
        raise typer.BadParameter(
            "the embedded Chroma folder is not safe across processes: run `chroma run --path "
            "DIR --port 8001` and set MEMADVISOR_CHROMA_URL=http://127.0.0.1:8001",
            param_hint="--workers",
        )
    if settings.rate_limit_storage.startswith("memory://"):
        console.print(
            f"[yellow]Note:[/] each of the {workers} processes counts the sign-in and chat "
            "limits on its own; share them in Redis with MEMADVISOR_RATE_LIMIT_STORAGE="
            "redis://127.0.0.1:6379/1",
            highlight=False,
        )
    keyring = make_keyring(settings)
    if settings.migrate_on_start:
        upgrade(settings.sqlalchemy_url, keyring=keyring)
        os.environ["MEMADVISOR_MIGRATE_ON_START"] = "false"  # the processes inherit it
    _multiprocess_metrics_folder(required=False)


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


def _multiprocess_metrics_folder(*, required: bool = True) -> Path:
    """A fresh `PROMETHEUS_MULTIPROC_DIR` for this process's children (one set outside is kept).

    prometheus_client reads the variable when first imported, and the child processes inherit
    it; the folder is removed when this process exits. `required`: this process itself records
    metrics there too, so it must not have imported prometheus_client yet (Celery's pool forks;
    uvicorn's workers are spawned afresh).
    """
    if existing := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return Path(existing)
    if required and "prometheus_client" in sys.modules:
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
