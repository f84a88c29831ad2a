"""The Prometheus alert rules of `deploy/prometheus/alerts.yml`: what pages an operator, and why."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scripts.promql import (
    CANARY_MAX_AGE_SECONDS,
    CANARY_RECALL_FLOOR,
    GEN_AI,
    RETRIEVAL_P95_BUDGET_SECONDS,
    SEARCH,
    SERVER_ERROR_RATIO,
    model_failures,
    quantile,
    server_errors,
)


def alert_rules() -> dict[str, Any]:
    """The Prometheus rule file: what pages an operator, and why."""

    def rule(
        name: str, expr: str, wait: str, severity: str, summary: str, text: str
    ) -> dict[str, Any]:
        return {
            "alert": name,
            "expr": expr,
            "for": wait,
            "labels": {"severity": severity},
            "annotations": {"summary": summary, "description": text},
        }

    search_p95 = quantile(0.95, GEN_AI, selector=SEARCH, window="10m")
    return {
        "groups": [
            {
                "name": "memadvisor",
                "rules": [
                    rule(
                        "MemAdvisorTargetDown",
                        'up{job=~"memadvisor.*"} == 0',
                        "2m",
                        "page",
                        "An API or worker process cannot be scraped · 无法抓取服务指标",
                        "{{ $labels.job }} at {{ $labels.instance }} has not answered /metrics "
                        "for 2 minutes.",
                    ),
                    rule(
                        "MemAdvisorModelUnreachable",
                        "sum(increase(memadvisor_model_unavailable_total[5m])) > 0 or "
                        f"{model_failures('5m')} > 0.5",
                        "5m",
                        "page",
                        "The language model is unreachable · 语言模型不可用",
                        "Chat messages are refused with 503 (the model cannot be reached) or "
                        "most model calls fail. Check Ollama or the configured model server.",
                    ),
                    rule(
                        "MemAdvisorVectorStoreUnavailable",
                        "sum(increase(memadvisor_vector_store_unavailable_total[5m])) > 0",
                        "5m",
                        "page",
                        "The vector store is unavailable · 向量库不可用",
                        "Answers go out without memories and new memories stay owed in SQL; "
                        "check the Chroma server, then run `memadvisor reindex`.",
                    ),
                    rule(
                        "MemAdvisorRetrievalSlow",
                        f"{search_p95} > {RETRIEVAL_P95_BUDGET_SECONDS}",
                        "10m",
                        "ticket",
                        "Memory search p95 is over its budget · 记忆检索过慢",
                        f"p95 of search_memory has been above {RETRIEVAL_P95_BUDGET_SECONDS} s "
                        "for 10 minutes; every chat turn waits for it.",
                    ),
                    rule(
                        "MemAdvisorRetrievalCanaryLow",
                        'min(memadvisor_retrieval_canary_recall_at_5{slice="all"}) < '
                        f"{CANARY_RECALL_FLOOR}",
                        "5m",
                        "ticket",
                        "Retrieval recall fell below its floor · 检索召回率下降",
                        f"The daily canary's recall@5 is under {CANARY_RECALL_FLOOR}: a model "
                        "or configuration change hurt retrieval.",
                    ),
                    rule(
                        "MemAdvisorRetrievalCanaryStale",
                        "time() - max(memadvisor_retrieval_canary_last_run_timestamp_seconds) > "
                        f"{CANARY_MAX_AGE_SECONDS}",
                        "10m",
                        "ticket",
                        "The retrieval canary has not run · 检索金丝雀未运行",
                        "No canary run for two days: check beat and the workers.",
                    ),
                    rule(
                        "MemAdvisorJobBacklogGrowing",
                        "max(min_over_time(memadvisor_job_queue_depth[15m])) > 0 and "
                        "max(deriv(memadvisor_job_queue_depth[15m])) > 0",
                        "15m",
                        "ticket",
                        "Background jobs pile up · 后台任务积压",
                        "The job queue has not emptied for 15 minutes and keeps growing: add "
                        "workers or find the slow job.",
                    ),
                    rule(
                        "MemAdvisorIndexingBacklogGrowing",
                        "max(min_over_time(memadvisor_memories_pending_index[15m])) > 0 and "
                        "max(deriv(memadvisor_memories_pending_index[15m])) > 0",
                        "15m",
                        "ticket",
                        "Memories wait for their vectors · 记忆索引积压",
                        "Memories owed a vector have not caught up for 15 minutes; keyword "
                        "search finds them meanwhile.",
                    ),
                    rule(
                        "MemAdvisorServerErrors",
                        f"{server_errors('5m')} > {SERVER_ERROR_RATIO}",
                        "5m",
                        "page",
                        "Too many 5xx answers · 服务端错误过多",
                        f"More than {SERVER_ERROR_RATIO:.0%} of requests failed with 5xx over "
                        "5 minutes.",
                    ),
                ],
            }
        ]
    }


def alert_exprs(rules: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Every alert's name and expression in a rule file."""
    for group in rules["groups"]:
        for item in group["rules"]:
            yield item["alert"], item["expr"]
