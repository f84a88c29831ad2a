"""The overview dashboard's sections and panels, as data: each panel's PromQL and its legend.

Series read from SQL (engagement, the canary, memory counts) are the same from every API process:
they are combined with `max`, never summed. Process series (requests, model calls, jobs) are summed.
"""

from __future__ import annotations

from dataclasses import dataclass

from scripts.promql import (
    CANARY_RECALL_FLOOR,
    CHAT,
    CHAT_ROUTE,
    GEN_AI,
    HTTP,
    RATE,
    SEARCH,
    model_failures,
    quantile,
    ratio,
    server_errors,
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
