"""A real OpenAI-compatible server for the `openai` provider's tests: llama-cpp-python's own
(`python -m llama_cpp.server`, the `[server]` extra) on the bundled GGUF, on a free port."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from agent.model.gguf import bundled_gguf_path
from tests.ports import free_port, stop_process, wait_for_http

MODEL = "smollm2"
"""The name the server serves the bundled model under (`--model_alias`)."""
START_TIMEOUT = 120.0


@contextmanager
def openai_compatible_server(log_dir: Path, n_ctx: int = 2048) -> Iterator[str]:
    """Start the server, wait until `/v1/models` answers, yield its API root, stop it."""
    port = free_port()
    log_path = log_dir / f"llama-server-{port}.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "llama_cpp.server"),
                *("--model", str(bundled_gguf_path()), "--model_alias", MODEL),
                *("--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(n_ctx)),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        if not wait_for_http(f"{base}/models", process, START_TIMEOUT):
            raise RuntimeError(f"llama_cpp.server did not start: {log_path.read_text()[-2000:]}")
        yield base
    finally:
        stop_process(process, 15)
