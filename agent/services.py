"""The long-lived objects a process needs (stores, model, jobs), built from settings in one place.

Nothing is built at import time: the API builds them in its lifespan, the CLI per command, tests
with their own settings or fakes, and `langgraph dev` through `agent.graph.make_graph`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from agent.advice.consolidation import Consolidator
from agent.advice.profile import Profiler
from agent.advice.recommend import Advisor
from agent.analysis.runner import Analyst
from agent.evaluation.canary import Trigger, run_canary
from agent.jobs.runner import InlineJobs, InProcessJobs, JobFunction, JobRunner
from agent.jobs.upkeep import analyse_everyone, reconcile, refresh_profiles
from agent.model.capabilities import (
    Capabilities,
    capabilities,
    consolidates,
    model_label,
    recommends_with_model,
)
from agent.model.llm import make_chat_model
from agent.model.metrics import instrument
from agent.model.queue import ModelQueue
from agent.model.queued import QueuedChatModel
from agent.model.tokens import make_budget
from memadvisor import metrics, understanding_metrics
from memadvisor.settings import Settings
from memory.accounts.audit import AuditLog
from memory.accounts.auth_sessions import AuthSessions
from memory.accounts.tokens import AccessTokens
from memory.accounts.users import Accounts, Profile
from memory.conversations.feedback import FeedbackStore
from memory.conversations.history import ChatHistory
from memory.privacy import PrivacyService
from memory.records.insights import InsightStore
from memory.records.userdata import Consents, UserDataStore
from memory.retrieval.embeddings import make_embeddings
from memory.retrieval.factory import make_memory_store
from memory.retrieval.store import MemoryStore
from memory.retrieval.vectors import VectorStoreUnavailableError
from memory.storage.crypto import EncryptionKeyError, Keyring, development_keys
from memory.storage.db import make_engine, make_session_factory, upgrade
from memory.storage.models import RetrievalEvaluation
from memory.training.evaluations import EvaluationStore
from memory.training.registry import TrainingRegistry, adapter_id
from prompts.budget import PromptBudget
from prompts.variants import check_variants

logger = logging.getLogger(__name__)

PROFILE_FACTS = 20
"""The newest facts an extractive profile summary is made of."""


@dataclass
class Services:
    """Stores, model and job runner of one process. The model loads on first use."""

    settings: Settings
    engine: Engine
    keyring: Keyring = field(repr=False)
    sessions: sessionmaker[Session]
    accounts: Accounts
    auth_sessions: AuthSessions
    access_tokens: AccessTokens
    """Personal access tokens of other programs (MCP clients)."""
    audit: AuditLog
    history: ChatHistory
    memory: MemoryStore
    privacy: PrivacyService
    user_data: UserDataStore
    insights: InsightStore
    feedback: FeedbackStore
    evaluations: EvaluationStore
    training: TrainingRegistry
    """Examples kept for fine-tuning (with consent), data sets and adapters."""
    chat_model: BaseChatModel | None = field(default=None, repr=False)
    jobs: JobRunner = field(init=False, repr=False)
    """Set by `build_services` once the job functions can be bound to these services."""

    @cached_property
    def capabilities(self) -> Capabilities:
        """What the configured model can do (`agent.model.capabilities`, settings applied)."""
        return capabilities(self.settings)

    @cached_property
    def budget(self) -> PromptBudget:
        """The model's context window and token counter, for every prompt."""
        return make_budget(self.settings, self.capabilities)

    @property
    def consolidates(self) -> bool:
        """Whether fact consolidation runs after each turn."""
        return consolidates(self.settings, self.capabilities)

    @cached_property
    def profiler(self) -> Profiler:
        """The LLM summariser of profiles."""
        return Profiler(
            llm=self.llm,
            budget=self.budget,
            structured_output=self.capabilities.structured_output,
            accounts=self.accounts,
            history=self.history,
            every_turns=self.settings.summary_every_turns,
            window_turns=self.settings.summary_window_turns,
            training=self.training,
            facts=lambda user_id: [
                m.text for m in self.memory.list(user_id, kind="fact", limit=PROFILE_FACTS)
            ],
        )

    def summarize_profile(
        self, user_id: int, *, force: bool = False, at_least: int | None = None
    ) -> Profile:
        """Refresh one user's profile in their language (the job, and the on-demand path)."""
        return self.profiler.refresh(
            user_id, self.analyst.language(user_id), force=force, at_least=at_least
        )

    @cached_property
    def advisor(self) -> Advisor:
        """Recommendations, cached per user."""
        return Advisor(
            llm=self.llm,
            sessions=self.sessions,
            accounts=self.accounts,
            user_data=self.user_data,
            insights=self.insights,
            memory=self.memory,
            items=self.settings.recommendation_items,
            variants=self.settings.prompt_variants,
            model_name=self.model_name,
            embedding_model=self.settings.embedding_model,
            use_model=recommends_with_model(self.settings, self.capabilities),
            languages=self.capabilities.languages,
            budget=self.budget,
            structured_output=self.capabilities.structured_output,
            adapter_id=self.adapter_id,
            training=self.training,
            grammar=self.settings.recommend_grammar,
        )

    def eval_retrieval(self, trigger: Trigger = "schedule") -> RetrievalEvaluation:
        """Run the retrieval canary with this process's embedding and search code (the job)."""
        return run_canary(
            self.memory,
            self.evaluations,
            embedding_model=self.settings.embedding_model,
            trigger=trigger,
        )

    @cached_property
    def consolidator(self) -> Consolidator:
        """Merges new facts with stored ones."""
        return Consolidator(
            llm=self.llm,
            memory=self.memory,
            budget=self.budget,
            structured_output=self.capabilities.structured_output,
            training=self.training,
        )

    def remember_turn(self, user_id: int, turn_id: int) -> list[str]:
        """Understand a chat turn's message and store what it says (the job after each turn)."""
        from agent.remember import remember  # it reads these services

        turn = self.history.get_turn(user_id, turn_id)
        if turn is None:  # the user or the turn was deleted meanwhile
            return []
        remembered = remember(
            self,
            user_id,
            turn.input_text,
            now=turn.created_at,
            source_id=str(turn.id),
            thread=turn.conversation_id,
            metadata={"conversation_id": turn.conversation_id},
        )
        if self.consolidates:
            for memory in self.memory.get_many(user_id, remembered.memory_ids).values():
                if memory.kind == "turn":  # nothing understood: the model's consolidation may
                    self.jobs.enqueue("consolidate_memory", user_id=user_id, memory_id=memory.id)
        return remembered.memory_ids

    def consolidate_memory(self, user_id: int, memory_id: str) -> list[str]:
        """Consolidate the facts of one chat turn (the job)."""
        return self.consolidator.consolidate(user_id, memory_id, self.analyst.language(user_id))

    @cached_property
    def analyst(self) -> Analyst:
        """The rule-based analysers."""
        return Analyst(
            user_data=self.user_data,
            insights=self.insights,
            history=self.history,
            accounts=self.accounts,
            guidelines=self.settings.health_guidelines,
        )

    @cached_property
    def model_queue(self) -> ModelQueue:
        """The one queue every call of this process's model goes through."""
        settings = self.settings
        return ModelQueue(
            slots=settings.llm_slots,
            max_waiting=settings.llm_queue_max_waiting,
            max_wait=settings.llm_queue_max_wait_seconds,
        )

    @cached_property
    def llm(self) -> BaseChatModel:
        """The chat model (the injected one, or the one named in settings), behind the queue."""
        model = instrument(self.chat_model or make_chat_model(self.settings), self.model_name)
        return QueuedChatModel(model=model, queue=self.model_queue)

    @cached_property
    def model_name(self) -> str:
        """The label recorded with each answer (found once, not on every turn)."""
        if self.chat_model is not None:
            return f"{type(self.chat_model).__name__}"
        return model_label(self.settings)

    @cached_property
    def adapter_id(self) -> str | None:
        """The id of the LoRA adapter loaded on the llama.cpp model (None without one)."""
        lora = self.settings.llamacpp_lora_path
        if self.chat_model is not None or self.settings.llm_provider != "llamacpp" or not lora:
            return None
        return adapter_id(lora)

    def close(self) -> None:
        """Finish background work, stop the model's queue and release connections."""
        self.jobs.close()
        if "model_queue" in self.__dict__:  # built on first use
            self.model_queue.close()
        self.memory.close()
        self.engine.dispose()


