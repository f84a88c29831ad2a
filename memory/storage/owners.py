"""Late writes and their owner: what is written for a user erased meanwhile is refused, quietly.

Every row of a user references `users` (ON DELETE CASCADE) and ids are never reused
(`memory.storage.models.NEVER_REUSED`), so SQL itself sees to it that nothing written for an
erased user stays: a write committed before the erasure is deleted with the account, one after it
breaks the foreign key. `owned_write` turns that refusal into `UserGoneError`, which background
jobs take as "nothing to do" (`agent.jobs.runner`) and the API as a signed-out account. Writes of
memories learn the same from the user's clock (`memory.retrieval.clock.tick`), and a turn is found
by its owner (`memory.conversations.history`), never by its id alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from memory.storage.models import User


class UserGoneError(LookupError):
    """The user a write was for no longer exists (erased meanwhile): nothing was written.

    Not a fault: a job that meets it has nothing left to do.
    """

    def __init__(self, user_id: int) -> None:
        super().__init__(f"user {user_id} no longer exists")
        self.user_id = user_id


@contextmanager
def owned_write(sessions: sessionmaker[Session], user_id: int) -> Iterator[Session]:
    """A transaction that writes rows of one user; UserGoneError if the user is gone by its end.

    The foreign key is the check, at no extra cost: only a refused write asks whether the user
    still exists (another integrity error is raised as it is).
    """
    try:
        with sessions.begin() as session:
            yield session
    except IntegrityError as exc:
        with sessions() as session:
            gone = session.get(User, user_id) is None
        if gone:
            raise UserGoneError(user_id) from exc
        raise
