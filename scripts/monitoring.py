"""The Grafana dashboard and the Prometheus alert rules of `deploy/`, generated from one place.

    python -m scripts.monitoring           # write deploy/grafana/dashboards/*.json, alerts.yml
    python -m scripts.monitoring --check   # exit 1 if the committed files differ from this

Every PromQL expression lives here once: a panel and the alert watching the same thing share it.
The dashboard is built with grafana-foundation-sdk (Grafana's own typed builders), so its JSON is
what Grafana's schema expects; tests/test_monitoring.py evaluates every expression below against
a real Prometheus scraping a real API.

Series read from SQL (engagement, the canary, memory counts) are the same from every API process:
they are combined with `max`, never summed. Process series (requests, model calls, jobs) are summed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from grafana_foundation_sdk.builders import prometheus, stat, timeseries
from grafana_foundation_sdk.builders.common import (
    ReduceDataOptions,
    VizLegendOptions,
    VizTooltipOptions,
)
from grafana_foundation_sdk.builders.dashboard import (
    Dashboard,
    DatasourceVariable,
    Row,
    ThresholdsConfig,
)
from grafana_foundation_sdk.cog import plugins
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as model

ROOT = Path(__file__).resolve().parents[1]
DASHBOARDS = ROOT / "deploy" / "grafana" / "dashboards"
OVERVIEW = DASHBOARDS / "memadvisor-overview.json"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
RATE = "$__rate_interval"
"""Grafana's rate window (at least four scrape intervals); tests put a fixed window in its place."""

# Budgets the alerts hold the service to.
RETRIEVAL_P95_BUDGET_SECONDS = 0.5
"""A chat turn's memory search; measured 14-30 ms alone, 374 ms on average under 50-user load."""
CANARY_RECALL_FLOOR = 0.8
"""Recall@5 on the bilingual set; the default configuration measures 0.872."""
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


@dataclass(frozen=True, slots=True)
class Query:
    """One PromQL expression of a panel and its legend."""

    expr: str
    legend: str = ""


@dataclass(frozen=True, slots=True)
class Panel:
    """A panel: a time series (trend) or a stat (the latest value)."""

    title: str
    queries: tuple[Query, ...]
    unit: str = "short"
    kind: str = "timeseries"
    description: str = ""
    width: int = 6
    floor: float | None = None
    """Values below this are shown red (stat panels)."""


@dataclass(frozen=True, slots=True)
class Section:
    """A row of the dashboard."""

    title: str
    panels: tuple[Panel, ...]


def _q(expr: str, legend: str = "") -> Query:
    return Query(expr, legend)


