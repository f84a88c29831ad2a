"""MkDocs hooks: the parts of the docs generated at build time, so they cannot go stale.

A page asks for a generated part with a marker on a line of its own:

    <!-- generated: settings -->           every setting (`scripts.settings_table`)
    <!-- generated: benchmark locomo -->   the latest runs of a benchmark (`benchmarks.report`)

An unknown marker fails the build.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `mkdocs` runs from .venv/bin; the hooks import the checkout
    sys.path.insert(0, str(ROOT))

from benchmarks.report import BENCHMARKS  # noqa: E402
from benchmarks.report import markdown as benchmark_tables  # noqa: E402
from scripts.settings_table import settings_reference  # noqa: E402

MARKER = re.compile(r"^<!-- generated: (?P<what>[a-z]+)(?: (?P<arg>[a-z0-9_-]+))? -->$", re.M)


class UnknownMarkerError(ValueError):
    """A page asks for a generated part that does not exist."""


def render(text: str) -> str:
    """The page with each marker replaced by what it names."""

    def generated(match: re.Match[str]) -> str:
        what, arg = match["what"], match["arg"]
        if what == "settings" and arg is None:
            return settings_reference(heading="##")
        if what == "benchmark" and arg in BENCHMARKS:
            return benchmark_tables(arg)
        raise UnknownMarkerError(f"unknown generated part: {match[0]}")

    return MARKER.sub(generated, text)


def on_page_markdown(markdown: str, **_: Any) -> str:
    """MkDocs event: fill in the page's generated parts."""
    return render(markdown)
