"""The built web client is served at `/` with a history-mode fallback; API paths stay API paths."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from agent.services import Services
from api.main import create_app

ROOT = Path(__file__).resolve().parents[2]


def test_serves_files_index_fallback_and_keeps_api_404s(
    tmp_path: Path, make_services: Callable[..., Services]
) -> None:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<html>app</html>")
    (dist / "assets" / "app.js").write_text("console.log(1)")
    (tmp_path / "secret.txt").write_text("outside")

    with TestClient(create_app(services=make_services(None, web_dist=dist))) as client:
        assert client.get("/").text == "<html>app</html>"
        assert client.get("/chat/123").text == "<html>app</html>"
        assert client.get("/assets/app.js").text == "console.log(1)"
        assert "outside" not in client.get("/../secret.txt").text
        assert client.get("/api/nope").status_code == 404
        assert client.get("/api/health").json() == {"status": "ok"}
        assert client.get("/docs").status_code == 200


def test_without_a_build_the_root_points_at_the_docs(
    tmp_path: Path, make_services: Callable[..., Services]
) -> None:
    services = make_services(None, web_dist=tmp_path / "missing")
    with TestClient(create_app(services=services)) as client:
        response = client.get("/", follow_redirects=False)
        assert response.status_code in (302, 307) and response.headers["location"] == "/docs"


def test_the_web_clients_schema_snapshot_is_the_apis(client: TestClient) -> None:
    """web/ types its API client from web/openapi.json: a backend change must regenerate it."""
    snapshot = json.loads((ROOT / "web" / "openapi.json").read_text(encoding="utf-8"))
    # The snapshot is written by JavaScript, whose numbers are all doubles.
    as_js = json.loads(json.dumps(client.get("/openapi.json").json()), parse_int=float)
    assert as_js == json.loads(json.dumps(snapshot), parse_int=float), (
        "web/openapi.json is stale: start the API and run `cd web && npm run gen:api`"
    )
