"""The personal access token store on each database: hash-only, scoped, expiring, revocable."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

import memory.accounts.tokens
from agent.services import Services
from memory.accounts.tokens import TokenRefusedError, TooManyTokensError
from memory.storage.models import PersonalAccessToken, User, utcnow


def test_a_token_names_its_user_and_scope_and_only_its_hash_is_stored(services: Services) -> None:
    alice = services.accounts.local("alice").id
    bob = services.accounts.local("bob").id
    read = services.access_tokens.create(alice, name="reader", scope="read")
    write = services.access_tokens.create(bob, name="writer", scope="read_write", expires_in_days=7)

    granted = services.access_tokens.verify(read.token)
    assert (granted.user_id, granted.scope, granted.token_id) == (alice, "read", read.row.id)
    assert granted.allows("read") and not granted.allows("read_write")
    other = services.access_tokens.verify(write.token)
    assert other.user_id == bob and other.allows("read_write")
    assert other.expires_at is not None
    assert timedelta(days=6) < other.expires_at - utcnow() <= timedelta(days=7)
    with services.sessions() as session:
        stored = session.scalars(select(PersonalAccessToken.token_hash)).all()
    assert read.token not in str(stored) and write.token not in str(stored)
    assert [row.name for row in services.access_tokens.list(alice)] == ["reader"]


def test_last_use_is_noted_at_most_once_a_minute(services: Services) -> None:
    alice = services.accounts.local("alice").id
    issued = services.access_tokens.create(alice, name="t", scope="read")
    services.access_tokens.verify(issued.token)
    [first] = services.access_tokens.list(alice)
    services.access_tokens.verify(issued.token)
    [second] = services.access_tokens.list(alice)
    assert first.last_used_at is not None and second.last_used_at == first.last_used_at


def test_revoked_expired_unknown_and_disabled_tokens_are_refused(services: Services) -> None:
    alice = services.accounts.local("alice").id
    revoked = services.access_tokens.create(alice, name="r", scope="read")
    expired = services.access_tokens.create(alice, name="e", scope="read", expires_in_days=1)
    disabled = services.access_tokens.create(
        services.accounts.local("carol").id, name="d", scope="read"
    )
    assert not services.access_tokens.revoke(services.accounts.local("bob").id, revoked.row.id)
    assert services.access_tokens.revoke(alice, revoked.row.id)
    assert not services.access_tokens.revoke(alice, revoked.row.id)  # once
    with services.sessions.begin() as session:
        session.execute(
            update(PersonalAccessToken)
            .where(PersonalAccessToken.id == expired.row.id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        session.execute(update(User).where(User.username == "carol").values(is_active=False))
    cases = [
        (revoked.token, "revoked"),
        (expired.token, "expired"),
        (disabled.token, "account"),
        (revoked.token + "x", "unknown"),
        ("", "unknown"),
    ]
    for token, reason in cases:
        with pytest.raises(TokenRefusedError) as refused:
            services.access_tokens.verify(token)
        assert refused.value.reason == reason
    # Revoked tokens leave the list; expired ones stay, so the user sees why a program stopped.
    assert [row.name for row in services.access_tokens.list(alice)] == ["e"]


def test_working_tokens_are_bounded_per_user(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(memory.accounts.tokens, "MAX_ACTIVE", 2)
    alice = services.accounts.local("alice").id
    first = services.access_tokens.create(alice, name="1", scope="read")
    services.access_tokens.create(alice, name="2", scope="read")
    with pytest.raises(TooManyTokensError):
        services.access_tokens.create(alice, name="3", scope="read")
    services.access_tokens.create(services.accounts.local("bob").id, name="b", scope="read")
    services.access_tokens.revoke(alice, first.row.id)
    services.access_tokens.create(alice, name="3", scope="read")
