"""What users type stays out of logs and error texts: the mechanisms, one by one.

`tests/api/test_served.py` checks the whole through `memadvisor serve`'s captured output.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from langchain_core.messages import HumanMessage
from pydantic import BaseModel

from agent.model.structured import StructuredOutputError, generate
from api.access_log import ACCESS_LOGGER, WithoutQueryStrings
from api.routes.memories import SEARCH_MOVED
from memory.storage.db import make_engine
from tests.fakes.models import scripted

SECRET = "passport-E1234567"


def test_the_access_log_writes_paths_without_query_strings(client: TestClient) -> None:
    assert any(isinstance(f, WithoutQueryStrings) for f in logging.getLogger(ACCESS_LOGGER).filters)
    record = logging.LogRecord(
        ACCESS_LOGGER,
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/api/memories?query={SECRET}", "1.1", 400),
        None,
    )
    assert WithoutQueryStrings().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /api/memories HTTP/1.1" 400'


def test_searches_send_their_text_in_the_body(
    client: TestClient, register: Callable[[str], dict[str, str]]
) -> None:
    alice = register("alice")
    found = client.post("/api/memories/search", headers=alice, json={"query": SECRET})
    assert found.status_code == 200 and found.json() == []
    in_url = client.get("/api/memories", headers=alice, params={"query": SECRET})
    assert in_url.status_code == 400 and in_url.json()["detail"] == SEARCH_MOVED
    assert client.get("/api/memories", headers=alice, params={"query": " "}).status_code == 200
    for bad in ({"query": "  "}, {"query": "x", "limit": 0}, {"query": "x", "user_id": 2}):
        refused = client.post("/api/memories/search", headers=alice, json=bad)
        assert refused.status_code == 422, bad
    operation = client.get("/openapi.json").json()["paths"]["/api/memories"]["get"]
    assert [p["deprecated"] for p in operation["parameters"] if p["name"] == "query"] == [True]


def test_sql_errors_do_not_quote_the_values(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE t (x TEXT UNIQUE)"))
        connection.execute(sa.text("INSERT INTO t VALUES (:x)"), {"x": SECRET})
    with pytest.raises(sa.exc.IntegrityError) as raised, engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO t VALUES (:x)"), {"x": SECRET})
    assert SECRET not in "".join(traceback.format_exception(raised.value))
    engine.dispose()


class _City(BaseModel):
    city: str


def test_an_invalid_model_answer_is_not_quoted_in_errors_or_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The model's answer may repeat what the user said; a job's failure logs its traceback."""
    answer = f'{{"city": ["{SECRET}"]}}'
    with caplog.at_level(logging.INFO), pytest.raises(StructuredOutputError) as raised:
        generate(scripted([answer] * 3), [HumanMessage("Where?")], _City, mode="prompt")
    assert "city: Input should be a valid string" in str(raised.value)
    assert SECRET not in "".join(traceback.format_exception(raised.value))
    assert SECRET not in caplog.text and "attempt 1 invalid" in caplog.text
