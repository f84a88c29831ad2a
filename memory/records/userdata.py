"""Typed user data and the consent that gates it, in SQL, each record mirrored as a memory.

A record is stored only when the user consented to its type; withdrawing consent stops its use
(analysis, prompts) at once, and the records stay until the user deletes them. Beside the data
types, one consent is for a purpose: `model_training` (see `memory.training.registry`).
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from memadvisor import understanding_metrics
from memory.records.datatypes import DATA_TYPES, DataType, NewRecord
from memory.records.describe import describe
from memory.retrieval.store import MemoryStore, NewMemory
from memory.storage.models import Consent, UserData, UserInsight, utcnow
from memory.storage.owners import owned_write
from memory.training.registry import MODEL_TRAINING, mark_stale

Purpose = Literal["model_training"]
PURPOSES: tuple[Purpose, ...] = (MODEL_TRAINING,)
ConsentKind = DataType | Purpose
"""What a user can consent to: collecting and using a data type, or a purpose."""


class ConsentRequiredError(PermissionError):
    """The user has not agreed to the collection of this type of data."""

    def __init__(self, data_type: str) -> None:
        super().__init__(
            f"You have not agreed to store {data_type} data. Turn on consent for {data_type} "
            "under My data first."
        )
        self.data_type = data_type


def import_key(
    data_type: DataType, data: dict[str, Any], recorded_at: datetime | None
) -> tuple[Any, ...] | None:
    """What an imported record stands for: app, type, time and kind; None if typed in.

    The kind is a day, a blood pressure or glucose reading, or a month's income or expenses of a
    category.
    """
    source = data.get("source")
    if not source or recorded_at is None:
        return None
    if data_type == "finance":
        kind: tuple[Any, ...] = (data.get("category"), "income" in data, "expenses" in data)
    elif "systolic_bp" in data:
        kind = ("blood_pressure",)
    elif "glucose_mmol_l" in data:
        kind = ("glucose",)
    else:
        kind = ("day",)
    return (source, data_type, recorded_at.astimezone(UTC).replace(microsecond=0), *kind)


class Consents:
    """Per-user, per-type (and per-purpose) consent; no row means no."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def get(self, user_id: int) -> dict[ConsentKind, bool]:
        """Every type and purpose with its consent."""
        with self._sessions() as session:
            granted = {
                row.data_type: row.granted
                for row in session.scalars(select(Consent).where(Consent.user_id == user_id))
            }
        return {kind: bool(granted.get(kind, False)) for kind in (*DATA_TYPES, *PURPOSES)}

    def granted(self, user_id: int) -> set[DataType]:
        """The data types the user allows to be collected and used."""
        consents = self.get(user_id)
        return {data_type for data_type in DATA_TYPES if consents[data_type]}

    def set(self, user_id: int, changes: dict[ConsentKind, bool]) -> dict[ConsentKind, bool]:
        """Record consent changes; withdrawing one drops the insights drawn from that type.

        Withdrawing `model_training` deletes the user's kept examples and marks stale every data
        set and adapter that holds them (`memory.training.registry.mark_stale`).
        """
        with owned_write(self._sessions, user_id) as session:
            for data_type, on in changes.items():
                row = session.get(Consent, (user_id, data_type))
                if row is None:
                    session.add(
                        Consent(
                            user_id=user_id, data_type=data_type, granted=on, updated_at=utcnow()
                        )
                    )
                elif row.granted != on:
                    row.granted, row.updated_at = on, utcnow()
                if not on and data_type == MODEL_TRAINING:
                    mark_stale(session, user_id, "consent_withdrawn")
                elif not on:
                    session.execute(
                        delete(UserInsight).where(
                            UserInsight.user_id == user_id, UserInsight.category == data_type
                        )
                    )
        return self.get(user_id)


