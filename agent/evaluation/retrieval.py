"""Retrieval measured through the real write and search paths of `MemoryStore`, in a scratch store.

Every conversation becomes one user; every turn a memory (its session's date as the memory's time,
its session as the thread, its speaker as the speaker); every question with evidence is searched as
that user and scored with recall@k = |evidence ∩ top k| / |evidence|. Adversarial questions (the
answer is not in the conversation) are searched for their top score only.

The scratch store is a temporary SQLite file and Chroma folder holding nothing but the data set,
built by the live store's factory (`memory.retrieval.factory`), with the embedding model and search
weights handed in: the retrieval canary passes the live ones, `benchmarks.locomo` the one it is
asked to measure. Both score with this module, so they report the same recall.
"""

from __future__ import annotations

import secrets
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography.fernet import Fernet
from langchain_core.embeddings import Embeddings

from agent.evaluation.datasets import Conversation
from memory.accounts.users import Accounts
from memory.retrieval.factory import make_memory_store
from memory.retrieval.store import MemoryStore, NewMemory, SearchWeights
from memory.storage.crypto import Keyring
from memory.storage.db import make_engine, make_session_factory
from memory.storage.models import Base
from prompts.language import Language, detect_language

ANSWERABLE = (1, 2, 3, 4)
ADVERSARIAL = 5
INGEST_BATCH = 128

Slice = Literal["zh", "en", "cross"]
Progress = Callable[[str, int], None]
"""Called with a stage (`ingesting turns`, `searching`) and how many items were just done."""


@dataclass(frozen=True, slots=True)
class Scratch:
    """A throw-away memory store and the accounts its users live in."""

    memory: MemoryStore
    accounts: Accounts


@contextmanager
def scratch_store(
    embeddings: Embeddings,
    *,
    weights: SearchWeights | None = None,
    prefix: str = "memadvisor-eval-",
) -> Iterator[Scratch]:
    """A fresh store in a temporary folder (with keys of its own), removed afterwards."""
    keyring = Keyring([Fernet.generate_key().decode()], secrets.token_urlsafe(32))
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'scratch.db'}", keyring=keyring)
        Base.metadata.create_all(engine)  # the schema the migrations build (a test checks)
        sessions = make_session_factory(engine)
        memory = make_memory_store(
            sessions=sessions,
            keyring=keyring,
            embeddings=embeddings,
            collection="scratch",
            chroma_dir=Path(folder) / "chroma",
            weights=weights,
        )
        try:
            yield Scratch(memory, Accounts(sessions))
        finally:
            memory.close()
            engine.dispose()


@dataclass(frozen=True, slots=True)
class Scored:
    """One question searched: its category, its languages and how much evidence was found."""

    category: int
    language: Language
    """The question's language."""
    evidence_languages: frozenset[Language]
    """Languages of the turns that answer it (empty for adversarial questions)."""
    recall: Mapping[int, float]
    """Recall at each cut-off; empty for adversarial questions."""
    top_score: float | None
    """Score of the best hit (None without hits)."""
    search_ms: float

    @property
    def answerable(self) -> bool:
        """Whether recall was scored (not an adversarial question)."""
        return bool(self.recall)

    @property
    def slice(self) -> Slice:
        """`zh` or `en` when question and evidence share that language, else `cross`."""
        if self.evidence_languages <= {self.language}:
            return self.language
        return "cross"


@dataclass(frozen=True, slots=True)
class Measured:
    """Everything a run measured."""

    questions: list[Scored]
    turns: int
    ingest_seconds: float


def measure(
    scratch: Scratch,
    conversations: Sequence[Conversation],
    ks: Sequence[int],
    progress: Progress | None = None,
) -> Measured:
    """Ingest every conversation as one user, then search and score every question."""
    store = scratch.memory
    ingest_seconds = 0.0
    users: dict[str, tuple[int, dict[str, str]]] = {}
    for conversation in conversations:
        user_id = scratch.accounts.local(f"eval-{conversation.name}"[:64]).id
        id_to_dia: dict[str, str] = {}
        for start in range(0, len(conversation.turns), INGEST_BATCH):
            batch = conversation.turns[start : start + INGEST_BATCH]
            began = time.perf_counter()
            ids = store.add_many(
                user_id,
                [
                    NewMemory(
                        t.memory_text,
                        "turn",
                        t.when,
                        t.dia_id,
                        thread=f"session-{t.session}",
                        speaker=t.speaker,
                    )
                    for t in batch
                ],
            )
            ingest_seconds += time.perf_counter() - began
            id_to_dia.update(zip(ids, (t.dia_id for t in batch), strict=True))
            if progress:
                progress("ingesting turns", len(batch))
        users[conversation.name] = (user_id, id_to_dia)

    depth = max(ks)
    scored: list[Scored] = []
    for conversation in conversations:
        user_id, id_to_dia = users[conversation.name]
        languages = {t.dia_id: detect_language(t.text) for t in conversation.turns}
        for question in conversation.questions:
            if progress:
                progress("searching", 1)
            answerable = question.category in ANSWERABLE and question.evidence
            if not answerable and question.category != ADVERSARIAL:
                continue
            began = time.perf_counter()
            found = store.search(user_id, question.question, depth)
            search_ms = (time.perf_counter() - began) * 1000
            retrieved = [id_to_dia.get(m.id, "") for m in found]
            evidence = set(question.evidence) if answerable else set()
            scored.append(
                Scored(
                    category=question.category,
                    language=detect_language(question.question),
                    evidence_languages=frozenset(languages[d] for d in evidence if d in languages),
                    recall={k: len(evidence & set(retrieved[:k])) / len(evidence) for k in ks}
                    if evidence
                    else {},
                    top_score=(found[0].score or 0.0) if found else None,
                    search_ms=search_ms,
                )
            )
    turns = sum(len(c.turns) for c in conversations)
    return Measured(questions=scored, turns=turns, ingest_seconds=ingest_seconds)


def mean_recall(scored: Iterable[Scored], k: int) -> float | None:
    """Mean recall@k over the answerable questions (None when there are none)."""
    values = [q.recall[k] for q in scored if q.answerable]
    return statistics.fmean(values) if values else None
