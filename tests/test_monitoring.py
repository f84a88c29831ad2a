"""The dashboards and alerts of deploy/ hold against a real Prometheus scraping a real API.

The API runs as in production (uvicorn in a child process, SQLite file, Chroma folder, the bundled
embeddings; a scripted chat model). A scripted user chats, rates answers, gets recommendations,
adopts one and corrects a memory while Prometheus scrapes the API every second; then every PromQL
expression of every generated panel and alert rule is evaluated through Prometheus' HTTP API. Each
must parse; each panel must return at least one series. The retrieval canary's row is written
straight to SQL here (the canary itself is tested in tests/test_canary.py and takes a minute).

With `MEMADVISOR_PANEL_SNAPSHOT=path.json` (and `MEMADVISOR_PANEL_SNAPSHOT_SECONDS`, default 120)
the scripted traffic runs that long, the real canary runs, and every panel's data is saved for
`scripts/render_panels.py`, which draws the docs' picture of the overview dashboard.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import dashboard as model
from grafana_foundation_sdk.models import prometheus, stat, timeseries

from benchmarks.load_server import start_server, stop_server, wait_ready
from memory.storage.db import make_engine, make_session_factory
from memory.storage.models import RetrievalEvaluation
from memory.training.evaluations import EvaluationStore
from scripts import alerts, monitoring, promql
from scripts.panels import SECTIONS
from tests.accounts import PASSWORD
from tests.api.sse import parse_sse
from tests.prometheus_server import PROMETHEUS, PROMTOOL, PrometheusServer

ROOT = Path(__file__).resolve().parents[1]
WINDOW = "1m"
"""What `$__rate_interval` stands for here (Grafana derives it from the scrape interval)."""
SNAPSHOT = os.environ.get("MEMADVISOR_PANEL_SNAPSHOT")


def test_the_committed_dashboard_and_alerts_are_what_the_generator_writes() -> None:
    assert monitoring.main(["--check"]) == 0, "run python -m scripts.monitoring"


def test_the_dashboard_json_is_valid_for_the_sdks_own_types() -> None:
    raw = json.loads(monitoring.OVERVIEW.read_text(encoding="utf-8"))
    board = monitoring.load()
    # Read into the SDK's typed models and written back, nothing is lost or changed (the models
    # only add their empty defaults, such as a time series' `custom` field config).
    assert _within(raw, json.loads(json.dumps(board, cls=JSONEncoder)))
    panels = [p for p in board.panels or [] if isinstance(p, model.Panel)]
    for panel in panels:
        assert all(isinstance(t, prometheus.Dataquery) for t in panel.targets or []), panel.title
        assert isinstance(panel.options, stat.Options | timeseries.Options), panel.title
    found = list(monitoring.panels(board))
    assert len(found) == sum(len(section.panels) for section in SECTIONS)
    assert all(exprs for _, exprs in found)
    rows = [p.title for p in board.panels or [] if isinstance(p, model.RowPanel)]
    assert rows[0].startswith("The three questions")
    assert [r.split(" · ")[0] for r in rows[3:]] == ["Chat", "Model", "Memory", "Jobs", "Errors"]
    ids = [p.id_val for p in board.panels or []]
    assert len(ids) == len(set(ids))


def _within(part: Any, whole: Any) -> bool:
    """Whether every key and value of `part` is in `whole` (recursively; lists item by item)."""
    if isinstance(part, dict):
        return isinstance(whole, dict) and all(
            k in whole and _within(v, whole[k]) for k, v in part.items()
        )
    if isinstance(part, list):
        return (
            isinstance(whole, list)
            and len(part) == len(whole)
            and all(_within(a, b) for a, b in zip(part, whole, strict=True))
        )
    return bool(part == whole)


@pytest.mark.slow
def test_promtool_accepts_the_config_and_the_rules() -> None:
    for command in (
        ["check", "config", "deploy/prometheus/prometheus.yml"],
        ["check", "rules", "deploy/prometheus/alerts.yml"],
    ):
        checked = subprocess.run(
            [PROMTOOL, *command], cwd=ROOT, capture_output=True, text=True, timeout=60
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path]]:
    """The real API on a free loopback port; its base URL and data folder."""
    monkeypatch.setenv("MEMADVISOR_METRICS_SQL_CACHE_SECONDS", "1")
    data = tmp_path / "data"
    log = tmp_path / "api.log"
    process, base_url = start_server(data, log, "scripted")
    try:
        wait_ready(process, base_url, log)
        yield base_url, data
    finally:
        stop_server(process)


def sign_up(client: httpx.Client, username: str) -> None:
    body = {"username": username, "password": PASSWORD}
    assert client.post("/api/auth/register", json=body).status_code == 201
    token = client.post("/api/auth/login", json=body).json()["access_token"]
    client.headers["Authorization"] = f"Bearer {token}"


def chat(client: httpx.Client, message: str) -> dict[str, Any]:
    response = client.post("/api/chat/stream", json={"message": message})
    name, final = parse_sse(response)[-1]
    assert name == "final", final
    return dict(final)


def a_users_day(base_url: str, username: str) -> None:
    """Chat, thumbs on answers with and without memories, advice, adoption, a correction."""
    with httpx.Client(base_url=base_url, timeout=120) as client:
        sign_up(client, username)
        client.put("/api/me/consent", json={"health": True, "finance": True})
        for day in range(7):
            record = {"data_type": "health", "data": {"steps": 3000 + 100 * day}}
            assert client.post("/api/user-data", json=record).status_code == 201
        first = chat(client, "I live in Hangzhou and I drink green tea every morning")
        second = chat(client, "Where do I live, and what do I drink?")
        chat(client, "我每天走多少步？")
        for turn, rating in ((first, -1), (second, 1)):
            vote = {"target_type": "turn", "target_id": str(turn["turn_id"]), "rating": rating}
            assert client.post("/api/feedback", json=vote).status_code == 201
        advice = client.get("/api/recommendations?lang=en").json()
        assert client.get("/api/recommendations?lang=en").json()["cached"] is True
        if items := advice.get("health"):
            vote = {"target_type": "recommendation", "target_id": items[0]["id"], "rating": 1}
            assert client.post("/api/feedback", json={**vote, "adopted": True}).is_success
        if shown := second["memories"]:
            correction = {"text": "I live in Suzhou and I drink green tea every morning"}
            assert client.patch(f"/api/memories/{shown[0]['id']}", json=correction).is_success
        newest = client.get("/api/memories").json()[0]["id"]
        assert client.delete(f"/api/memories/{newest}").status_code == 204
        assert client.get("/api/no-such-thing").status_code == 404
        assert client.post("/api/feedback", json={"rating": "great"}).status_code == 422


def record_canary(data: Path, *, real: bool) -> None:
    """A canary run in the API's database: the real one, or (quick) a row as it writes one."""
    if real:
        env = {**os.environ, "MEMADVISOR_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1"}
        command = [sys.executable, "-m", "cli", "eval-retrieval"]
        subprocess.run(command, cwd=ROOT, env=env, check=True, timeout=1800)
        return
    engine = make_engine(f"sqlite:///{data / 'memadvisor.db'}")
    try:
        EvaluationStore(make_session_factory(engine)).add(
            RetrievalEvaluation(
                duration_seconds=12.0,
                dataset="bilingual",
                embedding_model="multilingual-e5-small",
                trigger="cli",
                questions=43,
                recall_at_5=0.87,
                recall_at_5_zh=1.0,
                recall_at_5_en=1.0,
                recall_at_5_cross=0.78,
                details={"questions": {"all": 43, "zh": 8, "en": 10, "cross": 25}},
            )
        )
    finally:
        engine.dispose()


