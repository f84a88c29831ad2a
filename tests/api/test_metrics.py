"""`/metrics` after real traffic: the expected series move by the expected amounts.

Counters and histograms are process-wide, so each test compares scrapes before and after its own
requests; the SQL gauges belong to the test's own database and are compared as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from agent.services import Services
from api.main import create_app
from prompts.chat import CHAT_PROMPT_VERSION
from tests.accounts import sign_up
from tests.api.sse import parse_sse
from tests.fakes.models import FailingModel, scripted

Register = Callable[[str], dict[str, str]]
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
CHAT = {"gen_ai_operation_name": "chat", "gen_ai_provider_name": "custom"}
SEARCH = {"gen_ai_operation_name": "search_memory", "gen_ai_provider_name": "memadvisor"}
MODEL = "RecordingFakeModel"


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


def chat(client: TestClient, headers: dict[str, str], message: str) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    response = client.post("/api/chat/stream", headers=headers, json={"message": message})
    return parse_sse(response)


@pytest.fixture
def fresh_client(make_services: Callable[..., Services]) -> Iterator[TestClient]:
    """A client whose SQL gauges are counted at every scrape (no cache)."""
    services = make_services(scripted(["Noted. 好的。"] * 20), metrics_sql_cache_seconds=0)
    with TestClient(create_app(services=services)) as client:
        yield client


def test_a_chat_turn_and_a_thumbs_up_show_in_the_metrics(
    client: TestClient, register: Register
) -> None:
    alice = register("alice")
    before = scrape(client)
    events = chat(client, alice, "I walk every day")
    final = events[-1][1]
    tokens = sum(1 for name, _ in events if name == "token")
    conversation = client.get(f"/api/conversations/{final['conversation_id']}", headers=alice)
    assert conversation.status_code == 200
    vote = {"target_type": "turn", "target_id": str(final["turn_id"]), "rating": 1}
    assert client.post("/api/feedback", json=vote, headers=alice).status_code == 201
    after = scrape(client)

    http = "memadvisor_http_request_duration_seconds_count"
    assert grew(before, after, http, method="POST", handler="/api/chat/stream", status="200") == 1
    assert grew(before, after, http, handler="/api/feedback", status="201") == 1
    # Labelled by the route's template, never by the id in the path.
    template = "/api/conversations/{conversation_id}"
    assert grew(before, after, http, handler=template, method="GET", status="200") == 1
    handlers = {dict(labels).get("handler", "") for name, labels in after if name == http}
    assert not any(final["conversation_id"] in handler for handler in handlers)
    assert value(after, "memadvisor_chat_streams_in_progress") == 0

    # OpenTelemetry GenAI names: the memory search and the model call of the turn.
    duration = "gen_ai_client_operation_duration_seconds_count"
    assert grew(before, after, duration, error_type="", **SEARCH) == 1
    assert grew(before, after, duration, gen_ai_request_model=MODEL, error_type="", **CHAT) == 1
    first = "gen_ai_client_operation_time_to_first_chunk_seconds_count"
    assert grew(before, after, first, gen_ai_request_model=MODEL, **CHAT) == 1
    # The scripted model reports no usage: output tokens are the streamed chunks.
    usage = "gen_ai_client_token_usage_sum"
    assert grew(before, after, usage, gen_ai_token_type="output", **CHAT) == tokens > 0
    assert grew(before, after, usage, gen_ai_token_type="input", **CHAT) == 0

    # A first message finds no memory yet.
    assert grew(before, after, "memadvisor_chat_retrievals_total", outcome="none") == 1

    assert grew(before, after, "memadvisor_job_duration_seconds_count", task="index_memories") == 1
    assert grew(before, after, "memadvisor_jobs_pending", task="index_memories") == 0
    assert grew(before, after, "memadvisor_job_failures_total") == 0
    assert value(after, "memadvisor_job_queue_depth") == 0

    # The message is remembered as one memory (a fact, or the turn as said).
    remembered = value(after, "memadvisor_memories", kind="fact")
    assert remembered + value(after, "memadvisor_memories", kind="turn") == 1
    assert value(after, "memadvisor_memories_pending_index") == 0
    up = {"target_type": "turn", "prompt_version": CHAT_PROMPT_VERSION, "variant": "standard"}
    assert grew(before, after, "memadvisor_feedback_total", rating="up", memories="without", **up)
    assert value(after, "memadvisor_feedback_approval_ratio", **up) == 1.0
    assert value(after, "memadvisor_feedback_votes", **up) == 1


def test_memories_shown_then_corrected_and_feedback_with_memories(
    fresh_client: TestClient,
) -> None:
    client = fresh_client
    alice = sign_up(client, "alice")
    chat(client, alice, "I live in Hangzhou and my dog is called Bao")  # two facts
    before = scrape(client)
    final = chat(client, alice, "Where do I live?")[-1][1]
    shown = final["memories"]
    assert shown
    vote = {"target_type": "turn", "target_id": str(final["turn_id"]), "rating": -1}
    assert client.post("/api/feedback", json=vote, headers=alice).status_code == 201
    # The user corrects the memory the answer was given, and deletes an unrelated new one.
    memory_id = shown[0]["id"]
    edit = client.patch(
        f"/api/memories/{memory_id}", json={"text": "I live in Suzhou"}, headers=alice
    )
    assert edit.status_code == 200
    listed = client.get("/api/memories", headers=alice).json()
    [other] = [m for m in listed if m["id"] != memory_id]
    other_shown = "true" if other["id"] in {m["id"] for m in shown} else "false"
    assert client.delete(f"/api/memories/{other['id']}", headers=alice).status_code == 204
    after = scrape(client)

    assert grew(before, after, "memadvisor_chat_retrievals_total", outcome="relevant") == 1
    assert grew(before, after, "memadvisor_memories_shown_total") == len(shown)
    assert grew(before, after, "memadvisor_retrieval_top_score_count") == 1
    corrections = "memadvisor_memory_corrections_total"
    assert grew(before, after, corrections, action="edit", shown_to_model="true") == 1
    assert grew(before, after, corrections, action="delete", shown_to_model=other_shown) == 1
    assert grew(before, after, "memadvisor_feedback_total", memories="with", rating="down") == 1

    # Engagement, counted in SQL at this scrape (the cache is off for this client).
    assert value(after, "memadvisor_users") == 1
    assert value(after, "memadvisor_active_users", window="1d") == 1
    assert value(after, "memadvisor_turns", window="7d") == 2
    assert value(after, "memadvisor_turns_per_active_user", window="30d") == 2
    assert value(after, "memadvisor_answer_feedback", window="1d", memories="with") == 1
    assert value(after, "memadvisor_answer_feedback_rate", window="1d") == 0.5
    assert value(after, "memadvisor_answer_approval_ratio", window="7d", memories="with") == 0
    assert value(after, "memadvisor_returning_users") == 0
    assert value(after, "memadvisor_users_with_consent", data_type="health") == 0


def test_recommendations_are_timed_by_writer_and_cache(fresh_client: TestClient) -> None:
    client = fresh_client
    alice = sign_up(client, "alice")
    client.put("/api/me/consent", json={"health": True, "finance": True}, headers=alice)
    for day in range(7):
        recorded = (datetime.now(UTC) - timedelta(days=day, hours=1)).isoformat()
        body = {"data_type": "health", "data": {"steps": 3000}, "recorded_at": recorded}
        assert client.post("/api/user-data", json=body, headers=alice).status_code == 201
    before = scrape(client)
    first = client.get("/api/recommendations?lang=en", headers=alice).json()
    assert client.get("/api/recommendations?lang=en", headers=alice).json()["cached"] is True
    [item] = first["health"]
    rated = {"target_type": "recommendation", "target_id": item["id"], "rating": 1}
    assert client.post("/api/feedback", json={**rated, "adopted": True}, headers=alice).is_success
    after = scrape(client)

    histogram = "memadvisor_recommendation_duration_seconds_count"
    assert grew(before, after, histogram, writer="rules", cached="false") == 1
    assert grew(before, after, histogram, writer="rules", cached="true") == 1
    assert value(after, "memadvisor_recommendation_adoption_ratio", window="7d") == 1.0
    assert value(after, "memadvisor_recommendation_approval_ratio", window="30d") == 1.0
    assert value(after, "memadvisor_users_with_consent", data_type="finance") == 1
    assert value(after, "memadvisor_user_data_records", data_type="health") == 7


def test_engagement_gauges_are_cached_between_scrapes(
    client: TestClient, register: Register
) -> None:
    first = scrape(client)
    register("alice")
    # Within the cache's lifetime (30 s by default) the SQL is not counted again.
    assert value(scrape(client), "memadvisor_users") == value(first, "memadvisor_users") == 0


def test_a_failing_model_is_counted(make_services: Callable[..., Services]) -> None:
    with TestClient(create_app(services=make_services(FailingModel()))) as client:
        alice = sign_up(client, "alice")
        before = scrape(client)
        events = chat(client, alice, "Hello")
        after = scrape(client)
    assert events[-1][0] == "error"
    failures = "gen_ai_client_operation_duration_seconds_count"
    model = {"gen_ai_request_model": "FailingModel", "error_type": "RuntimeError"}
    assert grew(before, after, failures, **CHAT, **model) == 1


def test_known_label_sets_read_zero_before_anything_happens(client: TestClient) -> None:
    samples = scrape(client)
    for outcome in ("relevant", "none", "unavailable"):
        assert ("memadvisor_chat_retrievals_total", frozenset({("outcome", outcome)})) in samples
    assert ("memadvisor_job_failures_total", frozenset({("task", "eval_retrieval")})) in samples


def test_unknown_paths_share_one_label(client: TestClient) -> None:
    before = scrape(client)
    for path in ("/api/no-such-thing/1", "/api/no-such-thing/2"):
        assert client.get(path).status_code == 404
    after = scrape(client)
    count = "memadvisor_http_request_duration_seconds_count"
    # The web client's catch-all route answers them (404 under the backend's prefixes).
    assert grew(before, after, count, handler="/{path:path}", status="404") == 2
    handlers = {dict(labels).get("handler", "") for name, labels in after if name == count}
    assert not any("no-such-thing" in handler for handler in handlers)


def test_metrics_can_be_turned_off(make_services: Callable[..., Services]) -> None:
    with TestClient(create_app(services=make_services(metrics=False))) as client:
        response = client.get("/metrics", follow_redirects=False)
    # Only the web client's catch-all route is left: the page, or a redirect to the docs.
    assert "# TYPE" not in response.text
    assert not response.headers.get("content-type", "").startswith("text/plain")
