"""The bounds every import is held to, read from the settings (`memadvisor.settings`).

The importers are pure parsers: they take an `ImportLimits` instead of reading settings, and its
defaults are the settings' defaults, so one place documents each limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from memadvisor.settings import Settings


def _default(name: str) -> Any:
    return field(default=Settings.model_fields[f"import_{name}"].default)


@dataclass(frozen=True, slots=True)
class ImportLimits:
    """See `Settings.import_*` for what each bounds."""

    max_records: int = _default("max_records")
    max_unpacked_bytes: int = _default("max_unpacked_bytes")
    max_unpack_ratio: int = _default("max_unpack_ratio")
    max_zip_entries: int = _default("max_zip_entries")
    max_sheet_bytes: int = _default("max_sheet_bytes")
    max_text_chars: int = _default("max_text_chars")
    max_listed_names: int = _default("max_listed_names")

    @classmethod
    def from_settings(cls, settings: Settings) -> ImportLimits:
        """The limits a running server or CLI was configured with."""
        return cls(**{f.name: getattr(settings, f"import_{f.name}") for f in fields(cls)})
