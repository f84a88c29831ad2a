"""A real Celery worker of memadvisor's app whose chat model is scripted (`python -m ...`).

Run as `python -m tests.jobs.scripted_worker NAME [GATE]`. With GATE (a file path), the first model
call of all the workers sharing it creates GATE and then hangs, so a test can kill the worker
mid-job; later calls answer at once. Every answer is one JSON object valid as a profile, as the
facts of a message and as a consolidation decision.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from agent.jobs.celery_app import QUEUE, CeleryJobs, make_celery, serve_worker_metrics
from agent.jobs.runner import JobFunction
from agent.services import build_services, job_registry
from memadvisor.settings import Settings

ANSWER = {
    "summary": "Drinks green tea every morning.",
    "preferences": {},
    "facts": ["Drinks green tea"],
    "event": "none",
    "target": None,
    "text": "",
}


class GatedModel(BaseChatModel):
    """Answers `ANSWER`; the very first call (per gate file) hangs instead."""

    gate: str | None = None

    @property
    def _llm_type(self) -> str:
        return "gated-fake"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.gate is not None and not Path(self.gate).exists():
            Path(self.gate).write_text("taken")
            time.sleep(3600)  # the test kills this worker now
        return ChatResult(generations=[ChatGeneration(message=AIMessage(json.dumps(ANSWER)))])


def main(name: str, gate: str | None) -> None:
    settings = Settings()

    def registry() -> dict[str, JobFunction]:
        services = build_services(
            settings, chat_model=GatedModel(gate=gate), migrate=False, jobs=CeleryJobs(app)
        )
        return job_registry(services)

    app = make_celery(settings, registry)
    serve_worker_metrics(app, settings)
    CeleryJobs(app).enqueue("reconcile")
    app.worker_main(
        ["worker", "--concurrency=1", f"--queues={QUEUE}", f"--hostname={name}", "--loglevel=INFO"]
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)
