"""Profile, recommendations and feedback through HTTP, with a scripted model."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from agent.context import Context
from agent.graph import compile_graph
from agent.services import Services
from api.main import create_app
from cli.main import app as cli
from memadvisor.settings import get_settings
from tests.accounts import sign_up
from tests.api.sse import parse_sse
from tests.fakes.models import RecordingFakeModel, UnreachableModel, scripted

Headers = dict[str, str]
ADVICE = {
    "health": [
        {
            "advice": "Walk 20 minutes after lunch.",
            "rationale": "About 3,000 steps a day.",
            "sources": ["I1", "D1"],
        }
    ],
    "finance": [],
    "education": [],
}


@pytest.fixture
def app_with(
    make_services: Callable[..., Services],
) -> Iterator[Callable[..., tuple[TestClient, Services]]]:
    clients: list[TestClient] = []

    def make(answers: list[str], **overrides: object) -> tuple[TestClient, Services]:
        overrides.setdefault("recommender", "model")
        services = make_services(scripted(answers), **overrides)
        client = TestClient(create_app(services=services))
        client.__enter__()
        clients.append(client)
        return client, services

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def chat(client: TestClient, headers: Headers, message: str) -> dict[str, object]:
    """One streamed turn; its final event."""
    response = client.post("/api/chat/stream", json={"message": message}, headers=headers)
    events = parse_sse(response)
    assert events[-1][0] == "final", events
    final: dict[str, object] = events[-1][1]
    return final


def walker(client: TestClient, name: str = "alice") -> Headers:
    headers = sign_up(client, name)
    client.put("/api/me/consent", json={"health": True}, headers=headers)
    for day in range(7):
        recorded = (datetime.now(UTC) - timedelta(days=day, hours=1)).isoformat()
        body = {"data_type": "health", "data": {"steps": 3000}, "recorded_at": recorded}
        assert client.post("/api/user-data", json=body, headers=headers).status_code == 201
    return headers


def export_ids(client: TestClient, headers: Headers) -> dict[str, set[object]]:
    document = client.get("/api/me/export", headers=headers).json()
    return {
        kind: {row["id"] for row in document[kind]}
        for kind in ("memories", "user_data", "user_insights")
    }


def test_recommendations_cite_only_the_users_own_existing_rows_and_are_cached(
    app_with: Callable[..., tuple[TestClient, Services]],
) -> None:
    client, services = app_with([json.dumps(ADVICE), json.dumps(ADVICE)])
    alice = walker(client)
    sign_up(client, "bob")

    first = client.get("/api/recommendations?lang=en", headers=alice)
    assert first.status_code == 200, first.text
    body = first.json()
    assert set(body) >= {"health", "finance", "education"} and "behavior" not in body
    [item] = body["health"]
    assert item["advice"] == "Walk 20 minutes after lunch." and item["rationale"]
    owned = export_ids(client, alice)
    assert item["sources"]
    for source in item["sources"]:
        assert source["id"] in owned[source["kind"]]
    assert body["cached"] is False and body["variant"] == "standard"

    model = services.chat_model
    assert isinstance(model, RecordingFakeModel)
    calls = len(model.calls)
    again = client.get("/api/recommendations?lang=en", headers=alice).json()
    assert again["cached"] is True and again["id"] == body["id"] and len(model.calls) == calls

    # New data changes the basis: computed anew.
    client.post(
        "/api/user-data", json={"data_type": "health", "data": {"steps": 5000}}, headers=alice
    )
    assert client.get("/api/recommendations?lang=en", headers=alice).json()["cached"] is False


def test_rule_advice_needs_no_model_and_cites_the_insight_and_its_records(
    app_with: Callable[..., tuple[TestClient, Services]],
) -> None:
    client, services = app_with([], recommender="rules")
    alice = walker(client)
    body = client.get("/api/recommendations?lang=zh", headers=alice).json()
    [item] = body["health"]
    assert "7,000" in item["advice"] and "步" in item["advice"]
    assert "3,000" in item["rationale"]
    kinds = [s["kind"] for s in item["sources"]]
    assert kinds[0] == "user_insights" and kinds.count("user_data") == 7
    owned = export_ids(client, alice)
    assert all(s["id"] in owned[s["kind"]] for s in item["sources"])
    assert body["prompt_version"] == "advice-rules-v2"
    model = services.chat_model
    assert isinstance(model, RecordingFakeModel) and model.calls == []


def test_when_the_models_advice_stays_invalid_the_rules_write_it_and_say_why(
    app_with: Callable[..., tuple[TestClient, Services]],
) -> None:
    bad = dict(ADVICE, health=[{"advice": "Trust me.", "rationale": "x y", "sources": ["X9"]}])
    client, services = app_with([json.dumps(bad), "not even JSON", json.dumps(ADVICE)])
    alice = walker(client)
    response = client.get("/api/recommendations?lang=en", headers=alice)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["written_by"] == "rules" and body["written_by_reason"] == "model_invalid"
    assert body["prompt_version"].startswith("advice-rules")
    [item] = body["health"]
    assert "Trust me" not in item["advice"] and item["sources"][0]["kind"] == "user_insights"
    [stored] = client.get("/api/me/export", headers=alice).json()["recommendations"]
    assert stored["id"] == body["id"]

    model = services.chat_model
    assert isinstance(model, RecordingFakeModel) and len(model.calls) == 2
    again = client.get("/api/recommendations?lang=en", headers=alice).json()
    assert again["cached"] is True and again["id"] == body["id"] and len(model.calls) == 2
    # Refreshing asks the model again; this time it answers.
    fresh = client.get("/api/recommendations?lang=en&refresh=true", headers=alice).json()
    assert fresh["written_by"] == "model" and "written_by_reason" not in fresh
    assert fresh["health"][0]["advice"] == "Walk 20 minutes after lunch."


def test_when_the_model_is_unreachable_the_rules_write_it_and_it_is_asked_next_time(
    make_services: Callable[..., Services],
) -> None:
    model = UnreachableModel()
    services = make_services(model, recommender="model")
    with TestClient(create_app(services=services)) as client:
        alice = walker(client)
        first = client.get("/api/recommendations?lang=zh", headers=alice)
        assert first.status_code == 200, first.text
        body = first.json()
        assert (body["written_by"], body["written_by_reason"]) == ("rules", "model_unavailable")
        assert "步" in body["health"][0]["advice"]
        second = client.get("/api/recommendations?lang=zh", headers=alice).json()
        assert second["cached"] is False and second["id"] != body["id"]
    assert model.calls == 2


def test_rules_advice_says_it_was_configured(
    app_with: Callable[..., tuple[TestClient, Services]],
) -> None:
    client, _ = app_with([], recommender="rules")
    body = client.get("/api/recommendations?lang=en", headers=walker(client)).json()
    assert (body["written_by"], body["written_by_reason"]) == ("rules", "configured")


def test_without_any_notes_no_model_is_asked(
    app_with: Callable[..., tuple[TestClient, Services]],
) -> None:
    client, _ = app_with([])
    alice = sign_up(client, "alice")
    body = client.get("/api/recommendations", headers=alice).json()
    assert body["health"] == body["finance"] == body["education"] == []


def test_feedback_on_recommendations_and_answers_with_stats_per_variant(
    app_with: Callable[..., tuple[TestClient, Services]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, services = app_with([json.dumps(ADVICE), "Sure."])
    alice = walker(client)
    bob = sign_up(client, "bob")
    item = client.get("/api/recommendations", headers=alice).json()["health"][0]

    vote = {"target_type": "recommendation", "target_id": item["id"], "rating": 1, "adopted": True}
    assert client.post("/api/feedback", json=vote, headers=bob).status_code == 404
    given = client.post("/api/feedback", json=vote, headers=alice)
    assert given.status_code == 201, given.text
    assert given.json()["prompt_version"] == "recommend-v2"
    assert given.json()["variant"] == "standard"

    turn_id = chat(client, alice, "hello")["turn_id"]
    down = {"target_type": "turn", "target_id": str(turn_id), "rating": -1, "comment": "too vague"}
    assert client.post("/api/feedback", json=down, headers=bob).status_code == 404
    assert client.post("/api/feedback", json=down, headers=alice).status_code == 201
    for rating in (5, True):
        bad = {"target_type": "turn", "target_id": str(turn_id), "rating": rating}
        assert client.post("/api/feedback", json=bad, headers=alice).status_code == 422

    # The issue: `GET /api/stats/feedback` showed bob alice's vote. Users see their own only.
    assert client.get("/api/stats/feedback", headers=bob).status_code == 404
    assert client.get("/api/feedback", headers=bob).json() == []
    mine = client.get("/api/feedback", headers=alice).json()
    assert [(f["target_type"], f["rating"]) for f in mine] == [("turn", -1), ("recommendation", 1)]
    only = client.get(
        "/api/feedback", headers=alice, params={"target_type": "turn", "target_id": [turn_id]}
    ).json()
    assert [f["target_id"] for f in only] == [str(turn_id)]

    # The operator's view: approval per prompt version and variant, from the command line.
    monkeypatch.setenv("MEMADVISOR_DATA_DIR", str(services.settings.data_dir))
    get_settings.cache_clear()
    try:
        printed = CliRunner().invoke(cli, ["feedback-stats", "--json"])
    finally:
        get_settings.cache_clear()
    assert printed.exit_code == 0, printed.output
    stats = {
        (r["target_type"], r["prompt_version"], r["variant"]): r for r in json.loads(printed.stdout)
    }
    assert stats[("recommendation", "recommend-v2", "standard")]["approval_rate"] == 1.0
    assert stats[("recommendation", "recommend-v2", "standard")]["adoption_rate"] == 1.0
    assert stats[("turn", "chat-v3", "standard")]["approval_rate"] == 0.0


def test_profile_can_be_corrected_and_refreshed_and_invalid_summaries_change_nothing(
    app_with: Callable[..., tuple[TestClient, Services]],
) -> None:
    summary = {
        "summary": "Alice trains for a marathon.",
        "preferences": {"goals": ["run a marathon"], "dislikes": ["mornings"]},
    }
    client, _ = app_with(["Great!", json.dumps(summary), "nope", "still nope"])
    alice = sign_up(client, "alice")
    chat(client, alice, "I train for a marathon and hate mornings")

    refreshed = client.post("/api/profile/refresh", headers=alice)
    assert refreshed.status_code == 200, refreshed.text
    profile = refreshed.json()
    assert profile["summary"] == "Alice trains for a marathon."
    assert [g["text"] for g in profile["preferences"]["goals"]] == ["run a marathon"]
    assert profile["summarized_turns"] == 1

    edit = {
        "preferences": {
            "goals": ["run a half marathon"],
            "likes": [],
            "dislikes": ["mornings"],
            "constraints": ["bad knee"],
        }
    }
    corrected = client.put("/api/profile", json=edit, headers=alice).json()
    assert corrected["edited_by_user"] is True
    assert corrected["summary"] == "Alice trains for a marathon."
    assert [c["text"] for c in corrected["preferences"]["constraints"]] == ["bad knee"]
    assert (
        client.put("/api/profile", json={"preferences": {"hobbies": []}}, headers=alice).status_code
        == 422
    )

    # The model's answer stays invalid: the summary is extractive, the preferences stay.
    failed = client.post("/api/profile/refresh", headers=alice)
    assert failed.status_code == 200
    goals = client.get("/api/profile", headers=alice).json()["preferences"]["goals"]
    assert [g["text"] for g in goals] == ["run a half marathon"]


async def test_the_summariser_runs_after_every_n_turns(
    make_services: Callable[..., Services],
) -> None:
    summary = json.dumps({"summary": "Likes tea.", "preferences": {"likes": ["tea"]}})
    model = scripted(["ok", "ok", summary, "ok"])
    services = make_services(model, summary_every_turns=2)
    graph = compile_graph(services)
    alice = services.accounts.local("alice").id
    await graph.ainvoke({"message": "I like tea"}, context=Context(user_id=alice))
    assert services.accounts.profile(alice).summary == ""
    await graph.ainvoke({"message": "Green tea most"}, context=Context(user_id=alice))
    assert services.accounts.profile(alice).summary == "Likes tea."
    await graph.ainvoke({"message": "What do I like?"}, context=Context(user_id=alice))
    assert '"Likes tea."' in model.last_prompt


async def test_the_chat_prompt_carries_insights_of_consented_types_only(
    make_services: Callable[..., Services],
) -> None:
    model = scripted(["ok", "ok"])
    services = make_services(model)
    graph = compile_graph(services)
    alice = services.accounts.local("alice").id
    services.user_data.consents.set(alice, {"health": True})
    from memory.records.datatypes import NewRecord

    services.user_data.add_many(alice, [NewRecord("health", {"sleep_hours": 5})])
    services.analyst.analyse_user(alice)
    await graph.ainvoke({"message": "How should I sleep?"}, context=Context(user_id=alice))
    assert "5.0 hours" in model.last_prompt
    services.user_data.consents.set(alice, {"health": False})
    await graph.ainvoke({"message": "How should I sleep?"}, context=Context(user_id=alice))
    assert "5.0 hours" not in model.last_prompt and "sleep (hours)" not in model.last_prompt


def test_prompt_variants_are_assigned_stably_and_recorded(
    app_with: Callable[..., tuple[TestClient, Services]],
) -> None:
    from prompts.variants import assign_variant

    arms = ["standard", "brief"]
    assigned = {assign_variant(user_id, arms) for user_id in range(1, 41)}
    assert assigned == set(arms)
    assert all(assign_variant(7, arms) == assign_variant(7, arms) for _ in range(3))
    client, _ = app_with(["Sure."], prompt_variants=arms)
    alice = sign_up(client, "alice")
    turn = chat(client, alice, "hi")
    conversation = client.get(f"/api/conversations/{turn['conversation_id']}", headers=alice).json()
    assert conversation["messages"][0]["prompt_version"].split("/")[1] in arms


def test_unknown_prompt_variants_are_refused(make_services: Callable[..., Services]) -> None:
    with pytest.raises(ValueError, match="unknown prompt variants"):
        make_services(scripted([]), prompt_variants=["fancy"])


def test_a_dimension_with_a_pressing_finding_must_get_advice(
    app_with: Callable[..., tuple[TestClient, Services]],
) -> None:
    """Valid JSON that leaves the user's problem unaddressed is not an answer (the real Qwen
    model once wrote every dimension empty for a user walking 2,500 steps a day)."""
    empty = {"health": [], "finance": [], "education": []}
    client, _ = app_with([json.dumps(empty), json.dumps(ADVICE)])
    body = client.get("/api/recommendations?lang=en", headers=walker(client)).json()
    assert body["written_by"] == "model" and body["health"][0]["advice"].startswith("Walk 20")
