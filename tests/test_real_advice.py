"""Analysis and advice through the real bundled model (llama.cpp with a JSON-schema grammar).

The tiny model's advice is not good; what is checked is what the program guarantees: valid JSON of
the schema, sources that exist and belong to the user, a profile stored only when valid.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from agent.services import Services
from api.main import create_app
from tests.accounts import sign_up
from tests.api.sse import parse_sse

pytestmark = pytest.mark.slow


def test_recommendations_and_profile_from_the_real_model(
    make_services: Callable[..., Services],
) -> None:
    # A busy machine's model calls outlast a 15-minute access token (a 401 broke this test).
    services = make_services(
        None,
        recommendation_items=1,
        llm_max_tokens=48,
        recommender="model",
        access_token_minutes=120,
    )
    with TestClient(create_app(services=services)) as client:
        alice = sign_up(client, "alice")
        bob = sign_up(client, "bob")
        for headers in (alice, bob):
            client.put("/api/me/consent", json={"health": True, "finance": True}, headers=headers)
        for day in range(5):
            recorded = (datetime.now(UTC) - timedelta(days=day, hours=2)).isoformat()
            for headers, steps in ((alice, 3000), (bob, 12000)):
                body = {
                    "data_type": "health",
                    "data": {"steps": steps, "sleep_hours": 6},
                    "recorded_at": recorded,
                }
                assert client.post("/api/user-data", json=body, headers=headers).status_code == 201
        body = {"data_type": "finance", "data": {"income": 8000, "expenses": 9000}}
        client.post("/api/user-data", json=body, headers=alice)
        stream = client.post(
            "/api/chat/stream",
            json={"message": "I want to run a 10 km race in spring."},
            headers=alice,
        )
        assert parse_sse(stream)[-1][0] == "final"
        services.jobs.drain()

        response = client.get("/api/recommendations?lang=en", headers=alice)
        assert response.status_code == 200, response.text
        advice = response.json()
        assert advice["model_name"].startswith("llamacpp:SmolLM2")
        document = client.get("/api/me/export", headers=alice).json()
        owned = {
            kind: {row["id"] for row in document[kind]}
            for kind in ("memories", "user_data", "user_insights")
        }
        items = [item for d in ("health", "finance", "education") for item in advice[d]]
        assert all(len(advice[d]) <= 1 for d in ("health", "finance", "education"))
        for item in items:
            assert item["advice"] and item["rationale"] and item["sources"]
            for source in item["sources"]:
                assert source["id"] in owned[source["kind"]], source
        assert len(document["recommendations"]) == 1

        refreshed = client.post("/api/profile/refresh", headers=alice)
        assert refreshed.status_code in (200, 503), refreshed.text
        profile = client.get("/api/profile", headers=alice).json()
        assert {i["key"] for i in profile["insights"]} >= {"health.steps", "finance.savings_rate"}
        if refreshed.status_code == 200:
            assert profile["summarized_turns"] == 1
            assert set(profile["preferences"]) == {"goals", "likes", "dislikes", "constraints"}
