"""`memadvisor doctor`: check the configured set-up, and print the fix for each failure.

Each check is a function of the settings (and, for the round trips, a chat model), so tests run
every one healthy and broken. A warning (the demo model and Chinese, Celery not configured) does
not fail the command; a failure exits with 1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import typer
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel
from rich.markup import escape

from agent.model.capabilities import Capabilities, capabilities, switch_command
from agent.model.errors import LLMUnavailableError
from agent.model.llm import check_llm, make_chat_model, public_url
from agent.model.repetition import repeats
from cli.app import app, console, safe_url
from memadvisor.settings import Settings, get_settings
from prompts.language import cjk_share

Status = Literal["ok", "warn", "fail", "skip"]
MARKS: dict[Status, str] = {
    "ok": "[green]✓[/]",
    "warn": "[yellow]![/]",
    "fail": "[red]✗[/]",
    "skip": "[dim]-[/]",
}


@dataclass(frozen=True, slots=True)
class Check:
    """One check's verdict, and what to do about a bad one."""

    name: str
    status: Status
    detail: str
    fix: str = ""
    loud: bool = False
    """Printed in red: a danger, not an inconvenience."""


def check_database(settings: Settings) -> Check:
    """The database answers and is migrated to the code's latest revision."""
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy.exc import SQLAlchemyError

    from memory.storage.db import alembic_config, make_engine

    url = settings.sqlalchemy_url
    name = "database"
    try:
        engine = make_engine(url)
        try:
            with engine.connect() as connection:
                current = MigrationContext.configure(connection).get_current_revision()
        finally:
            engine.dispose()
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc  # the driver's error says more
        return Check(
            name,
            "fail",
            f"{safe_url(url)} is not reachable ({type(cause).__name__})",
            "start the database server, or correct MEMADVISOR_DATABASE_URL "
            "(unset: a SQLite file in MEMADVISOR_DATA_DIR)",
        )
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    if current != head:
        return Check(
            name,
            "fail",
            f"{safe_url(url)} is at revision {current or 'none'}, the code needs {head}",
            "run `memadvisor db upgrade`",
        )
    return Check(name, "ok", f"{safe_url(url)} at revision {head}")


def check_vector_store(settings: Settings) -> Check:
    """Chroma answers its heartbeat (the server, or the embedded folder)."""
    from memory.retrieval.vectors import chroma_client_factory

    where = public_url(settings.chroma_url) if settings.chroma_url else str(settings.chroma_dir)
    try:
        client = chroma_client_factory(url=settings.chroma_url, persist_dir=settings.chroma_dir)()
        client.heartbeat()
    except Exception as exc:  # chromadb raises ValueError, ConnectionError, its own errors
        fix = (
            f"start it: `chroma run --path /srv/chroma --port {_port(settings.chroma_url)}`, or "
            "unset MEMADVISOR_CHROMA_URL to use the embedded folder"
            if settings.chroma_url
            else f"make {settings.chroma_dir} writable, or set MEMADVISOR_DATA_DIR"
        )
        return Check("vector store", "fail", f"Chroma at {where}: {type(exc).__name__}", fix)
    kind = "server" if settings.chroma_url else "embedded folder"
    return Check("vector store", "ok", f"Chroma {kind} at {where}")


def _port(url: str | None) -> int:
    from urllib.parse import urlsplit

    return (urlsplit(url).port if url else None) or 8000


def check_model(settings: Settings, caps: Capabilities) -> Check:
    """The model can be reached and is there (the GGUF file, Ollama's pull, the server's list)."""
    try:
        check_llm(settings)
    except LLMUnavailableError as exc:
        return Check("model", "fail", caps.model, str(exc))
    demo = " (the bundled demo model)" if caps.demo else ""
    return Check("model", "ok", f"{caps.model}{demo}, writes {', '.join(caps.languages)}")


class _RoundTrip(BaseModel):
    city: str
    country: str


def check_json(llm: BaseChatModel, caps: Capabilities) -> Check:
    """The model returns JSON of a schema, the way structured output will ask for it."""
    # Imported here: it loads the metrics, which `memadvisor worker` must set up first.
    from agent.model.structured import StructuredOutputError, generate

    messages = [
        SystemMessage("Reply with only a JSON object with the keys city and country."),
        HumanMessage("Name a city in France."),
    ]
    try:
        answer = generate(llm, messages, _RoundTrip, mode=caps.structured_output, max_tokens=96)
    except StructuredOutputError as exc:
        return Check(
            "JSON schema round trip",
            "fail",
            f"{caps.structured_output}: {exc}",
            "the server may not accept JSON schemas: set MEMADVISOR_LLM_STRUCTURED_OUTPUT="
            "json_object (JSON mode) or prompt",
        )
    except Exception as exc:
        return Check("JSON schema round trip", "fail", _error(exc), "see `model` above")
    return Check("JSON schema round trip", "ok", f"{caps.structured_output}: {answer.city!r}")