SECTIONS = (
    Section(
        "The three questions · 三个问题",
        (
            Panel(
                "Recommendation latency p95 · 推荐生成延迟",
                (
                    _q(
                        quantile(0.95, "memadvisor_recommendation_duration_seconds", "writer"),
                        "p95 {{writer}}",
                    ),
                    _q(
                        quantile(0.5, "memadvisor_recommendation_duration_seconds", "cached"),
                        "p50 cached={{cached}}",
                    ),
                ),
                unit="s",
                description="Time to produce a user's recommendations, by writer (rules or "
                "model) and whether the stored set was still valid.",
            ),
            Panel(
                "Retrieval canary recall@5 · 检索准确率（每日）",
                (_q("max by (slice) (memadvisor_retrieval_canary_recall_at_5)", "{{slice}}"),),
                unit="percentunit",
                kind="stat",
                floor=CANARY_RECALL_FLOOR,
                description="The bundled bilingual set searched daily with the live embedding "
                "and search code: all questions, Chinese, English, cross-lingual.",
            ),
            Panel(
                "Answers with a relevant memory · 有相关记忆的回答",
                (
                    _q(
                        ratio(
                            "sum(rate(memadvisor_chat_retrievals_total"
                            f'{{outcome="relevant"}}[{RATE}]))',
                            f"sum(rate(memadvisor_chat_retrievals_total[{RATE}]))",
                        ),
                        "with a memory at or above the threshold",
                    ),
                ),
                unit="percentunit",
                description="Share of chat answers given at least one memory at or above "
                "MEMADVISOR_MEMORY_MIN_SCORE (online, no labels needed).",
            ),
            Panel(
                "Active users · 活跃用户",
                (_q("max by (window) (memadvisor_active_users)", "{{window}}"),),
                kind="stat",
                description="Users who sent a chat message in the last 1, 7 and 30 days.",
            ),
        ),
    ),
    Section(
        "Retrieval accuracy · 检索质量",
        (
            Panel(
                "Approval with vs without memories · 有无记忆的满意度",
                (
                    _q(
                        'max by (memories) (memadvisor_answer_approval_ratio{window="7d"})',
                        "{{memories}} memories",
                    ),
                ),
                unit="percentunit",
                description="Share of thumbs up on answers over the last 7 days, by whether "
                "the answer had memories.",
            ),
            Panel(
                "Shown memories later corrected · 被纠正的记忆",
                (
                    _q(
                        "sum by (action) (increase(memadvisor_memory_corrections_total"
                        '{shown_to_model="true"}[1h]))',
                        "{{action}}",
                    ),
                    _q("sum(increase(memadvisor_memories_shown_total[1h]))", "memories shown"),
                ),
                description="Memories given to the model that the user then edited or "
                "deleted, next to the memories shown, per hour.",
            ),
            Panel(
                "Best memory score p50 · 最佳记忆得分",
                (_q(quantile(0.5, "memadvisor_retrieval_top_score"), "p50"),),
                description="Score of the best memory found for a chat message; a drop "
                "follows a retrieval or data change.",
            ),
            Panel(
                "Canary run · 金丝雀运行",
                (
                    _q("max(memadvisor_retrieval_canary_duration_seconds)", "duration"),
                    _q(
                        "time() - max(memadvisor_retrieval_canary_last_run_timestamp_seconds)",
                        "age",
                    ),
                ),
                unit="s",
                kind="stat",
            ),
        ),
    ),
    Section(
        "Engagement · 用户参与",
        (
            Panel(
                "Messages per active user · 人均消息",
                (_q("max by (window) (memadvisor_turns_per_active_user)", "{{window}}"),),
            ),
            Panel(
                "Returning users · 回访用户",
                (
                    _q("max(memadvisor_returning_users)", "active this week and last"),
                    _q("max(memadvisor_users)", "accounts"),
                ),
                kind="stat",
            ),
            Panel(
                "Feedback rate and approval · 反馈率与满意度",
                (
                    _q('max(memadvisor_answer_feedback_rate{window="7d"})', "thumbs per answer"),
                    _q(
                        'max(memadvisor_answer_approval_ratio{window="7d", memories="all"})',
                        "approval",
                    ),
                ),
                unit="percentunit",
            ),
            Panel(
                "Recommendations adopted · 建议采纳率",
                (_q("max by (window) (memadvisor_recommendation_adoption_ratio)", "{{window}}"),),
                unit="percentunit",
            ),
            Panel(
                "Users per consent · 授权用户",
                (_q("max by (data_type) (memadvisor_users_with_consent)", "{{data_type}}"),),
                kind="stat",
                width=12,
            ),
            Panel(
                "Records per type · 数据记录",
                (_q("max by (data_type) (memadvisor_user_data_records)", "{{data_type}}"),),
                kind="stat",
                width=12,
            ),
        ),
    ),
    Section(
        "Chat · 对话",
        (
            Panel(
                "Chat turn p50 / p95 · 对话耗时",
                (
                    _q(quantile(0.5, HTTP, selector=CHAT_ROUTE), "p50"),
                    _q(quantile(0.95, HTTP, selector=CHAT_ROUTE), "p95"),
                ),
                unit="s",
                description="A whole streamed turn, request to last byte.",
            ),
            Panel(
                "Chat turns · 对话量",
                (_q(f"sum(rate({HTTP}_count{{{CHAT_ROUTE}}}[{RATE}]))", "turns/s"),),
                unit="reqps",
            ),
            Panel(
                "Answers streaming now · 正在回答",
                (_q("sum(memadvisor_chat_streams_in_progress)", "streams"),),
            ),
            Panel(
                "Request p95 by route · 各接口延迟",
                (_q(quantile(0.95, HTTP, "handler"), "{{handler}}"),),
                unit="s",
            ),
        ),
    ),
    Section(
        "Model · 模型",
        (
            Panel(
                "Model call p95 · 模型调用耗时",
                (
                    _q(
                        quantile(0.95, GEN_AI, "gen_ai_request_model", CHAT),
                        "{{gen_ai_request_model}}",
                    ),
                ),
                unit="s",
            ),
            Panel(
                "Time to first chunk p50 · 首字延迟",
                (
                    _q(
                        quantile(0.5, "gen_ai_client_operation_time_to_first_chunk_seconds"),
                        "p50",
                    ),
                ),
                unit="s",
            ),
            Panel(
                "Tokens per second · 每秒词元",
                (
                    _q(
                        f"sum by (gen_ai_token_type) (rate(gen_ai_client_token_usage_sum[{RATE}]))",
                        "{{gen_ai_token_type}}",
                    ),
                ),
            ),
            Panel(
                "Model queue · 模型排队",
                (
                    _q("sum(memadvisor_model_queue_depth)", "waiting"),
                    _q("sum(memadvisor_model_queue_running)", "running"),
                    _q(
                        f"(sum(rate(memadvisor_model_queue_rejected_total[{RATE}])) or vector(0))",
                        "turned away per second (503)",
                    ),
                ),
                description="Calls waiting for the model's slots, running, and refused.",
            ),
            Panel(
                "Queue wait p95 · 排队等待",
                (
                    _q(
                        quantile(0.95, "memadvisor_model_queue_wait_seconds", "outcome"),
                        "{{outcome}}",
                    ),
                ),
                unit="s",
            ),
            Panel(
                "Model failures · 模型故障",
                (
                    _q(model_failures(RATE), "share of calls failing"),
                    _q(
                        f"sum(rate(memadvisor_model_unavailable_total[{RATE}]))",
                        "messages refused: model unreachable",
                    ),
                ),
            ),
        ),
    ),
    Section(
        "Memory · 记忆",
        (
            Panel(
                "Memory search p95 · 记忆检索耗时",
                (_q(quantile(0.95, GEN_AI, selector=SEARCH), "search_memory p95"),),
                unit="s",
            ),
            Panel(
                "Memories · 记忆数量",
                (_q("max by (kind) (memadvisor_memories)", "{{kind}}"),),
            ),
            Panel(
                "Search index cache · 检索索引缓存",
                (_q("sum(memadvisor_memory_index_cache_bytes)", "bytes held"),),
                unit="bytes",
                description="In-memory indexes of recently searched users (bounded per process).",
            ),
            Panel(
                "Index refreshes · 索引更新",
                (
                    _q(
                        f"sum by (kind) (rate(memadvisor_memory_index_refreshes_total[{RATE}]))",
                        "{{kind}}",
                    ),
                ),
                description="delta: rows changed since the last search; build: a whole index.",
            ),
            Panel(
                "Indexing backlog · 索引积压",
                (_q("max(memadvisor_memories_pending_index)", "memories owed a vector"),),
            ),
            Panel(
                "Vector store unavailable · 向量库不可用",
                (
                    _q(
                        "sum by (operation) "
                        f"(rate(memadvisor_vector_store_unavailable_total[{RATE}]))",
                        "{{operation}}",
                    ),
                ),
            ),
        ),
    ),
    Section(
        "Jobs · 后台任务",
        (
            Panel(
                "Queue depth · 队列长度",
                (
                    _q("max(memadvisor_job_queue_depth)", "waiting"),
                    _q("sum by (task) (memadvisor_jobs_pending)", "{{task}} pending or running"),
                ),
            ),
            Panel(
                "Job p95 · 任务耗时",
                (_q(quantile(0.95, "memadvisor_job_duration_seconds", "task"), "{{task}}"),),
                unit="s",
            ),
            Panel(
                "Job failures per hour · 任务失败",
                (
                    _q(
                        "sum by (task) (increase(memadvisor_job_failures_total[1h]))",
                        "{{task}}",
                    ),
                ),
                width=12,
            ),
        ),
    ),
    Section(
        "Errors · 错误",
        (
            Panel(
                "5xx share · 服务端错误率",
                (_q(server_errors(RATE), "5xx / all"),),
                unit="percentunit",
                width=8,
            ),
            Panel(
                "Client and server errors by route · 各接口错误",
                (
                    _q(
                        "sum by (handler, status) "
                        f'(rate({HTTP}_count{{status=~"[45].."}}[{RATE}]))',
                        "{{status}} {{handler}}",
                    ),
                ),
                unit="reqps",
                width=8,
            ),
            Panel(
                "Targets up · 抓取目标",
                (_q('sum by (job) (up{job=~"memadvisor.*"})', "{{job}}"),),
                kind="stat",
                width=8,
            ),
        ),
    ),
)


