"""The configuration reference, generated from `Settings`: the docs build it, `python -m` prints it.

Every field of `memadvisor.settings.Settings` becomes a row: its environment variable, its default,
the values it accepts (from its type and bounds) and its docstring. Fields are grouped under the
`# --- section ---` comments of the class, so the page follows the source.
"""

from __future__ import annotations

import inspect
import json
import re
import types
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from annotated_types import Ge, Gt, Le, Lt
from pydantic import SecretStr
from pydantic.fields import FieldInfo

from memadvisor.settings import Settings

FIRST_SECTION = "General"
_SECTION = re.compile(r"^\s+# -+ (?P<name>[^-].*?) -+\s*$")
_FIELD = re.compile(r"^    (?P<name>[a-z_][a-z0-9_]*)\s*:")


def env_name(name: str) -> str:
    """The environment variable that sets field `name`."""
    prefix = Settings.model_config.get("env_prefix") or ""
    return f"{prefix}{name}".upper()


def sections() -> dict[str, list[str]]:
    """Field names by the section comment they stand under, in the order of the source."""
    grouped: dict[str, list[str]] = {FIRST_SECTION: []}
    current = FIRST_SECTION
    for line in inspect.getsource(Settings).splitlines():
        if heading := _SECTION.match(line):
            current = heading["name"].strip()
            grouped.setdefault(current, [])
        elif (field := _FIELD.match(line)) and field["name"] in Settings.model_fields:
            grouped[current].append(field["name"])
    listed = {name for names in grouped.values() for name in names}
    grouped[FIRST_SECTION] += [name for name in Settings.model_fields if name not in listed]
    return {name: names for name, names in grouped.items() if names}


def default(field: FieldInfo) -> str:
    """The default as an environment variable would spell it."""
    value = field.default
    if value is None:
        return "*(unset)*"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, list):
        return f"`{json.dumps(value)}`"
    return f"`{value}`"


def accepts(field: FieldInfo) -> str:
    """The values a field takes: choices, or a kind with its bounds."""
    annotation, optional = field.annotation, False
    if get_origin(annotation) in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        optional = len(members) < len(get_args(annotation))
        annotation = members[0] if len(members) == 1 else annotation
    text = _kind(annotation) + _bounds(field)
    return f"{text}, or unset" if optional else text


def _kind(annotation: Any) -> str:
    if get_origin(annotation) is Literal:
        return ", ".join(f"`{value}`" for value in get_args(annotation))
    if get_origin(annotation) is list:
        (item,) = get_args(annotation)
        plurals = {str: "strings", SecretStr: "secrets", int: "integers", Path: "paths"}
        return f"a JSON list of {plurals.get(item) or _kind(item)}"
    kinds: dict[Any, str] = {
        bool: "`true` or `false`",
        int: "an integer",
        float: "a number",
        str: "text",
        Path: "a path",
        SecretStr: "a secret",
    }
    return kinds.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _bounds(field: FieldInfo) -> str:
    low = next((f"≥ {c.ge}" for c in field.metadata if isinstance(c, Ge)), None)
    low = low or next((f"> {c.gt}" for c in field.metadata if isinstance(c, Gt)), None)
    high = next((f"≤ {c.le}" for c in field.metadata if isinstance(c, Le)), None)
    high = high or next((f"< {c.lt}" for c in field.metadata if isinstance(c, Lt)), None)
    if low and high and low.startswith("≥") and high.startswith("≤"):
        return f" from {low[2:]} to {high[2:]}"
    return "".join(f" {bound}" for bound in (low, high) if bound)


def describe(field: FieldInfo) -> str:
    """The field's docstring on one line, safe inside a Markdown table."""
    return " ".join((field.description or "").split()).replace("|", "\\|")


def settings_reference(heading: str = "##") -> str:
    """One table per section of `Settings`: variable, default, accepted values, what it does."""
    parts = []
    for section, names in sections().items():
        rows = ["| variable | default | accepts | what it does |", "|---|---|---|---|"]
        for name in names:
            field = Settings.model_fields[name]
            rows.append(
                f"| `{env_name(name)}` | {default(field)} | {accepts(field)} | {describe(field)} |"
            )
        parts.append(f"{heading} {section[0].upper()}{section[1:]}\n\n" + "\n".join(rows))
    return "\n\n".join(parts) + "\n"


def main() -> None:
    """Print the reference as Markdown."""
    print(settings_reference(), end="")


if __name__ == "__main__":
    main()
