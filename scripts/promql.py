"""The PromQL shared by the dashboard (`scripts.panels`) and the alerts (`scripts.alerts`).

Every expression lives here once, with the budgets the alerts hold the service to, so a panel and
the alert watching the same thing can never disagree.
"""

from __future__ import annotations

RATE = "$__rate_interval"
"""Grafana's rate window (at least four scrape intervals); tests put a fixed window in its place."""

# Budgets the alerts hold the service to.
RETRIEVAL_P95_BUDGET_SECONDS = 0.5
"""A chat turn's memory search: loose enough for a machine under full chat load, tight enough
that a search scanning more than one user's memories trips it."""
CANARY_RECALL_FLOOR = 0.8
"""Recall@5 on the bilingual set, below what the default configuration reaches (see the
benchmarks' results)."""
SERVER_ERROR_RATIO = 0.05
CANARY_MAX_AGE_SECONDS = 2 * 86400
"""Beat runs the canary daily; two days without a run means beat or the workers are not working."""

HTTP = "memadvisor_http_request_duration_seconds"
GEN_AI = "gen_ai_client_operation_duration_seconds"
CHAT = 'gen_ai_operation_name="chat"'
SEARCH = 'gen_ai_operation_name="search_memory"'
CHAT_ROUTE = 'handler="/api/chat/stream"'


def quantile(q: float, histogram: str, by: str = "", selector: str = "", window: str = RATE) -> str:
    """`histogram_quantile` of a histogram's buckets, summed over instances."""
    labels = ", ".join(["le", *([by] if by else [])])
    inner = f"rate({histogram}_bucket{{{selector}}}[{window}])"
    return f"histogram_quantile({q}, sum by ({labels}) ({inner}))"


def ratio(part: str, whole: str) -> str:
    """`part / whole`, where `part` reads 0 (not "no data") while nothing matches it yet."""
    return f"((({part}) or vector(0)) / ({whole}))"


def server_errors(window: str) -> str:
    """The share of answers that were 5xx."""
    return ratio(
        f'sum(rate({HTTP}_count{{status=~"5.."}}[{window}]))',
        f"sum(rate({HTTP}_count[{window}]))",
    )


def model_failures(window: str) -> str:
    """The share of model calls that raised."""
    return ratio(
        f'sum(rate({GEN_AI}_count{{{CHAT}, error_type!=""}}[{window}]))',
        f"sum(rate({GEN_AI}_count{{{CHAT}}}[{window}]))",
    )