def _panel(panel: Panel, number: int, height: int = 8) -> Builder[model.Panel]:
    datasource = model.DataSourceRef(type_val="prometheus", uid="${datasource}")
    builder: Any = (timeseries.Panel() if panel.kind == "timeseries" else stat.Panel()).id(number)
    builder = builder.title(panel.title).datasource(datasource).unit(panel.unit)
    builder = builder.height(height).span(panel.width)
    if panel.description:
        builder = builder.description(panel.description)
    if panel.kind == "timeseries":
        builder = builder.legend(
            VizLegendOptions()
            .display_mode(common.LegendDisplayMode.LIST)
            .placement(common.LegendPlacement.BOTTOM)
            .show_legend(True)
        ).tooltip(VizTooltipOptions().mode(common.TooltipDisplayMode.MULTI))
    else:  # the latest value of each series, side by side
        builder = builder.reduce_options(
            ReduceDataOptions().calcs(["lastNotNull"]).values(False)
        ).graph_mode(common.BigValueGraphMode.NONE)
    if panel.floor is not None:
        builder = builder.thresholds(
            ThresholdsConfig()
            .mode(model.ThresholdsMode.ABSOLUTE)
            .steps([model.Threshold(None, "red"), model.Threshold(panel.floor, "green")])
        )
    for index, query in enumerate(panel.queries):
        target = prometheus.Dataquery().expr(query.expr).ref_id(chr(ord("A") + index))
        if query.legend:
            target = target.legend_format(query.legend)
        if panel.kind == "stat":
            target = target.instant()
        builder = builder.with_target(target)
    built: Builder[model.Panel] = builder
    return built