def make_keyring(settings: Settings) -> Keyring:
    """The keys in settings, or (development only) the ones kept in the data folder."""
    if settings.encryption_keys and settings.term_hash_key is not None:
        return Keyring(
            [key.get_secret_value() for key in settings.encryption_keys],
            settings.term_hash_key.get_secret_value(),
        )
    if settings.env != "development":  # settings refuse this already; never fall back silently
        raise EncryptionKeyError("encryption keys are required outside development")
    keys, term_key = development_keys(settings.data_dir)
    encryption = [key.get_secret_value() for key in settings.encryption_keys] or keys
    term = settings.term_hash_key.get_secret_value() if settings.term_hash_key else term_key
    return Keyring(encryption, term)


def analytics_key(settings: Settings) -> bytes:
    """The key of analytics pseudonyms: the setting, or (development) one derived from the term key.

    Derived with HMAC under a fixed label, so it differs from the term key it comes from.
    """
    if settings.analytics_hash_key is not None:
        return settings.analytics_hash_key.get_secret_value().encode()
    if settings.env != "development":
        raise EncryptionKeyError("MEMADVISOR_ANALYTICS_HASH_KEY is required outside development")
    term_key = (
        settings.term_hash_key.get_secret_value()
        if settings.term_hash_key
        else development_keys(settings.data_dir)[1]
    )
    return hmac.new(term_key.encode(), b"memadvisor analytics pseudonyms", hashlib.sha256).digest()


