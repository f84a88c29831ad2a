"""The README stays true: every setting is documented, the two commands are the Makefile's."""

from __future__ import annotations

from pathlib import Path

from memadvisor.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_every_setting_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [
        f"MEMADVISOR_{name.upper()}"
        for name in Settings.model_fields
        if f"`MEMADVISOR_{name.upper()}`" not in readme
    ]
    assert missing == []


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run " in readme and "make test " in readme
    assert (ROOT / ".ci" / "run").read_text().strip().endswith("make test")
