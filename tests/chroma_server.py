"""A real Chroma server (`chroma run`, from the chromadb package) for the tests that need one.

Started on a free port with its own data folder, waited for (bounded) by its heartbeat, and
stoppable mid-test to play a vector store that goes down and comes back.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import TracebackType

from tests.ports import free_port, stop_process, wait_for_http

START_TIMEOUT = 60.0
"""Seconds a server may take to answer its first heartbeat (generous: the machine is shared)."""


def chroma_executable() -> str:
    """The `chroma` command installed next to this Python (the venv's), else on the PATH."""
    beside = Path(sys.executable).parent / "chroma"
    if beside.exists():
        return str(beside)
    found = shutil.which("chroma")
    if found is None:
        raise RuntimeError("the `chroma` command (package chromadb) is not installed")
    return found


class ChromaServer:
    """`chroma run --path <folder> --port <free port>` as a context manager."""

    def __init__(self, path: Path, port: int | None = None) -> None:
        self.path = path
        self.port = port or free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """What `MEMADVISOR_CHROMA_URL` is set to."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start the server and wait until it answers (or fail with its log)."""
        self.path.mkdir(parents=True, exist_ok=True)
        log = (self.path.parent / f"chroma-{self.port}.log").open("ab")
        env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
        self._process = subprocess.Popen(
            [
                *(chroma_executable(), "run", "--path", str(self.path)),
                *("--host", "127.0.0.1", "--port", str(self.port)),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        log.close()
        if wait_for_http(f"{self.url}/api/v2/heartbeat", self._process, START_TIMEOUT):
            return
        self.stop()
        logged = (self.path.parent / f"chroma-{self.port}.log").read_text(errors="replace")
        raise RuntimeError(f"chroma run did not come up on port {self.port}:\n{logged[-2000:]}")

    def stop(self) -> None:
        """Stop the server (the data folder stays, so `start` brings the same vectors back)."""
        if self._process is None:
            return
        stop_process(self._process, 15)
        self._process = None

    def vacuum(self) -> None:
        """The operator's step after an erasure: `chroma vacuum` on the stopped server's folder."""
        self.stop()
        subprocess.run(
            [chroma_executable(), "vacuum", "--path", str(self.path), "--force"],
            check=True,
            capture_output=True,
            timeout=300,
            env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
        )
        self.start()

    def __enter__(self) -> ChromaServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
