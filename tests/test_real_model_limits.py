"""The bundled model, for real: no degenerate loops, no context overflow.

A fixed set of English prompts (the kind that made it loop before the guard): no answer repeats a
line three times. The measured overflow: model-written advice for a user with ten health records
and a finance record asked llama.cpp for 2,058 tokens of a 2,048 window and got a 500; the
prompt is now fitted to the window, counted with the model's own tokenizer. Then its answers
were cut at their token room and it got a 503 one run in a few: the schema is now sized to the
room, sampling is greedy, and the rules answer if the model still fails (`written_by` says who).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from langchain_core.messages import HumanMessage, SystemMessage

from agent.services import Services
from api.main import create_app
from prompts.chat import SYSTEM
from tests.accounts import sign_up

pytestmark = pytest.mark.slow

PROMPTS = [
    "List the days of the week, one per line.",
    "Write the word apple twenty times, each on its own line.",
    "Give me ten tips for better sleep.",
    "What snacks can I eat if I am allergic to peanuts?",
    "Repeat after me: I will save more money. I will save more money.",
    "Write a short poem about the sea.",
]


def test_no_answer_repeats_a_line_three_times(make_services: Callable[..., Services]) -> None:
    llm = make_services(None, llm_languages=None).llm
    for prompt in PROMPTS:
        answer = llm.invoke([SystemMessage(SYSTEM["en"]), HumanMessage(prompt)]).text
        lines = Counter(line.strip() for line in answer.splitlines() if line.strip())
        assert all(n < 3 for n in lines.values()), (prompt, answer)


def test_model_written_advice_for_many_records_fits_the_window(
    make_services: Callable[..., Services],
) -> None:
    services = make_services(None, llm_languages=None, recommender="model", llm_advice=None)
    with TestClient(create_app(services=services)) as client:
        alice = sign_up(client, "alice")
        client.put("/api/me/consent", json={"health": True, "finance": True}, headers=alice)
        for day in range(10):
            recorded = (datetime.now(UTC) - timedelta(days=day, hours=1)).isoformat()
            body = {
                "data_type": "health",
                "data": {
                    "steps": 3000 + 100 * day,
                    "sleep_hours": 6,
                    "resting_heart_rate": 72,
                    "weight_kg": 70,
                    "note": "Walked to work and felt tired in the afternoon.",
                },
                "recorded_at": recorded,
            }
            assert client.post("/api/user-data", json=body, headers=alice).status_code == 201
        body = {"data_type": "finance", "data": {"income": 8000, "expenses": 9000}}
        assert client.post("/api/user-data", json=body, headers=alice).status_code == 201

        response = client.get("/api/recommendations?lang=en", headers=alice)

    assert response.status_code == 200, response.text  # never a 500, never a 503
    # The answer's schema is sized to its room, so the model's answer is never cut short (its
    # first answer was cut at 1,009 of 1,024 tokens, and the retry at 69 tokens of room).
    assert response.json()["written_by"] == "model", response.text
