"""Shared fixtures: settings on a temporary data folder, services with a scripted model, clients."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from agent.services import Services, build_services
from api.main import create_app
from memadvisor.settings import Settings
from tests.accounts import sign_up
from tests.chroma_server import ChromaServer
from tests.fakes.models import RecordingFakeModel, scripted

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Embedded defaults in a fresh data folder.

    The scripted model stands in for one that writes both languages; tests of the bundled
    model's own declaration (English only) set `llm_languages=None`. A real model samples
    greedily with a fixed seed, so that its answers, and the tests on them, are the same on every
    run (a sampled answer made a recommendation test fail one run in a few).
    """
    return Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        env="development",
        llm_languages=["zh", "en"],
        llm_temperature=0.0,
        llm_seed=0,
    )


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    """One real `chroma run` server for the session (tests use their own collections)."""
    with ChromaServer(tmp_path_factory.mktemp("chroma-server") / "data") as server:
        yield server


@pytest.fixture
def model() -> RecordingFakeModel:
    """A scripted chat model that records the prompts it was given."""
    return scripted(itertools.repeat("Noted. 好的。"))


@pytest.fixture
def make_services(settings: Settings) -> Iterator[Callable[..., Services]]:
    """Build services on the test's settings; everything built is closed afterwards."""
    built: list[Services] = []

    def make(chat_model: object | None = None, **overrides: object) -> Services:
        current = settings.model_copy(update=overrides) if overrides else settings
        services = build_services(current, chat_model=chat_model, inline_jobs=True)  # type: ignore[arg-type]
        built.append(services)
        return services

    yield make
    for services in built:
        services.close()


@pytest.fixture
def services(make_services: Callable[..., Services], model: RecordingFakeModel) -> Services:
    """Services with the scripted model and jobs run inline (deterministic)."""
    return make_services(model)


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    """An HTTP client for the app on those services."""
    with TestClient(create_app(services=services)) as test_client:
        yield test_client


@pytest.fixture
def register(client: TestClient) -> Callable[[str], dict[str, str]]:
    """Register and log in a user; returns the Authorization header."""

    return lambda username: sign_up(client, username)
