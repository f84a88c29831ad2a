"""The MCP server at `/mcp`, through the MCP SDK's own client against the app on a real uvicorn.

Tokens are made through the store (what `POST /api/me/tokens` and `memadvisor token create` call);
their REST routes have their own tests. The scripted model stands in where a model would answer;
recommendations come from the rules writer (the bundled model's advice is not used).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from mcp.shared.exceptions import MCPError
from sqlalchemy import update

from agent.services import Services
from api.main import create_app
from api.mcp.tools import READ_ONLY, TOOLS, UNAVAILABLE_SEARCH
from memory.accounts.tokens import TokenScope
from memory.retrieval.vectors import VectorStoreUnavailableError
from memory.storage.models import PersonalAccessToken, utcnow
from tests.accounts import sign_up
from tests.mcp_client import MODES, connect, error_text, serving, structured

BLOOD_PRESSURE = {
    "data_type": "health",
    "data": {"systolic_bp": 128, "diastolic_bp": 82},
    "recorded_at": "2026-11-30T08:00:00Z",
}


@pytest.fixture
def base_url(services: Services) -> Iterator[str]:
    with serving(create_app(services=services)) as url:
        yield url


def make_token(
    services: Services, username: str, scope: TokenScope = "read_write", days: int | None = None
) -> str:
    user_id = services.accounts.local(username).id
    return services.access_tokens.create(
        user_id, name=f"{username}'s editor", scope=scope, expires_in_days=days
    ).token


@pytest.mark.parametrize("mode", MODES)
async def test_every_tool_answers_for_the_tokens_user(
    services: Services, base_url: str, mode: str
) -> None:
    token = make_token(services, "alice")
    alice = services.accounts.local("alice").id
    services.user_data.consents.set(alice, {"health": True})
    async with connect(base_url, token, mode) as client:
        listed = (await client.list_tools()).tools
        assert {tool.name for tool in listed} == set(TOOLS)
        for tool in listed:
            assert tool.description and len(tool.description) > 40
            assert tool.input_schema["type"] == "object" and tool.output_schema
            assert tool.annotations is not None
            assert tool.annotations.read_only_hint is (TOOLS[tool.name].needs == "read")

        added = structured(
            await client.call_tool("add_memory", {"text": "I am allergic to peanuts"})
        )
        assert added["text"] == "I am allergic to peanuts" and added["kind"] == "turn"

        found = structured(await client.call_tool("search_memories", {"query": "peanut allergy"}))
        assert found["memories"][0]["id"] == added["id"]
        assert found["memories"][0]["score"] > 0

        page = structured(await client.call_tool("list_memories", {"limit": 5}))
        assert [m["id"] for m in page["memories"]] == [added["id"]]
        assert page["next_offset"] is None

        record = structured(await client.call_tool("add_record", {"record": BLOOD_PRESSURE}))
        assert record["data_type"] == "health" and record["data"]["systolic_bp"] == 128

        profile = structured(await client.call_tool("get_profile", {"language": "en"}))
        assert set(profile) >= {"summary", "preferences", "insights"}

        advice = structured(await client.call_tool("get_recommendations", {}))
        assert set(advice) >= {"health", "finance", "education"} and advice["language"] == "en"

        deleted = structured(await client.call_tool("delete_memory", {"memory_id": added["id"]}))
        assert deleted == {"id": added["id"], "deleted": True}
        left = structured(await client.call_tool("list_memories", {}))
        assert added["id"] not in [m["id"] for m in left["memories"]]

    # The same path as chat: the memory was a turn of the user's, indexed by the job.
    assert services.memory.get(alice, added["id"]) is None
    assert [r.data_type for r in services.user_data.list(alice)] == ["health"]
    # Every call is in the user's audit log, marked as coming through MCP.
    entries = services.audit.entries(alice, limit=20)
    assert {(e.action, e.resource) for e in entries} >= {
        ("write", "memories"),
        ("read", "memories"),
        ("delete", "memories"),
        ("write", "user_data"),
        ("read", "profile"),
        ("read", "recommendations"),
    }
    assert {e.client for e in entries} == {"mcp:127.0.0.1"}


async def test_another_users_token_never_reaches_the_first_users_memory(
    services: Services, base_url: str
) -> None:
    async with connect(base_url, make_token(services, "alice")) as alice:
        mine = structured(await alice.call_tool("add_memory", {"text": "My dog is called Bao"}))
    async with connect(base_url, make_token(services, "bob")) as bob:
        found = structured(await bob.call_tool("search_memories", {"query": "dog called Bao"}))
        assert found["memories"] == []
        assert structured(await bob.call_tool("list_memories", {}))["memories"] == []
        refused = await bob.call_tool("delete_memory", {"memory_id": mine["id"]})
        assert "no memory" in error_text(refused)
    alice_id = services.accounts.local("alice").id
    assert services.memory.get(alice_id, mine["id"]) is not None


@pytest.mark.parametrize("mode", MODES)
async def test_a_read_only_token_reads_but_every_write_is_refused(
    services: Services, base_url: str, mode: str
) -> None:
    alice = services.accounts.local("alice").id
    services.user_data.consents.set(alice, {"health": True})
    kept = services.memory.add(alice, "I live in Hangzhou", kind="turn")
    token = make_token(services, "alice", scope="read")
    writes = {
        "add_memory": {"text": "I moved to Shanghai"},
        "delete_memory": {"memory_id": kept},
        "add_record": {"record": BLOOD_PRESSURE},
    }
    assert set(writes) == {name for name, spec in TOOLS.items() if spec.needs == "read_write"}
    async with connect(base_url, token, mode) as client:
        found = structured(await client.call_tool("search_memories", {"query": "Hangzhou"}))
        assert [m["id"] for m in found["memories"]] == [kept]
        for tool, arguments in writes.items():
            with pytest.raises(MCPError) as refused:
                await client.call_tool(tool, arguments)
            assert refused.value.error.message == READ_ONLY
    # Over HTTP the refusal is the spec's 403 with the scope that would do.
    response = httpx.post(
        f"{base_url}/mcp",
        json={"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": writes_call()},
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
    )
    assert response.status_code == 403
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer ") and 'error="insufficient_scope"' in challenge
    assert 'scope="read_write"' in challenge and "resource_metadata=" in challenge
    assert response.json()["id"] == 7
    assert [m.id for m in services.memory.list(alice)] == [kept]
    assert services.user_data.list(alice) == []


def writes_call() -> dict[str, object]:
    return {"name": "add_memory", "arguments": {"text": "I moved to Shanghai"}}


async def test_revoked_and_expired_tokens_are_refused(services: Services, base_url: str) -> None:
    alice = services.accounts.local("alice").id
    revoked, expired = make_token(services, "alice"), make_token(services, "alice", days=1)
    async with connect(base_url, revoked) as client:  # works until revoked
        structured(await client.call_tool("list_memories", {}))
    [row_revoked, row_expired] = sorted(
        services.access_tokens.list(alice), key=lambda row: row.expires_at is not None
    )
    assert services.access_tokens.revoke(alice, row_revoked.id)
    with services.sessions.begin() as session:
        session.execute(
            update(PersonalAccessToken)
            .where(PersonalAccessToken.id == row_expired.id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    for token, reason in ((revoked, "revoked"), (expired, "expired")):
        response = post_initialize(base_url, token)
        assert response.status_code == 401
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
        assert reason in response.json()["error"]["message"]
        assert reason in await refusal_seen_by_the_sdk(base_url, token)


async def refusal_seen_by_the_sdk(base_url: str, token: str) -> str:
    """What the SDK's client raised on connecting (an exception group holding the MCPError)."""
    try:
        async with connect(base_url, token) as client:
            await client.list_tools()
    except Exception as exc:
        return repr(exc)
    pytest.fail("the SDK's client connected with a token that should be refused")


