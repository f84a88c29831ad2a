"""`memadvisor`: serve, run workers, chat, migrate, reindex, evaluate and fine-tune.

Importing a command module registers its commands on the shared app.
"""

from __future__ import annotations

from cli import chatting, data, doctor, eval, feedback, finetune, maintenance, serving, tokens
from cli.app import app

__all__ = [
    "app",
    "chatting",
    "data",
    "doctor",
    "eval",
    "feedback",
    "finetune",
    "maintenance",
    "serving",
    "tokens",
]

if __name__ == "__main__":
    app()
