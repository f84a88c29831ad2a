"""`memadvisor mcp`: the MCP server over stdio, spawned by the MCP SDK's own client.

The tokens come from `memadvisor token create`, as a user would make them. The server runs on the
embedded defaults in a temporary data folder, as a desktop client would start it; no tool asks the
bundled model anything (recommendations come from the rules writer).
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from typer.testing import CliRunner

from api.mcp.tools import READ_ONLY, TOOLS
from cli.main import app
from memadvisor.settings import get_settings
from tests.mcp_client import error_text, structured

pytestmark = pytest.mark.slow  # each test starts `memadvisor mcp` processes

runner = CliRunner()
MEMADVISOR = str(Path(sys.executable).parent / "memadvisor")


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("MEMADVISOR_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


def create_token(user: str, scope: str = "read_write") -> str:
    made = runner.invoke(
        app, ["token", "create", "--user", user, "--name", "desktop", "--scope", scope]
    )
    assert made.exit_code == 0, made.output
    return made.output.strip().splitlines()[-1]


@asynccontextmanager
async def spawn(data_dir: Path, token: str, errlog: Path) -> AsyncIterator[Client]:
    env = {
        "MEMADVISOR_DATA_DIR": str(data_dir),
        "MEMADVISOR_TOKEN": token,
        "HF_HUB_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(data_dir)),
    }
    params = StdioServerParameters(command=MEMADVISOR, args=["mcp"], env=env)
    with errlog.open("w") as log:
        transport = stdio_client(params, errlog=log)
        async with Client(transport, mode="legacy", read_timeout_seconds=120) as client:
            yield client


async def test_every_tool_over_stdio_and_a_revoked_token_ends_access(
    data_dir: Path, tmp_path: Path
) -> None:
    token = create_token("alice")
    assert runner.invoke(app, ["consent", "health", "--user", "alice"]).exit_code == 0
    async with spawn(data_dir, token, tmp_path / "stderr.log") as client:
        assert {tool.name for tool in (await client.list_tools()).tools} == set(TOOLS)
        added = structured(await client.call_tool("add_memory", {"text": "我对花生过敏，住在杭州"}))
        found = structured(await client.call_tool("search_memories", {"query": "花生过敏"}))
        assert found["memories"][0]["id"] == added["id"]
        assert structured(await client.call_tool("list_memories", {}))["memories"][0] == {
            **added,
            "score": None,
        }
        record = {"data_type": "health", "data": {"steps": 8000}}
        assert structured(await client.call_tool("add_record", {"record": record}))["id"] >= 1
        assert "preferences" in structured(await client.call_tool("get_profile", {}))
        advice = structured(await client.call_tool("get_recommendations", {"language": "zh"}))
        assert advice["language"] == "zh"
        deleted = structured(await client.call_tool("delete_memory", {"memory_id": added["id"]}))
        assert deleted["deleted"]

        [token_id] = [
            line.split()[0]
            for line in runner.invoke(app, ["token", "list", "--user", "alice"]).output.splitlines()
            if "desktop" in line
        ]
        assert runner.invoke(app, ["token", "revoke", token_id, "--user", "alice"]).exit_code == 0
        refused = await client.call_tool("list_memories", {})
        assert "revoked" in error_text(refused)


async def test_over_stdio_another_users_token_sees_nothing_and_read_only_cannot_write(
    data_dir: Path, tmp_path: Path
) -> None:
    alice = create_token("alice")
    async with spawn(data_dir, alice, tmp_path / "alice.log") as client:
        mine = structured(await client.call_tool("add_memory", {"text": "My dog is called Bao"}))
    bob = create_token("bob", scope="read")
    async with spawn(data_dir, bob, tmp_path / "bob.log") as client:
        found = structured(await client.call_tool("search_memories", {"query": "dog Bao"}))
        assert found["memories"] == []
        assert structured(await client.call_tool("list_memories", {}))["memories"] == []
        for tool, arguments in {
            "add_memory": {"text": "I moved"},
            "delete_memory": {"memory_id": mine["id"]},
            "add_record": {"record": {"data_type": "health", "data": {"steps": 1}}},
        }.items():
            assert READ_ONLY in error_text(await client.call_tool(tool, arguments))
    async with spawn(data_dir, alice, tmp_path / "again.log") as client:
        still = structured(await client.call_tool("list_memories", {}))
        assert [m["id"] for m in still["memories"]] == [mine["id"]]


async def test_a_bad_token_stops_the_server_with_a_message(data_dir: Path, tmp_path: Path) -> None:
    errlog = tmp_path / "stderr.log"
    try:
        async with spawn(data_dir, "memadvisor_pat_not-a-real-token", errlog) as client:
            await client.list_tools()
    except Exception as exc:  # the client sees the process end before it answers
        assert "Connection closed" in repr(exc)
    else:
        pytest.fail("the SDK's client connected with a bad token")
    assert "memadvisor mcp: This access token is not valid." in errlog.read_text()
