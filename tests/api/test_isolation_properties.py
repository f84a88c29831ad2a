"""Property: whatever users and memories exist, no endpoint returns one user's data to another,
and a user id supplied by the client (body, query, LangServe config) changes nothing.

Bounded and derandomized, so it runs in seconds and the same way on every machine.
"""

from __future__ import annotations

import itertools

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.services import Services
from api.security import create_access_token
from memory.store import NewMemory

WORDS = ["dog", "Hangzhou", "salary", "insulin", "coffee", "猫", "杭州", "工资", "血压", "咖啡"]
_names = itertools.count()

sentences = st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(" ".join)
users = st.lists(st.lists(sentences, max_size=4), min_size=2, max_size=4)


def _sign_in(services: Services, username: str) -> tuple[int, dict[str, str]]:
    """A user and a bearer token, without the Argon2 cost of a real registration."""
    user = services.accounts.create(username, password_hash=None)
    grant = services.auth_sessions.open(user.id)
    token = create_access_token(
        user.id, session_id=grant.session_id, secret=services.settings.secret_key, minutes=5
    )
    return user.id, {"Authorization": f"Bearer {token}"}


@settings(
    max_examples=12,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(population=users, query=st.sampled_from(WORDS))
def test_no_user_ever_sees_another_users_data(
    client: TestClient, services: Services, population: list[list[str]], query: str
) -> None:
    accounts = []
    for texts in population:
        user_id, headers = _sign_in(services, f"user{next(_names)}")
        memory_ids = set(services.memory.add_many(user_id, [NewMemory(t) for t in texts]))
        conversation_ids = {
            services.history.begin_turn(user_id, None, t).conversation_id for t in texts[:1]
        }
        accounts.append((user_id, headers, memory_ids, conversation_ids))

    for user_id, headers, memory_ids, conversation_ids in accounts:
        others = [other for other in accounts if other[0] != user_id]
        victim = others[0][0]
        for params in (
            {},
            {"query": query},
            {"query": query, "user_id": victim},
            {"user_id": victim, "limit": 200},
        ):
            found = client.get("/api/memories", headers=headers, params=params).json()
            assert {m["id"] for m in found} <= memory_ids, params
        listed = client.get("/api/conversations", headers=headers, params={"user_id": victim})
        assert {c["id"] for c in listed.json()} == conversation_ids
        export = client.get("/api/me/export", headers=headers, params={"user_id": victim}).json()
        assert export["account"]["id"] == user_id
        assert {m["id"] for m in export["memories"]} == memory_ids
        for table, rows in export.items():
            if table != "account":
                assert all(row.get("user_id", user_id) == user_id for row in rows), table

    # LangServe: a user id in the input or the config is not how the graph learns who is asking.
    user_id, headers, memory_ids, _ = accounts[0]
    victim_ids = set().union(*(other[2] for other in accounts[1:]))
    answer = client.post(
        "/advisor/invoke",
        headers=headers,
        json={
            "input": {"message": query, "user_id": accounts[1][0]},
            "config": {"configurable": {"memadvisor_user_id": accounts[1][0]}},
        },
    )
    if answer.status_code == 200:
        assert not {m["id"] for m in answer.json()["output"]["memories"]} & victim_ids
    else:
        assert answer.status_code == 422
