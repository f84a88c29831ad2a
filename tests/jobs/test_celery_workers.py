"""Jobs on real Celery workers with a real redis-server: done, idempotent, and never lost.

Each test starts its own redis-server on a free port (keeping nothing on disk, like the machine's)
and its own workers, against a SQLite file in a temporary folder. Waits are bounded by timeouts;
nothing asserts how long anything took.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from agent.jobs.celery_app import CeleryJobs, make_celery
from agent.services import Services, build_services
from api.main import create_app
from memadvisor.settings import Settings
from tests.accounts import sign_up
from tests.agent.test_idempotent_jobs import answered_turn, snapshot
from tests.fakes.models import scripted
from tests.jobs.scripted_worker import ANSWER
from tests.jobs.servers import Process, RedisServer, job_env, wait_until
from tests.ports import free_port

pytestmark = pytest.mark.slow

JOB_TIMEOUT = 180  # a worker's first job loads the embedding model: generous on 2 busy cores


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def celery_settings(tmp_path: Path, redis_server: RedisServer) -> Settings:
    return Settings(
        _env_file=None,
        env="development",
        data_dir=tmp_path / "data",
        jobs="celery",
        redis_url=redis_server.url,
        job_visibility_timeout=2,
        reconcile_seconds=1,
    )


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., Process]]:
    """Start `python -m ARGS...` with the settings in the environment; stopped at the end."""
    started: list[Process] = []

    def run(settings: Settings, *args: str) -> Process:
        log = tmp_path / f"process-{len(started)}.log"
        process = Process(["-m", *args], job_env(settings), log)
        started.append(process)
        return process

    yield run
    for process in started:
        process.stop()


@pytest.fixture
def make_celery_services() -> Iterator[Callable[..., Services]]:
    built: list[Services] = []

    def make(settings: Settings, *, track: bool = False) -> Services:
        jobs = CeleryJobs(make_celery(settings), track=track)  # with `track`, `drain` waits
        services = build_services(settings, chat_model=scripted(["unused"]), jobs=jobs)
        built.append(services)
        return services

    yield make
    for services in built:
        services.close()


def test_a_chat_turn_through_the_api_is_indexed_consolidated_and_summarised_by_a_worker(
    celery_settings: Settings,
    make_celery_services: Callable[..., Services],
    start: Callable[..., Process],
) -> None:
    settings = celery_settings.model_copy(
        update={"summary_every_turns": 1, "consolidate_facts": True}
    )
    services = make_celery_services(settings, track=True)
    worker = start(settings, "tests.jobs.scripted_worker", "first@test")
    with TestClient(create_app(services=services)) as client:
        alice = sign_up(client, "alice")
        reply = client.post(
            "/api/chat/stream", headers=alice, json={"message": "I drink green tea every day"}
        )
        assert reply.status_code == 200
    user_id = services.accounts.by_username("alice").id  # type: ignore[union-attr]

    def done() -> bool:
        facts = services.memory.list(user_id, kind="fact")
        profile = services.accounts.profile(user_id)
        return (
            services.memory.count_pending() == 0 and bool(facts) and profile.summarized_turns == 1
        )

    wait_until(done, JOB_TIMEOUT, "the worker's jobs after a chat turn\n" + worker.output())
    assert services.accounts.profile(user_id).summary == ANSWER["summary"]
    # The turn was understood by the worker: what it says is a fact, in the user's words.
    [fact] = services.memory.list(user_id, kind="fact")
    assert "green tea" in fact.text

    # Delivered again (as after a retry or a redelivery): nothing more changes.
    before = snapshot(services, user_id)
    [turn] = services.history.latest_turns(user_id, 1)
    for name, kwargs in [
        ("index_memories", {"ids": [fact.id]}),
        ("remember_turn", {"user_id": user_id, "turn_id": turn.id}),
        ("summarize_profile", {"user_id": user_id}),
        ("analyse_user", {"user_id": user_id}),
        ("reconcile", {}),
    ]:
        services.jobs.enqueue(name, **kwargs)
    services.jobs.drain(timeout=JOB_TIMEOUT)
    assert snapshot(services, user_id) == before


def test_the_job_of_a_killed_worker_is_done_by_the_next_one(
    tmp_path: Path,
    celery_settings: Settings,
    make_celery_services: Callable[..., Services],
    start: Callable[..., Process],
) -> None:
    settings = celery_settings.model_copy(update={"summary_every_turns": 10})
    services = make_celery_services(settings)
    user_id = services.accounts.local("alice").id
    answered_turn(services, user_id, "I drink green tea every day")
    services.memory.index_pending()
    gate = tmp_path / "gate"
    first = start(settings, "tests.jobs.scripted_worker", "first@test", str(gate))

    # Not owed by SQL's rules (1 new turn, 10 needed): only the queue remembers this job.
    services.jobs.enqueue("summarize_profile", user_id=user_id, at_least=1)
    wait_until(gate.exists, JOB_TIMEOUT, "the first worker taking the job\n" + first.output())
    first.kill()
    assert services.accounts.profile(user_id).summarized_turns == 0

    second = start(settings, "tests.jobs.scripted_worker", "second@test", str(gate))
    wait_until(
        lambda: services.accounts.profile(user_id).summarized_turns == 1,
        JOB_TIMEOUT,
        "the job handed to the second worker\n" + second.output(),
    )
    assert services.accounts.profile(user_id).summary == ANSWER["summary"]


def test_work_lost_with_redis_is_recovered_from_sql(
    redis_server: RedisServer,
    celery_settings: Settings,
    make_celery_services: Callable[..., Services],
    start: Callable[..., Process],
) -> None:
    services = make_celery_services(celery_settings)
    user_id = services.accounts.local("alice").id
    services.memory.add(user_id, "I moved to Hangzhou", kind="turn", index=False)
    services.jobs.enqueue("index_memories")  # queued, with no worker yet ...
    redis_server.stop()  # ... and lost: this Redis keeps nothing on disk
    redis_server.start()

    worker = start(celery_settings, "cli", "worker", "--name", "cli@test")
    wait_until(
        lambda: services.memory.count_pending() == 0,
        JOB_TIMEOUT,
        "indexing recovered by the worker on start\n" + worker.output(),
    )

    beat = start(celery_settings, "cli", "beat")
    redis_server.stop()  # Redis goes down under a running worker and beat
    services.memory.add(user_id, "I started learning the guitar", kind="turn", index=False)
    services.jobs.enqueue("index_memories")  # fails: logged, still owed in SQL
    assert services.memory.count_pending() == 1
    redis_server.start()
    wait_until(
        lambda: services.memory.count_pending() == 0,
        JOB_TIMEOUT,
        "indexing recovered after Redis came back\n" + worker.output() + beat.output(),
    )
    assert services.memory.vector_count(user_id) >= 1
    assert len(services.memory.list(user_id)) == 2


def test_a_job_cut_off_by_redis_dying_mid_run_is_done_after_redis_returns(
    tmp_path: Path,
    redis_server: RedisServer,
    celery_settings: Settings,
    make_celery_services: Callable[..., Services],
    start: Callable[..., Process],
) -> None:
    settings = celery_settings.model_copy(update={"summary_every_turns": 1})
    services = make_celery_services(settings)
    user_id = services.accounts.local("alice").id
    answered_turn(services, user_id, "I drink green tea every day")
    services.memory.index_pending()
    gate = tmp_path / "gate"
    # The summary is owed in SQL: the worker's reconcile on start sends it, and it hangs.
    worker = start(settings, "tests.jobs.scripted_worker", "only@test", str(gate))
    wait_until(gate.exists, JOB_TIMEOUT, "the worker taking the job\n" + worker.output())
    beat = start(settings, "cli", "beat")

    redis_server.stop()  # mid-job: the worker stops the job it cannot acknowledge
    redis_server.start()  # empty: the message is gone too
    wait_until(
        lambda: services.accounts.profile(user_id).summarized_turns == 1,
        JOB_TIMEOUT,
        "the summary after Redis came back\n" + worker.output() + beat.output(),
    )
    assert services.accounts.profile(user_id).summary == ANSWER["summary"]


def test_the_queue_depth_is_what_waits_on_redis(celery_settings: Settings) -> None:
    """With no worker running, every job sent waits in the queue that `/metrics` reports."""
    jobs = CeleryJobs(make_celery(celery_settings))
    try:
        assert jobs.queued() == 0
        jobs.enqueue("analyse_user", user_id=1)
        jobs.enqueue("reconcile")
        assert jobs.queued() == 2
    finally:
        jobs.close()


def test_a_worker_serves_the_metrics_of_the_jobs_its_pool_ran(
    celery_settings: Settings, start: Callable[..., Process]
) -> None:
    """`memadvisor worker` with a metrics port: the jobs run in its pool's child processes."""
    settings = celery_settings.model_copy(update={"worker_metrics_port": free_port()})
    build_services(settings, migrate=True).close()  # the worker does not migrate
    worker = start(settings, "cli", "worker", "--name", "metrics@test", "--concurrency", "2")
    url = f"http://127.0.0.1:{settings.worker_metrics_port}/metrics"

    def reconciled() -> bool:  # the worker enqueues `reconcile` when it starts
        try:
            page = httpx.get(url, timeout=2).text
        except httpx.HTTPError:
            return False
        return any(
            sample.name == "memadvisor_job_duration_seconds_count"
            and sample.labels.get("task") == "reconcile"
            and sample.value >= 1
            for family in text_string_to_metric_families(page)
            for sample in family.samples
        )

    wait_until(reconciled, JOB_TIMEOUT, "the worker's metrics of its first job\n" + worker.output())