class UserDataStore:
    """Add, list and delete a user's records; each record is also a `data` memory."""

    def __init__(
        self, *, sessions: sessionmaker[Session], memory: MemoryStore, consents: Consents
    ) -> None:
        self._sessions = sessions
        self._memory = memory
        self.consents = consents

    def add_many(self, user_id: int, records: Sequence[NewRecord]) -> list[UserData]:
        """Store records in one transaction (all or none); their memories are indexed later.

        Raises ConsentRequiredError, before writing anything, for a type without consent.
        """
        return self._add(user_id, records, replace=False)[0]

    def import_many(self, user_id: int, records: Sequence[NewRecord]) -> tuple[list[UserData], int]:
        """Like `add_many`, but replacing what a former import of the same app stored.

        A record replaces the one with the same `import_key` (day, month or reading), so a newer
        export imported over an older one counts nothing twice. Returns the stored rows and how
        many were replaced.
        """
        return self._add(user_id, records, replace=True)

    def _add(
        self, user_id: int, records: Sequence[NewRecord], *, replace: bool
    ) -> tuple[list[UserData], int]:
        allowed = self.consents.granted(user_id)
        for record in records:
            if record.data_type not in allowed:
                raise ConsentRequiredError(record.data_type)
        if not records:
            return [], 0
        replaced: builtins.list[int] = []
        with owned_write(self._sessions, user_id) as session:
            if replace:
                replaced = self._former_imports(session, user_id, records)
                if replaced:
                    session.execute(delete(UserData).where(UserData.id.in_(replaced)))
            rows = [
                UserData(
                    user_id=user_id,
                    data_type=record.data_type,
                    data=record.data,
                    recorded_at=record.recorded_at or utcnow(),
                )
                for record in records
            ]
            session.add_all(rows)
            session.flush()
            stored = list(rows)
            session.expunge_all()
        try:
            self._memory.add_many(
                user_id,
                [
                    NewMemory(
                        describe(row.data_type, row.data, row.recorded_at),  # type: ignore[arg-type]
                        kind="data",
                        created_at=row.recorded_at,
                        source_id=str(row.id),
                        metadata={"data_type": row.data_type},
                    )
                    for row in stored
                ],
                index=False,
            )
        except Exception:
            # The records and their memories stand or fall together.
            self.delete_ids(user_id, [row.id for row in stored])
            raise
        if replaced:
            self._memory.delete_sources(user_id, "data", [str(i) for i in replaced])
        return stored, len(replaced)

    @staticmethod
    def _former_imports(
        session: Session, user_id: int, records: Sequence[NewRecord]
    ) -> builtins.list[int]:
        """Ids of stored records that the imported `records` replace (same `import_key`)."""
        keys = {import_key(r.data_type, r.data, r.recorded_at) for r in records} - {None}
        if not keys:
            return []
        times = [r.recorded_at for r in records if r.recorded_at is not None]
        stmt = select(UserData).where(
            UserData.user_id == user_id,
            UserData.data_type.in_({r.data_type for r in records}),
        )
        if times:
            stmt = stmt.where(UserData.recorded_at.between(min(times), max(times)))
        return [
            row.id
            for row in session.scalars(stmt)
            if import_key(row.data_type, row.data, row.recorded_at) in keys  # type: ignore[arg-type]
        ]

    def list(
        self,
        user_id: int,
        *,
        data_type: DataType | None = None,
        since: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[UserData]:
        """The user's records, newest first."""
        stmt = select(UserData).where(UserData.user_id == user_id)
        if data_type:
            stmt = stmt.where(UserData.data_type == data_type)
        if since:
            stmt = stmt.where(UserData.recorded_at >= since)
        stmt = stmt.order_by(UserData.recorded_at.desc(), UserData.id.desc()).limit(limit)
        with self._sessions() as session:
            return list(session.scalars(stmt.offset(offset)))

    def window(self, user_id: int, data_type: DataType, since: datetime) -> builtins.list[UserData]:
        """Records of one type since a time, oldest first (what the analysers read)."""
        with self._sessions() as session:
            return list(
                session.scalars(
                    select(UserData)
                    .where(
                        UserData.user_id == user_id,
                        UserData.data_type == data_type,
                        UserData.recorded_at >= since,
                    )
                    .order_by(UserData.recorded_at, UserData.id)
                )
            )

    def counts(self, user_id: int) -> dict[str, int]:
        """How many records of each type the user has."""
        with self._sessions() as session:
            rows = session.execute(
                select(UserData.data_type, func.count())
                .where(UserData.user_id == user_id)
                .group_by(UserData.data_type)
            ).all()
        return {str(data_type): int(n) for data_type, n in rows}

    def delete_ids(self, user_id: int, ids: Iterable[int]) -> int:
        """Delete these records of the user (others' ids are ignored) and their memories."""
        wanted = list(ids)
        if not wanted:
            return 0
        with self._sessions.begin() as session:
            rows = session.execute(
                select(UserData.id, UserData.data).where(
                    UserData.user_id == user_id, UserData.id.in_(wanted)
                )
            ).all()
            found = [row_id for row_id, _ in rows]
            if found:
                session.execute(delete(UserData).where(UserData.id.in_(found)))
        self._memory.delete_sources(user_id, "data", [str(i) for i in found])
        # A record told in chat and deleted by its user: understanding took something wrongly.
        undone = sum(1 for _, data in rows if (data or {}).get("source") == "chat")
        understanding_metrics.chat_record("undone", undone)
        return len(found)

    def delete_type(self, user_id: int, data_type: DataType) -> int:
        """Delete every record of one type (offered when consent is withdrawn)."""
        with self._sessions() as session:
            ids = list(
                session.scalars(
                    select(UserData.id).where(
                        UserData.user_id == user_id, UserData.data_type == data_type
                    )
                )
            )
        return self.delete_ids(user_id, ids)
