"""The house's arrows point down: `cli`/`api`, `finetune`, `agent`, `memory`/`prompts`, settings.

Inside `memory/` and `agent/` too: their sub-packages are layered, `memory.retrieval` and
`agent.model` module by module, and the importers may not reach any store. The contracts live in
`pyproject.toml` (`[tool.importlinter]`); this runs them as part of the suite,
in its own process (import-linter prints with rich, which must not share pytest's captured streams).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_no_import_runs_up_the_house() -> None:
    check = (
        "from importlinter.cli import lint_imports; raise SystemExit(lint_imports(no_cache=True))"
    )
    result = subprocess.run(
        [sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
