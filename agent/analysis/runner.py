"""Run every analyser over a user's consented data and store the findings as insights."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from agent.analysis.base import Analyser, Context
from agent.analysis.behavior import analyse_behavior
from agent.analysis.education import analyse_education
from agent.analysis.finance import analyse_finance
from agent.analysis.guidelines import pick_guidelines
from agent.analysis.health import analyse_health
from memory.accounts.users import Accounts
from memory.conversations.history import ChatHistory
from memory.records.datatypes import DATA_TYPES, DataType
from memory.records.insights import InsightStore, NewInsight
from memory.records.userdata import UserDataStore
from memory.storage.models import utcnow
from prompts.insights import render_insight
from prompts.language import Language, detect_language

ANALYSERS: dict[DataType, Analyser] = {
    "health": analyse_health,
    "finance": analyse_finance,
    "education": analyse_education,
    "behavior": analyse_behavior,
}
"""Custom metrics have no analyser: they are charted and searchable, not judged."""
LOOKBACK = {"education": timedelta(days=366)}
"""Records older than this play no part: two months (the longest rule compares two months), or a
year for education (an exam or a weekly goal is entered once, long before it matters)."""
DEFAULT_LOOKBACK = timedelta(days=62)

logger = logging.getLogger(__name__)


class Analyst:
    """Turns records into insights; types without consent get none (and lose old ones)."""

    def __init__(
        self,
        *,
        user_data: UserDataStore,
        insights: InsightStore,
        history: ChatHistory,
        accounts: Accounts,
        guidelines: str = "auto",
    ) -> None:
        self._data = user_data
        self._insights = insights
        self._history = history
        self._accounts = accounts
        self._guidelines = guidelines

    def analyse_user(self, user_id: int, now: datetime | None = None) -> int:
        """Recompute every insight of the user; returns how many there are now."""
        now = now or utcnow()
        language = self.language(user_id)
        allowed = self._data.consents.granted(user_id)
        context = Context(
            now=now,
            guidelines=pick_guidelines(self._guidelines, language),
            height_cm=self._accounts.profile(user_id).height_cm,
        )
        total = 0
        for data_type in DATA_TYPES:
            found: list[NewInsight] = []
            analyser = ANALYSERS.get(data_type)
            if data_type in allowed and analyser is not None:
                since = now - LOOKBACK.get(data_type, DEFAULT_LOOKBACK)
                records = self._data.window(user_id, data_type, since)
                for finding in analyser(records, context):
                    found.append(
                        NewInsight(
                            key=finding.key,
                            text=render_insight(finding.key, finding.figures, language),
                            severity=finding.severity,
                            figures=finding.figures,
                            sources=[{"kind": "user_data", "id": i} for i in finding.records],
                        )
                    )
            self._insights.replace(user_id, data_type, found)
            total += len(found)
        logger.info("analysed user %s: %d insights", user_id, total)
        return total

    def language(self, user_id: int) -> Language:
        """The language the user last wrote in (English before any chat)."""
        latest = self._history.latest_turns(user_id, 1)
        return detect_language(latest[0].input_text) if latest else "en"