def overview() -> model.Dashboard:
    """The overview dashboard: the seed's three questions first, then each part of the system."""
    board = (
        Dashboard("MemAdvisor overview · 总览")
        .uid("memadvisor-overview")
        .tags(["memadvisor"])
        .description(
            "Recommendation latency, retrieval accuracy and engagement first; then chat, model, "
            "memory, jobs and errors. Generated by scripts/monitoring.py; do not edit by hand."
        )
        .time("now-6h", "now")
        .refresh("30s")
        .with_variable(DatasourceVariable("datasource").label("Prometheus").type("prometheus"))
    )
    number = 0
    for section in SECTIONS:
        number += 1
        board = board.with_row(Row(section.title).id(number))
        for panel in section.panels:
            number += 1
            board = board.with_panel(_panel(panel, number))
    return board.build()


def load(path: Path = OVERVIEW) -> model.Dashboard:
    """A dashboard JSON file read into the SDK's typed models (panels, options, Prometheus queries).

    The SDK parses panel options and queries only for plugins it was told about; unknown ones
    would be kept as untyped bags, so every plugin it ships is registered first.
    """
    plugins.register_default_plugins()
    return model.Dashboard.from_json(json.loads(path.read_text(encoding="utf-8")))


def panels(board: model.Dashboard) -> Iterator[tuple[str, list[str]]]:
    """Every panel's title and PromQL expressions, read from a dashboard model."""
    for panel in board.panels or []:
        if isinstance(panel, model.Panel):
            exprs = [getattr(target, "expr", "") for target in panel.targets or []]
            yield panel.title or "", [e for e in exprs if e]


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


def rendered() -> dict[Path, str]:
    """The generated files and their text."""
    board = json.dumps(overview(), cls=JSONEncoder, indent=2, sort_keys=True, ensure_ascii=False)
    header = "# Generated by scripts/monitoring.py (python -m scripts.monitoring); do not edit.\n"
    rules = yaml.safe_dump(alert_rules(), sort_keys=False, allow_unicode=True, width=1000)
    return {OVERVIEW: board + "\n", ALERTS: header + rules}


def main(argv: list[str] | None = None) -> int:
    """Write the files, or with --check report whether they are up to date."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    stale = []
    for path, text in rendered().items():
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(path)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    for path in stale:
        print(f"{path.relative_to(ROOT)} is out of date: run python -m scripts.monitoring")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
