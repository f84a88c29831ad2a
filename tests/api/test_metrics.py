"""`/metrics` after real traffic: the expected series move by the expected amounts.

Counters and histograms are process-wide, so each test compares scrapes before and after its own
requests; the SQL gauges belong to the test's own database and are compared as they are.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from agent.services import Services
from api.main import create_app
from prompts.chat import CHAT_PROMPT_VERSION
from tests.accounts import sign_up
from tests.api.sse import parse_sse
from tests.fakes.models import FailingModel

Register = Callable[[str], dict[str, str]]
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: TestClient) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum of the samples of `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


def grew(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def test_a_chat_turn_and_a_thumbs_up_show_in_the_metrics(
    client: TestClient, register: Register
) -> None:
    alice = register("alice")
    before = scrape(client)
    events = parse_sse(
        client.post("/api/chat/stream", headers=alice, json={"message": "I walk every day"})
    )
    final = events[-1][1]
    tokens = sum(1 for name, _ in events if name == "token")
    conversation = client.get(f"/api/conversations/{final['conversation_id']}", headers=alice)
    assert conversation.status_code == 200
    vote = {"target_type": "turn", "target_id": str(final["turn_id"]), "rating": 1}
    assert client.post("/api/feedback", json=vote, headers=alice).status_code == 201
    after = scrape(client)

    http = "memadvisor_http_request_duration_seconds_count"
    assert grew(before, after, http, method="POST", route="/api/chat/stream", status="200") == 1
    assert grew(before, after, http, route="/api/feedback", status="201") == 1
    # Labelled by the route's template, never by the id in the path.
    template = "/api/conversations/{conversation_id}"
    assert grew(before, after, http, route=template, method="GET", status="200") == 1
    routes = {dict(labels).get("route", "") for name, labels in after if name == http}
    assert not any(final["conversation_id"] in route for route in routes)

    assert grew(before, after, "memadvisor_memory_retrieval_duration_seconds_count") == 1
    model = "RecordingFakeModel"
    assert grew(before, after, "memadvisor_llm_duration_seconds_count", model=model) == 1
    assert grew(before, after, "memadvisor_llm_first_token_seconds_count", model=model) == 1
    # The scripted model reports no usage: completion tokens are the streamed chunks.
    completion = grew(before, after, "memadvisor_llm_tokens_total", model=model, kind="completion")
    assert completion == tokens > 0
    assert value(after, "memadvisor_llm_duration_seconds_sum", model=model) > 0

    assert grew(before, after, "memadvisor_job_duration_seconds_count", job="index_memories") == 1
    assert grew(before, after, "memadvisor_jobs_pending", job="index_memories") == 0
    assert grew(before, after, "memadvisor_job_failures_total") == 0
    assert value(after, "memadvisor_job_queue_depth") == 0

    assert value(after, "memadvisor_memories", kind="turn") == 1
    assert value(after, "memadvisor_memories_pending_index") == 0
    up = {"target_type": "turn", "prompt_version": CHAT_PROMPT_VERSION, "variant": "standard"}
    assert grew(before, after, "memadvisor_feedback_total", rating="up", **up) == 1
    assert value(after, "memadvisor_feedback_approval_ratio", **up) == 1.0
    assert value(after, "memadvisor_feedback_votes", **up) == 1


def test_a_failing_model_is_counted(make_services: Callable[..., Services]) -> None:
    with TestClient(create_app(services=make_services(FailingModel()))) as client:
        alice = sign_up(client, "alice")
        before = scrape(client)
        events = parse_sse(
            client.post("/api/chat/stream", headers=alice, json={"message": "Hello"})
        )
        after = scrape(client)
    assert events[-1][0] == "error"
    assert grew(before, after, "memadvisor_llm_failures_total", model="FailingModel") == 1


def test_unknown_paths_share_one_label(client: TestClient) -> None:
    before = scrape(client)
    for path in ("/api/no-such-thing/1", "/api/no-such-thing/2"):
        assert client.get(path).status_code == 404
    after = scrape(client)
    count = "memadvisor_http_request_duration_seconds_count"
    # The web client's catch-all route answers them (404 under the backend's prefixes).
    assert grew(before, after, count, route="/{path}", status="404") == 2
    routes = {dict(labels).get("route", "") for name, labels in after if name == count}
    assert not any("no-such-thing" in route for route in routes)


def test_metrics_can_be_turned_off(make_services: Callable[..., Services]) -> None:
    with TestClient(create_app(services=make_services(metrics=False))) as client:
        response = client.get("/metrics", follow_redirects=False)
    # Only the web client's catch-all route is left: the page, or a redirect to the docs.
    assert "# TYPE" not in response.text
    assert not response.headers.get("content-type", "").startswith("text/plain")
