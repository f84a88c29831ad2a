"""Users and their profiles in SQL. Password hashing lives in `api/`, which knows credentials."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from memory.accounts.usernames import username_key
from memory.storage.models import MemoryClock, User, UserProfile, utcnow
from memory.storage.owners import owned_write


class UsernameTakenError(ValueError):
    """Another account has this username, or a variant of it (`memory/accounts/usernames.py`)."""


PreferenceItem = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
]


class PreferenceEntry(BaseModel):
    """One goal, like, dislike or constraint, with the memory it came from.

    `memory_id` is None for entries written by the summariser or the user. Constraints carry the
    lexicon's `kind` and `concepts`, which the answer guard reads.
    """

    model_config = ConfigDict(extra="forbid")

    text: PreferenceItem
    memory_id: Annotated[str, StringConstraints(max_length=32)] | None = None
    kind: Annotated[str, StringConstraints(max_length=16)] | None = None
    concepts: Annotated[
        list[Annotated[str, StringConstraints(max_length=64)]], Field(max_length=30)
    ] = []

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: object) -> object:
        """A bare string is an entry with that text (older profiles, the summariser, forms)."""
        return {"text": value} if isinstance(value, str) else value


PREFERENCE_FIELDS = ("goals", "likes", "dislikes", "constraints")
MAX_ENTRIES = 30


class Preferences(BaseModel):
    """What the user wants, likes, dislikes and must respect (the profile's structured part)."""

    model_config = ConfigDict(extra="forbid")

    goals: Annotated[list[PreferenceEntry], Field(max_length=MAX_ENTRIES)] = []
    likes: Annotated[list[PreferenceEntry], Field(max_length=MAX_ENTRIES)] = []
    dislikes: Annotated[list[PreferenceEntry], Field(max_length=MAX_ENTRIES)] = []
    constraints: Annotated[list[PreferenceEntry], Field(max_length=MAX_ENTRIES)] = []

    def merged(self, newer: Preferences, *, keep_told: bool) -> Preferences:
        """`newer`'s entries, keeping what older entries of the same text knew (memory, concepts).

        With `keep_told` (the summariser) every older entry that came from a memory stays too; the
        user, who edits the whole list, may remove them.
        """
        fields: dict[str, list[PreferenceEntry]] = {}
        for name in PREFERENCE_FIELDS:
            old: list[PreferenceEntry] = getattr(self, name)
            known = {e.text: e for e in old}
            entries = [
                known[e.text] if e.memory_id is None and e.text in known else e
                for e in getattr(newer, name)
            ]
            texts = {e.text for e in entries}
            if keep_told:
                entries += [e for e in old if e.memory_id is not None and e.text not in texts]
            fields[name] = entries[-MAX_ENTRIES:]
        return Preferences(**fields)


@dataclass(frozen=True, slots=True)
class Profile:
    """What the assistant has concluded about a user (what `load_profile` gives the model)."""

    summary: str = ""
    preferences: dict[str, Any] = field(default_factory=dict)
    edited_by_user: bool = False
    summarized_turns: int = 0
    updated_at: datetime | None = None
    height_cm: float | None = None
    """Entered by the user; with the latest weight it gives the BMI."""


class Accounts:
    """Create and find users; read their profile."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def create(self, username: str, *, password_hash: str | None, email: str | None = None) -> User:
        """A new user; UsernameTakenError if the name, or a variant of it, is in use."""
        try:
            with self._sessions.begin() as session:
                user = User(
                    username=username,
                    username_key=username_key(username),
                    password_hash=password_hash,
                    email=email,
                )
                session.add(user)
                session.flush()
                session.add(UserProfile(user_id=user.id))
                session.add(MemoryClock(user_id=user.id, seq=0))
                return user
        except IntegrityError as exc:
            raise UsernameTakenError(username) from exc

    def by_username(self, username: str) -> User | None:
        """The account this name, or any variant of it, belongs to; None if there is none.

        Accounts told apart only by case before the rule existed (migration 0008 gave the later
        ones the key `<key>#<id>`) keep signing in with exactly the name they registered.
        """
        key = username_key(username)
        stmt = select(User).where(
            or_(User.username_key == key, User.username_key.startswith(f"{key}#", autoescape=True))
        )
        with self._sessions() as session:
            found = session.scalars(stmt).all()
        exact = [user for user in found if user.username == username]
        owner = [user for user in found if user.username_key == key]
        return next(iter(exact or owner), None)

    def by_id(self, user_id: int) -> User | None:
        """The user with this id, or None."""
        with self._sessions() as session:
            return session.get(User, user_id)

    def local(self, username: str) -> User:
        """The passwordless local user (CLI, development convenience), created on first use."""
        user = self.by_username(username)
        if user is not None:
            return user
        try:
            return self.create(username, password_hash=None)
        except UsernameTakenError:  # created concurrently
            user = self.by_username(username)
            assert user is not None
            return user

    def profile(self, user_id: int) -> Profile:
        """The user's summary and preferences (empty until the summariser has run)."""
        with self._sessions() as session:
            row = session.get(UserProfile, user_id)
            if row is None:
                return Profile()
            return Profile(
                summary=row.summary or "",
                preferences=dict(row.preferences or {}),
                edited_by_user=row.edited_by_user,
                summarized_turns=row.summarized_turns,
                updated_at=row.updated_at,
                height_cm=row.height_cm,
            )

    def set_height(self, user_id: int, height_cm: float | None) -> None:
        """Record (or clear) the user's height; not a correction of the summary."""
        with owned_write(self._sessions, user_id) as session:
            row = session.get(UserProfile, user_id)
            if row is None:
                row = UserProfile(user_id=user_id)
                session.add(row)
            row.height_cm = height_cm

    def add_preferences(self, user_id: int, entries: list[tuple[str, PreferenceEntry]]) -> None:
        """Add (field, entry) pairs told by the user; a newer entry replaces one of its text."""
        if not entries:
            return
        with self._sessions.begin() as session:
            row = session.get(UserProfile, user_id)
            if row is None:
                row = UserProfile(user_id=user_id)
                session.add(row)
            prefs = Preferences.model_validate(row.preferences or {})
            for name, entry in entries:
                kept = [e for e in getattr(prefs, name) if e.text != entry.text]
                setattr(prefs, name, [*kept, entry][-MAX_ENTRIES:])
            row.preferences = prefs.model_dump()
            row.updated_at = utcnow()

    def update_profile(
        self,
        user_id: int,
        *,
        summary: str | None = None,
        preferences: Preferences | None = None,
        by_user: bool = False,
        summarized_turns: int | None = None,
    ) -> Profile:
        """Change the profile; a change by the user is marked so the summariser respects it."""
        with owned_write(self._sessions, user_id) as session:
            row = session.get(UserProfile, user_id)
            if row is None:
                row = UserProfile(user_id=user_id)
                session.add(row)
            if summary is not None:
                row.summary = summary
            if preferences is not None:
                old = Preferences.model_validate(row.preferences or {})
                row.preferences = old.merged(preferences, keep_told=not by_user).model_dump()
            if by_user:
                row.edited_by_user = True
            if summarized_turns is not None:
                row.summarized_turns = summarized_turns
            row.updated_at = utcnow()
        return self.profile(user_id)
