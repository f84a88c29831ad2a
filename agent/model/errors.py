"""The error every part of the model tier raises when the configured model cannot answer."""

from __future__ import annotations


class LLMUnavailableError(RuntimeError):
    """The configured model cannot answer; the message says what to run to fix it."""
