"""The `memadvisor` command's shared parts: the Typer app, the console and the options.

The CLI stands at the top of the house, beside `api/`: it may import every floor, and nothing
imports it. Each group of commands lives in its own module of this package (`cli.main` lists them).
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from memadvisor.settings import get_settings

if TYPE_CHECKING:
    from agent.services import Services

app = typer.Typer(
    help="MemAdvisor: private memory and advice for local LLMs.", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console()

UserOption = Annotated[str, typer.Option("--user", "-u", help="The local user to act as.")]


@app.callback()
def _setup(context: typer.Context) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # no library may reach for a model hub
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    # `generate-keys` makes the keys production settings require: it runs without settings.
    keys = context.invoked_subcommand == "generate-keys"
    logging.basicConfig(
        level="INFO" if keys else get_settings().log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)  # one line per migration is enough


def progress_bar() -> Progress:
    """A progress bar with a count and the time left, on the shared console."""
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    )


def local_user(services: Services, username: str) -> int:
    """The id of an existing local user, or a usage error naming the option."""
    account = services.accounts.by_username(username)
    if account is None:
        raise typer.BadParameter(f"no user named {username!r}", param_hint="--user")
    return account.id


def safe_url(url: str) -> str:
    """A database URL fit to print: the password hidden."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