def build_services(
    settings: Settings,
    *,
    chat_model: BaseChatModel | None = None,
    migrate: bool = True,
    inline_jobs: bool | None = None,
    jobs: JobRunner | None = None,
    embeddings: Embeddings | None = None,
) -> Services:
    """Wire the stores, the model and the job runner described by `settings` (or `jobs`).

    `chat_model` and `embeddings` replace the configured ones (tests hold them at a gate).
    """
    check_variants(settings.prompt_variants)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    keyring = make_keyring(settings)
    if migrate:
        upgrade(settings.sqlalchemy_url, keyring=keyring)
    engine = make_engine(settings.sqlalchemy_url, keyring=keyring)
    sessions = make_session_factory(engine)
    embeddings = embeddings or make_embeddings(
        settings.embedding_model, settings.index_threads, settings.index_when_idle
    )
    memory = make_memory_store(
        sessions=sessions,
        keyring=keyring,
        embeddings=embeddings,
        collection=settings.chroma_collection,
        chroma_dir=settings.chroma_dir,
        chroma_url=settings.chroma_url,
        cache_bytes=settings.memory_index_cache_mb * 2**20,
        sweep_seconds=settings.memory_index_sweep_seconds,
    )
    services = Services(
        settings=settings,
        engine=engine,
        keyring=keyring,
        sessions=sessions,
        accounts=Accounts(sessions),
        audit=AuditLog(sessions),
        auth_sessions=AuthSessions(sessions, lifetime=timedelta(days=settings.refresh_token_days)),
        access_tokens=AccessTokens(sessions),
        history=ChatHistory(sessions),
        memory=memory,
        privacy=PrivacyService(sessions=sessions, memory=memory),
        user_data=UserDataStore(sessions=sessions, memory=memory, consents=Consents(sessions)),
        insights=InsightStore(sessions),
        feedback=FeedbackStore(sessions),
        evaluations=EvaluationStore(sessions),
        training=TrainingRegistry(sessions),
        chat_model=chat_model,
    )
    registry = job_registry(services)
    metrics.initialise(jobs=list(registry))
    understanding_metrics.initialise()
    inline = (not settings.index_in_background) if inline_jobs is None else inline_jobs
    if jobs is not None:
        services.jobs = jobs
    elif inline:
        services.jobs = InlineJobs(registry)
    elif settings.jobs == "celery":
        from agent.jobs.celery_app import CeleryJobs, make_celery  # celery loads only when chosen

        services.jobs = CeleryJobs(make_celery(settings))
    else:
        services.jobs = InProcessJobs(registry, nice=settings.job_nice)
    return services


def index_memories(memory: MemoryStore, ids: list[str] | None = None) -> int:
    """The indexing job: these memories, then one batch of whatever else is owed.

    Under load, jobs queue up behind one another; the first one embeds the others' memories in one
    batch (far cheaper than one at a time), and the rest find nothing left to do. With the vector
    store down, the memories stay owed in SQL, not lost.
    """
    try:
        indexed = memory.index_pending(ids)
        if ids is not None:
            indexed += memory.index_pending(batches=1)
        return indexed
    except VectorStoreUnavailableError as exc:
        logger.warning("%s: memories stay owed until `memadvisor reindex` or the next start", exc)
        return 0


def job_registry(services: Services) -> dict[str, JobFunction]:
    """Every background job by name, bound to `services` (kwargs are JSON-able for queues).

    Each is idempotent, so a queue may deliver it twice: indexing skips indexed memories, an
    analysis keeps insights that did not change, a summary waits for new turns, a turn is
    remembered and consolidated once, and a sweep after an erasure finds nothing the second time.
    `refresh_profiles`, `analyse_everyone` and `reconcile` fan out the scheduled work
    (`agent.jobs.upkeep`); `eval_retrieval` is the daily retrieval canary (a new row each run).
    """
    return {
        "index_memories": lambda ids=None: index_memories(services.memory, ids),
        "sweep_erased": lambda user_id: services.memory.sweep_erased(user_id),
        "analyse_user": lambda user_id: services.analyst.analyse_user(user_id),
        "summarize_profile": lambda user_id, at_least=None: services.summarize_profile(
            user_id, at_least=at_least
        ),
        "remember_turn": services.remember_turn,
        "consolidate_memory": services.consolidate_memory,
        "refresh_profiles": lambda: refresh_profiles(services),
        "analyse_everyone": lambda: analyse_everyone(services),
        "reconcile": lambda: reconcile(services),
        "eval_retrieval": lambda: services.eval_retrieval().id,
    }
