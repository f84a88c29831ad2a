"""The race of issue 26: an erased user's answer, still being written, lands on nobody's turn.

User H's turn streams; H deletes the account mid-stream; user A signs up and starts a turn at
once. When H's generation ends, its answer finds nothing to write (H's turn is gone, and ids are
never reused, so no other turn has its id), H's stream ends with an `error` event, and A's turn
gets A's own answer. The model is held at a gate (`GatedModel`) and echoes the code in the
message it answers, so whose text landed where can be read off the rows.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk
from sqlalchemy import select

from agent.services import Services
from api.main import create_app
from memory.storage.models import ConversationTurn
from tests.accounts import sign_up
from tests.api.sse import parse_sse
from tests.api.test_busy_model import chat, until
from tests.fakes.models import GatedModel, Probe

H_SECRET = "HANKSECRET-4267"
A_CODE = "ALICECODE-1111"


class EchoingModel(GatedModel):
    """Answers "Your code is <the code in the user's message>", each word after the gate opens."""

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        codes = re.findall(r"[A-Z]+-\d{4}", str(messages[-1].content))
        self.probe.enter(kwargs)
        try:
            for word in ["Your", " code", " is", *(f" {code}" for code in codes)]:
                assert self.probe.gate.wait(10), "the test never opened the gate"
                yield ChatGenerationChunk(message=AIMessageChunk(content=word))
        finally:
            self.probe.leave()


def _me(client: TestClient, headers: dict[str, str]) -> int:
    user_id: int = client.get("/api/me", headers=headers).json()["id"]
    return user_id


def test_an_erased_users_late_answer_never_lands_on_another_users_turn(
    make_services: Callable[..., Services], caplog: pytest.LogCaptureFixture
) -> None:
    probe = Probe()
    services = make_services(EchoingModel(probe=probe))
    try:
        with TestClient(create_app(services=services)) as client, ThreadPoolExecutor(2) as pool:
            hank = sign_up(client, "hank")
            hank_id = _me(client, hank)
            hank_stream = pool.submit(chat, client, hank, f"Remember {H_SECRET} and my PIN")
            until(lambda: probe.started == 1)  # H's answer is being generated
            with caplog.at_level(logging.INFO):
                assert client.delete("/api/me", headers=hank).status_code == 204
                alice = sign_up(client, "alice")
                alice_stream = pool.submit(chat, client, alice, f"My code is {A_CODE}")
                until(lambda: services.model_queue.depth() == (1, 1))  # A's turn is saved
                probe.gate.set()
                hank_events = parse_sse(hank_stream.result(timeout=30))
                alice_events = parse_sse(alice_stream.result(timeout=30))
            alice_id = _me(client, alice)
    finally:
        probe.gate.set()

    name, error = hank_events[-1]
    assert name == "error" and "deleted" in error["message"]
    name, final = alice_events[-1]
    assert name == "final" and final["answer"] == f"Your code is {A_CODE}"
    [hank_start] = [data for name, data in hank_events if name == "start"]
    assert alice_id != hank_id and final["turn_id"] != hank_start["turn_id"]
    with services.sessions() as session:
        turns = session.scalars(select(ConversationTurn)).all()
        assert [(t.user_id, t.status) for t in turns] == [(alice_id, "answered")]
        assert H_SECRET not in (turns[0].output_text or "") + turns[0].input_text
    # An erased user is not a fault: nothing at ERROR, no traceback.
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