def post_initialize(base_url: str, token: str | None, **headers: str) -> httpx.Response:
    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "raw", "version": "0"},
        },
    }
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    headers["Accept"] = "application/json, text/event-stream"
    return httpx.post(f"{base_url}/mcp", json=initialize, headers=headers)


def test_a_missing_or_garbage_token_gets_401_with_the_resource_metadata(
    services: Services, base_url: str
) -> None:
    missing = post_initialize(base_url, None)
    assert missing.status_code == 401
    challenge = missing.headers["WWW-Authenticate"]
    metadata_url = f"{base_url}/.well-known/oauth-protected-resource/mcp"
    assert challenge == f'Bearer resource_metadata="{metadata_url}"'  # no error code: RFC 6750
    for garbage in ("not-a-token", "memadvisor_pat_" + "x" * 43):
        refused = post_initialize(base_url, garbage)
        assert refused.status_code == 401
        assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
        assert f'resource_metadata="{metadata_url}"' in refused.headers["WWW-Authenticate"]
    metadata = httpx.get(metadata_url).json()
    assert metadata["resource"] == f"{base_url}/mcp"
    assert metadata["scopes_supported"] == ["read", "read_write"]
    assert metadata["bearer_methods_supported"] == ["header"]


def test_a_web_sign_in_token_is_refused(base_url: str) -> None:
    with httpx.Client(base_url=base_url) as client:
        web = sign_up(client, "carol")
    # A web sign-in token is for the REST API, not for /mcp (its audience is not this resource).
    refused = post_initialize(base_url, web["Authorization"].removeprefix("Bearer "))
    assert refused.status_code == 401 and "web sign-in token" in refused.json()["error"]["message"]


def test_a_page_on_another_origin_is_refused(services: Services, base_url: str) -> None:
    token = make_token(services, "alice")
    assert post_initialize(base_url, token, Origin="https://evil.example").status_code == 403
    assert post_initialize(base_url, token, Origin="http://localhost:5173").status_code == 200


def test_the_rest_api_still_works_beside_mcp_and_takes_no_access_token(
    services: Services, base_url: str
) -> None:
    with httpx.Client(base_url=base_url) as client:
        assert client.get("/api/health").json() == {"status": "ok"}
        web = sign_up(client, "dave")
        assert client.get("/api/memories", headers=web).status_code == 200
        token = make_token(services, "dave")
        pat = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/memories", headers=pat).status_code == 401
        assert client.post("/api/me/tokens", json={"name": "x"}, headers=pat).status_code == 401


async def test_a_store_that_is_down_is_told_in_words_not_as_a_crash(
    services: Services, base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*args: object, **kwargs: object) -> None:
        raise VectorStoreUnavailableError("chroma is down")

    monkeypatch.setattr(services.memory, "search", down)
    async with connect(base_url, make_token(services, "alice")) as client:
        failed = await client.call_tool("search_memories", {"query": "anything"})
    assert UNAVAILABLE_SEARCH in error_text(failed)
