"""The house's arrows point down: `cli`/`api`, then `agent`, then `memory`/`prompts`, then settings.

The contract lives in `pyproject.toml` (`[tool.importlinter]`); this runs it as part of the suite.
"""

from __future__ import annotations

from importlinter.cli import lint_imports


def test_no_import_runs_up_the_house() -> None:
    assert lint_imports(no_cache=True) == 0
