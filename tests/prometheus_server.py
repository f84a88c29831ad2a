"""A real Prometheus server (Debian's `prometheus` package) for the tests that need one.

Started on a free port with its own storage folder and a config scraping the given targets every
second (with the generated alert rules loaded), waited for by its readiness endpoint, and queried
through its HTTP API. `scripts/ensure-services.sh` installs the package.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import yaml

from tests.ports import free_port, stop_process, wait_for_http

START_TIMEOUT = 60.0
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"


class PrometheusServer:
    """`prometheus --config.file ... --web.listen-address 127.0.0.1:<free port>`."""

    def __init__(
        self, folder: Path, targets: dict[str, list[str]], rule_files: Sequence[Path] = ()
    ) -> None:
        self.folder = folder
        self.port = free_port()
        self.targets = targets
        self.rule_files = list(rule_files)
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Write the config, start the server and wait until it is ready (or fail with its log)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(path) for path in self.rule_files],
            "scrape_configs": [
                {"job_name": job, "static_configs": [{"targets": hosts}]}
                for job, hosts in self.targets.items()
            ],
        }
        config_file = self.folder / "prometheus.yml"
        config_file.write_text(yaml.safe_dump(config), encoding="utf-8")
        log = (self.folder / "prometheus.log").open("ab")
        self._process = subprocess.Popen(
            [
                PROMETHEUS,
                f"--config.file={config_file}",
                f"--storage.tsdb.path={self.folder / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        if wait_for_http(f"{self.url}/-/ready", self._process, START_TIMEOUT):
            return
        self.stop()
        raise RuntimeError(f"prometheus did not come up on port {self.port}:\n{self.log()}")

    def log(self) -> str:
        """The end of the server's log (to explain a failure)."""
        return (self.folder / "prometheus.log").read_text(errors="replace")[-3000:]

    def query(self, expr: str, **params: str | float) -> dict[str, Any]:
        """`/api/v1/query` (or `query_range` given `start`): the answer's `data`, or raise."""
        endpoint = "query_range" if "start" in params else "query"
        response = httpx.get(
            f"{self.url}/api/v1/{endpoint}", params={"query": expr, **params}, timeout=30
        )
        body: dict[str, Any] = response.json()
        if body.get("status") != "success":
            raise AssertionError(f"{expr}\n{body.get('errorType')}: {body.get('error')}")
        data: dict[str, Any] = body["data"]
        return data

    def api(self, path: str) -> Any:
        """Another endpoint of the HTTP API (`targets`, `rules`): its `data`."""
        return httpx.get(f"{self.url}/api/v1/{path}", timeout=30).json()["data"]

    def stop(self) -> None:
        """Stop the server."""
        if self._process is None:
            return
        stop_process(self._process, 30)
        self._process = None

    def __enter__(self) -> PrometheusServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