def check_chinese(llm: BaseChatModel, caps: Capabilities, settings: Settings) -> Check:
    """The model writes Chinese without looping, or is declared not to (then a warning)."""
    name = "Chinese round trip"
    if not caps.writes("zh"):
        return Check(
            name,
            "warn",
            f"{caps.model} is declared English-only: Chinese messages get an answer without it",
            f"for answers in Chinese run `{switch_command(settings)}`",
        )
    try:
        reply = llm.invoke(
            [SystemMessage("请用简体中文回答。"), HumanMessage("用一句话介绍一下杭州。")]
        ).text
    except Exception as exc:
        return Check(name, "fail", _error(exc), "see `model` above")
    if cjk_share(reply) < 0.5 or repeats(reply):
        return Check(
            name,
            "fail",
            f"the answer is not usable Chinese: {reply[:60]!r}",
            "set MEMADVISOR_LLM_LANGUAGES='[\"en\"]' (Chinese messages then get an answer "
            f"without the model), or switch models: `{switch_command(settings)}`",
        )
    return Check(name, "ok", reply.strip()[:40])


def check_redis(settings: Settings) -> Check:
    """Celery's Redis answers a ping (only with `MEMADVISOR_JOBS=celery`)."""
    if settings.jobs != "celery":
        return Check("Redis for Celery", "skip", "background jobs run in-process")
    import redis

    where = public_url(settings.redis_url)
    try:
        redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=2).ping()
    except redis.RedisError as exc:
        return Check(
            "Redis for Celery",
            "fail",
            f"{where}: {type(exc).__name__}",
            "start redis-server, correct MEMADVISOR_REDIS_URL, or set MEMADVISOR_JOBS=inprocess",
        )
    return Check("Redis for Celery", "ok", where)


def check_sign_in(settings: Settings) -> Check:
    """Tokens are signed with a secret of this installation, and every request signs in.

    Development allows the public default secret and a user that needs no token; anyone who can
    reach such a server can act as any account (with the secret, a token valid for ten years).
    """
    from memadvisor.settings import DEFAULT_SECRET_KEY

    name = "sign-in"
    if settings.secret_key == DEFAULT_SECRET_KEY:
        return Check(
            name,
            "warn",
            "MEMADVISOR_SECRET_KEY is the public development default: anyone who can reach this "
            "server can sign a token for any account, valid for as long as they like",
            "fine on your own machine only; before anyone else can reach it, put the keys of "
            "`memadvisor generate-keys` in .env (and MEMADVISOR_ENV=production)",
            loud=True,
        )
    if settings.dev_user:
        return Check(
            name,
            "warn",
            f"MEMADVISOR_DEV_USER: every request without a token acts as {settings.dev_user!r}",
            "fine on your own machine only; unset it before anyone else can reach the server",
            loud=True,
        )
    return Check(name, "ok", "tokens are signed with this installation's own secret")


def _error(exc: Exception) -> str:
    return f"{type(exc).__name__}: {str(exc)[:120]}"


def run_checks(
    settings: Settings, model_factory: Callable[[Settings], BaseChatModel] = make_chat_model
) -> list[Check]:
    """Every check, in order; the round trips only when the model is there."""
    caps = capabilities(settings)
    checks = [check_sign_in(settings), check_database(settings), check_vector_store(settings)]
    model = check_model(settings, caps)
    checks.append(model)
    if model.status == "ok":
        llm = model_factory(settings)
        checks += [check_json(llm, caps), check_chinese(llm, caps, settings)]
    else:
        for name in ("JSON schema round trip", "Chinese round trip"):
            checks.append(Check(name, "skip", "the model is not reachable"))
    checks.append(check_redis(settings))
    return checks


@app.command()
def doctor() -> None:
    """Check the set-up (sign-in, database, vector store, model, Redis...); print each fix."""
    checks = run_checks(get_settings())
    for check in checks:
        detail = escape(check.detail)
        line = f"{MARKS[check.status]} {check.name}: " + (
            f"[bold red]{detail}[/]" if check.loud else detail
        )
        console.print(line, highlight=False, soft_wrap=True)
        if check.fix:
            console.print(f"    fix: {check.fix}", highlight=False, markup=False, soft_wrap=True)
    if any(check.status == "fail" for check in checks):
        raise typer.Exit(1)
