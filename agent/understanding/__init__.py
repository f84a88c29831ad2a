"""Memory that understands: what a user message says about the user (issue 28).

`understand(text, now=...)` returns an `Understanding`: its statements (facts, preferences and
constraints, goals, events, measurements with their records, forget requests) and what each
sentence does (a question or small talk yields nothing). The shapes are in `shapes`.
"""

from agent.understanding.engine import understand
from agent.understanding.shapes import (
    SELF,
    STATEMENT_KINDS,
    Act,
    Constraint,
    ConstraintKind,
    RecordDraft,
    Sentence,
    Statement,
    StatementKind,
    Understanding,
)

__all__ = [
    "SELF",
    "STATEMENT_KINDS",
    "Act",
    "Constraint",
    "ConstraintKind",
    "RecordDraft",
    "Sentence",
    "Statement",
    "StatementKind",
    "Understanding",
    "understand",
]