def wait_for(prometheus: PrometheusServer, expr: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not prometheus.query(expr)["result"]:
        if time.monotonic() > deadline:
            raise AssertionError(f"{expr}: nothing within {timeout} s\n{prometheus.log()}")
        time.sleep(0.5)


@pytest.mark.slow
def test_every_panel_and_alert_query_runs_against_a_real_prometheus(
    api: tuple[str, Path], tmp_path: Path
) -> None:
    base_url, data = api
    host = base_url.removeprefix("http://")
    with PrometheusServer(
        tmp_path / "prometheus", {"memadvisor-api": [host]}, [monitoring.ALERTS]
    ) as prometheus:
        wait_for(prometheus, 'up{job="memadvisor-api"} == 1')
        record_canary(data, real=SNAPSHOT is not None)
        started = time.time()
        a_users_day(base_url, "alice")
        seconds = float(os.environ.get("MEMADVISOR_PANEL_SNAPSHOT_SECONDS", "120"))
        users = 1
        while SNAPSHOT and time.time() - started < seconds:
            users += 1
            a_users_day(base_url, f"user{users}")
        # Every counter has moved while scraped; let the rate windows hold a few samples more.
        wait_for(prometheus, "sum(memadvisor_recommendation_duration_seconds_count) >= 2")
        time.sleep(3)

        board = monitoring.overview()
        empty = []
        for title, exprs in monitoring.panels(board):
            for expr in exprs:
                if not prometheus.query(expr.replace(promql.RATE, WINDOW))["result"]:
                    empty.append(f"{title}: {expr}")
        assert empty == [], "panels without any series:\n" + "\n".join(empty)

        for _, expr in alerts.alert_exprs(alerts.alert_rules()):
            prometheus.query(expr)  # parses and evaluates (firing or not)
        loaded = [rule for group in prometheus.api("rules")["groups"] for rule in group["rules"]]
        assert len(loaded) == len(list(alerts.alert_exprs(alerts.alert_rules())))
        assert all(rule["health"] == "ok" for rule in loaded), loaded
        targets = prometheus.api("targets")["activeTargets"]
        assert [t["health"] for t in targets] == ["up"]

        if SNAPSHOT:
            Path(SNAPSHOT).write_text(
                json.dumps(snapshot(prometheus, started, time.time()), ensure_ascii=False),
                encoding="utf-8",
            )


def snapshot(prometheus: PrometheusServer, start: float, end: float) -> dict[str, Any]:
    """Every panel's data over the run, for scripts/render_panels.py."""
    step = max(1.0, round((end - start) / 120))
    sections = []
    for section in SECTIONS:
        panels = []
        for panel in section.panels:
            queries = []
            for query in panel.queries:
                expr = query.expr.replace(promql.RATE, WINDOW)
                if panel.kind == "stat":
                    result = prometheus.query(expr, time=end)["result"]
                else:
                    result = prometheus.query(expr, start=start, end=end, step=step)["result"]
                queries.append({"legend": query.legend, "expr": expr, "series": result})
            panels.append(
                {"title": panel.title, "unit": panel.unit, "kind": panel.kind, "queries": queries}
            )
        sections.append({"title": section.title, "panels": panels})
    return {"start": start, "end": end, "prometheus": PROMETHEUS, "sections": sections}


def test_the_deployed_prometheus_scrapes_the_api_and_the_workers() -> None:
    config = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    compose = yaml.safe_load((ROOT / "deploy/docker-compose.yml").read_text())
    assert config["rule_files"] == ["alerts.yml"]
    jobs = {job["job_name"]: job["dns_sd_configs"][0] for job in config["scrape_configs"]}
    assert jobs["memadvisor-api"] == {"names": ["api"], "type": "A", "port": 8000}
    worker_env = compose["services"]["worker"]["environment"]
    assert jobs["memadvisor-worker"]["port"] == int(worker_env["MEMADVISOR_WORKER_METRICS_PORT"])
    assert worker_env["MEMADVISOR_WORKER_METRICS_HOST"] == "0.0.0.0"
    provisioned = yaml.safe_load(
        (ROOT / "deploy/grafana/provisioning/dashboards/memadvisor.yml").read_text()
    )
    mounts = compose["services"]["grafana"]["volumes"]
    assert f"./grafana/dashboards:{provisioned['providers'][0]['options']['path']}:ro" in mounts
