"""Encryption at rest: no plaintext in the database files, search still works, keys rotate."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from pydantic import SecretStr, ValidationError
from sqlalchemy import select, text
from typer.testing import CliRunner

from agent.services import Services
from cli.main import app as cli
from memadvisor.settings import Settings, get_settings
from memory.rekey import rotate
from memory.storage.crypto import EncryptionKeyError, Keyring
from memory.storage.db import make_engine, make_session_factory
from memory.storage.models import ConversationTurn, MemoryRow

Register = Callable[[str], dict[str, str]]
CHINESE = "我的乙肝检查结果是阳性，别告诉我老板"
ENGLISH = "My psychiatrist prescribed sertraline for panic attacks"
LEAKS = [CHINESE.encode(), "乙肝".encode(), b"sertraline", b"psychiatrist", b"panic attacks"]


def _raw_bytes(folder: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def _raw_values(services: Services) -> dict[Path, bytes]:
    from memory.storage.models import Base

    with services.engine.connect() as conn:
        return {
            Path(f"{name} (SQL)"): repr(conn.execute(text(f"SELECT * FROM {name}")).all()).encode()
            for name in Base.metadata.tables
        }


def test_no_plaintext_in_any_file_and_search_still_finds_it(
    client: TestClient, register: Register, services: Services
) -> None:
    alice = register("alice")
    for message in (CHINESE, ENGLISH):
        assert client.post("/api/chat/stream", headers=alice, json={"message": message}).is_success

    # Found by meaning and by keyword, in both languages, through the encrypted columns.
    def search(text: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = client.post(
            "/api/memories/search", headers=alice, json={"query": text}
        ).json()
        return found

    by_word = search("sertraline")
    assert by_word[0]["text"] == ENGLISH
    by_word = search("乙肝")
    assert by_word[0]["text"] == CHINESE
    conversations = client.get("/api/conversations", headers=alice).json()
    assert {c["title"] for c in conversations} == {CHINESE, ENGLISH}

    files = _raw_bytes(services.settings.data_dir)
    if services.engine.dialect.name == "sqlite":
        assert any(path.name == "memadvisor.db-wal" for path in files)  # the WAL is scanned too
    else:  # the server's files are not ours to read: every stored value, read back raw, instead
        files.update(_raw_values(services))
    for path, content in files.items():
        for leak in LEAKS:
            assert leak not in content, (path, leak)
    # The stored terms are opaque hashes, not the stemmed words.
    with services.engine.connect() as conn:
        terms = " ".join(conn.scalars(text("SELECT terms FROM memories")))
    assert "sertralin" not in terms and "乙肝" not in terms


def test_an_engine_without_keys_cannot_read_or_write_encrypted_columns(
    services: Services,
) -> None:
    services.memory.add(services.accounts.local("alice").id, ENGLISH)
    bare = make_session_factory(make_engine(services.settings.sqlalchemy_url))
    with pytest.raises(EncryptionKeyError, match="no encryption keys"), bare() as session:
        session.scalars(select(MemoryRow)).all()


def test_production_requires_keys_and_refuses_malformed_ones() -> None:
    base = {
        "_env_file": None,
        "env": "production",
        "secret_key": "s" * 40,
        "analytics_hash_key": "n" * 40,
    }
    with pytest.raises(ValidationError, match="ENCRYPTION_KEYS, MEMADVISOR_TERM_HASH_KEY"):
        Settings(**base)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="Fernet key"):
        Settings(**base, encryption_keys=["not-a-key"], term_hash_key="t" * 40)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="TERM_HASH_KEY must have 32"):
        Settings(**base, encryption_keys=[Fernet.generate_key().decode()], term_hash_key="short")  # type: ignore[arg-type]


def test_rotation_reencrypts_with_the_newest_key_and_rehashes_terms(
    make_services: Callable[..., Services],
) -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    first = make_services(
        None, encryption_keys=[SecretStr(old_key)], term_hash_key=SecretStr("a" * 40)
    )
    alice = first.accounts.local("alice").id
    turn = first.history.begin_turn(alice, None, CHINESE)
    first.memory.add(alice, ENGLISH)
    first.close()

    rotated = Keyring([new_key, old_key], "b" * 40)
    engine = make_engine(first.settings.sqlalchemy_url, keyring=rotated)
    counts = rotate(engine, rotated)
    engine.dispose()
    assert counts["conversation_history.input_text"] == 1 and counts["memories.terms"] == 1

    # Only the new keys from now on: everything reads, and keyword search uses the new hashes.
    second = make_services(
        None, encryption_keys=[SecretStr(new_key)], term_hash_key=SecretStr("b" * 40)
    )
    with second.sessions() as session:
        assert session.get_one(ConversationTurn, turn.id).input_text == CHINESE
    assert second.memory.search(alice, "sertraline", k=1)[0].text == ENGLISH


def test_rotate_key_command_in_development(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEMADVISOR_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
        result = runner.invoke(cli, ["rotate-key"])
        assert result.exit_code == 0, result.output
        assert "Re-encrypted 0 values" in result.output
        stored = json.loads((tmp_path / "data" / "keys.json").read_text())
        assert len(stored["encryption_keys"]) == 2  # a new first key; the old one still decrypts
        keys = runner.invoke(cli, ["generate-keys"]).output
        assert "MEMADVISOR_ENCRYPTION_KEYS" in keys and "MEMADVISOR_TERM_HASH_KEY" in keys
    finally:
        get_settings.cache_clear()
