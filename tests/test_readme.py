"""The README and the docs stay true: the two commands, a short README, every setting, endpoint,
metric, variable and file they name. The docs site itself is built strictly by `make test`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from prometheus_client import Counter, Gauge, Histogram

from memadvisor import metrics
from memadvisor.settings import Settings
from scripts.docs_hooks import UnknownMarkerError, render
from scripts.settings_table import env_name

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
MAX_README_LINES = 200


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _make_target(name: str) -> list[str]:
    """The recipe lines of a Makefile target."""
    lines = _text(ROOT / "Makefile").splitlines()
    start = lines.index(f"{name}:") if f"{name}:" in lines else None
    if start is None:
        start = next(i for i, line in enumerate(lines) if line.startswith(f"{name}:"))
    recipe = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip())
    return recipe


def test_the_readme_stays_short() -> None:
    lines = len(_text(README).splitlines())
    assert lines <= MAX_README_LINES, f"README.md has {lines} lines: move details to docs/"


def test_the_two_commands_are_the_makefiles_and_ci_runs_the_test_one() -> None:
    commands = re.findall(r"^(make \w+)\s+#", _text(README), re.M)
    assert commands[:2] == ["make run", "make test"]
    assert _make_target("run") and _make_target("test")
    ci = [line for line in _text(ROOT / ".ci" / "run").splitlines() if line and line[0] != "#"]
    assert ci[-1] == "make test"


def test_the_test_command_builds_the_docs_strictly_once() -> None:
    builds = [line for line in _make_target("test") if "mkdocs" in line.replace("MKDOCS", "mkdocs")]
    assert len(builds) == 1 and "build --strict" in builds[0]
    # With --quiet, mkdocs 1.6 no longer counts the warnings --strict fails on.
    assert "--quiet" not in builds[0] and " -q" not in builds[0]


def test_every_setting_is_in_the_generated_configuration_page() -> None:
    page = render(_text(DOCS / "configuration.md"))
    rows = set(re.findall(r"^\| `(MEMADVISOR_[A-Z0-9_]+)` \|", page, re.M))
    assert rows == {env_name(name) for name in Settings.model_fields}


def test_an_unknown_generated_part_fails_the_build() -> None:
    with pytest.raises(UnknownMarkerError):
        render("<!-- generated: benchmark nonesuch -->\n")


def test_the_benchmarks_page_renders_every_benchmark_from_its_results() -> None:
    page = render(_text(DOCS / "benchmarks.md"))
    assert "<!-- generated:" not in page
    for benchmark in ("locomo", "scale", "load", "advice"):
        assert f"<!-- generated: benchmark {benchmark} -->" in _text(DOCS / "benchmarks.md")
    assert "No results of" not in page


# Variables of the test suite and of single CLI commands, not settings of the application.
TEST_VARIABLES = {"MEMADVISOR_TEST_MYSQL", "MEMADVISOR_TEST_POSTGRES", "MEMADVISOR_TOKEN"}


@pytest.mark.parametrize("path", [README, *PAGES], ids=lambda p: p.name)
def test_every_variable_named_is_a_setting(path: Path) -> None:
    known = {env_name(name) for name in Settings.model_fields} | TEST_VARIABLES
    named = set(re.findall(r"MEMADVISOR_[A-Z0-9_]*[A-Z0-9]", _text(path)))
    assert named - known == set()


def test_the_http_api_page_names_every_operation_and_no_other() -> None:
    schema = json.loads(_text(ROOT / "web" / "openapi.json"))
    served = {
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        if path.startswith("/api/")
        for method in operations
    }
    page = _text(DOCS / "http-api.md")
    named = {
        f"{method} {path}"
        for method, path in re.findall(r"`(GET|POST|PUT|PATCH|DELETE) (/api/[^`?\s]*)", page)
    }
    assert served - named == set(), "operations the HTTP API page does not describe"
    assert named - served == set(), "operations the HTTP API page names that are not served"


def test_every_metric_is_in_the_monitoring_page() -> None:
    page = _text(DOCS / "monitoring.md")
    names = {
        family.name + ("_total" if family.type == "counter" else "")
        for value in vars(metrics).values()
        if isinstance(value, Counter | Gauge | Histogram)
        for family in value.describe()
    }
    assert names
    assert {name for name in names if f"`{name}`" not in page} == set()


def _new_layout() -> bool:
    """Whether issue 27's package layout, which the docs name modules by, is in this checkout."""
    return (ROOT / "memory" / "retrieval").is_dir()


@pytest.mark.parametrize("path", [README, *PAGES], ids=lambda p: p.name)
def test_relative_links_resolve(path: Path) -> None:
    """Links to files of the checkout (mkdocs --strict checks the links between pages)."""
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", _text(path))
    local = [link for link in links if not re.match(r"[a-z]+:", link)]
    if not _new_layout():
        local = [link for link in local if link.startswith("docs/") or path.parent == DOCS]
    assert [link for link in local if not (path.parent / link).exists()] == []


# Paths that are written at run time, or name a pattern.
GENERATED = ("web/dist", "web/e2e/screenshots/", "benchmarks/results/<")
PATH = re.compile(
    r"`((?:agent|api|cli|memory|prompts|memadvisor|benchmarks|scripts|tests|deploy|web|docs)"
    r"/[\w./<>-]*)(?::\w+)?`"
)


@pytest.mark.parametrize("path", [README, *PAGES], ids=lambda p: p.name)
def test_every_file_named_exists(path: Path) -> None:
    if not _new_layout():
        pytest.skip("the docs name modules by the layout of issue 27, not merged here yet")
    named = {p for p in PATH.findall(_text(path)) if not p.startswith(GENERATED)}
    assert {p for p in named if not (ROOT / p).exists()} == set()
