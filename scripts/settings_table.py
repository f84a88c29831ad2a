"""Print the README's configuration table from `Settings` (run after adding a setting)."""

from __future__ import annotations

import json
from pathlib import Path

from memadvisor.settings import Settings


def _default(value: object) -> str:
    if value is None:
        return "*(unset)*"
    if isinstance(value, Path):
        return f"`{value}`"
    if isinstance(value, list):
        return f"`{json.dumps(value)}`"
    return f"`{value}`"


def main() -> None:
    """Write the Markdown table to stdout."""
    print("| variable | default | what it does |")
    print("|---|---|---|")
    for name, field in Settings.model_fields.items():
        doc = " ".join((field.description or "").split()).replace("|", "\\|")
        print(f"| `MEMADVISOR_{name.upper()}` | {_default(field.default)} | {doc} |")


if __name__ == "__main__":
    main()
