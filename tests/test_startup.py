"""A started server leaves its start-up objects out of later garbage collections."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from agent.services import Services
from api.main import create_app
from memadvisor.startup import freeze_startup_objects


@pytest.fixture
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()


def test_objects_alive_at_start_up_are_frozen_and_later_ones_are_still_collected(
    unfrozen: None,
) -> None:
    class Node:
        def __init__(self) -> None:
            self.me = self  # a cycle: only the cyclic collector frees it

    kept = Node()
    freeze_startup_objects()
    assert gc.get_freeze_count() > 0
    assert not gc.is_tracked(kept) or kept not in gc.get_objects()

    later = Node()
    assert later in gc.get_objects()
    del later
    assert gc.collect() > 0


def test_a_server_freezes_its_start_up_objects_and_tests_apps_do_not(
    services: Services, unfrozen: None
) -> None:
    gc.unfreeze()
    with TestClient(create_app(services=services)) as client:
        assert client.get("/api/health").status_code == 200
        assert gc.get_freeze_count() == 0  # injected services: a test's app
    with TestClient(create_app(services=services, freeze_after_start=True)) as client:
        assert client.get("/api/health").status_code == 200
        assert gc.get_freeze_count() > 0
