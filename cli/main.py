"""`memadvisor`: serve the API, run workers, chat in the terminal, migrate, reindex, fine-tune.

Importing a command module registers its commands on the shared app.
"""

from __future__ import annotations

from cli import chatting, data, finetune, maintenance, serving
from cli.app import app

__all__ = ["app", "chatting", "data", "finetune", "maintenance", "serving"]

if __name__ == "__main__":
    app()
