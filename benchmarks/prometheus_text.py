"""Figures read from Prometheus `/metrics` pages: a sum of samples, a histogram's quantile or mean.

A benchmark scrapes the server before and after its run and reads the difference, as PromQL's
`rate` would over that window.
"""

from __future__ import annotations

import math

from prometheus_client.parser import text_string_to_metric_families

GEN_AI_DURATION = "gen_ai_client_operation_duration_seconds"
"""Model calls and memory searches (OpenTelemetry GenAI names, see memadvisor/metrics.py)."""


def gauge(text: str, name: str, **labels: str) -> float:
    """The sum of the samples of metric `name` (with these labels) in a `/metrics` page."""
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and labels.items() <= sample.labels.items()
    )


def quantile_ms(pages: tuple[str, str], histogram: str, q: float, **labels: str) -> float:
    """A histogram's q-quantile between two `/metrics` pages, in ms (as PromQL interpolates)."""
    before, after = pages

    def buckets(text: str) -> dict[float, float]:
        out: dict[float, float] = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == f"{histogram}_bucket" and labels.items() <= sample.labels.items():
                    le = float(sample.labels["le"])
                    out[le] = out.get(le, 0.0) + sample.value
        return out

    old, new = buckets(before), buckets(after)
    counts = sorted((le, new[le] - old.get(le, 0.0)) for le in new)
    total = counts[-1][1] if counts else 0.0
    if total <= 0:
        return 0.0
    rank, lower, below = q * total, 0.0, 0.0
    for le, cumulative in counts:
        if cumulative >= rank:
            if math.isinf(le):
                return round(1000 * lower, 1)
            share = (rank - below) / (cumulative - below) if cumulative > below else 1.0
            return round(1000 * (lower + (le - lower) * share), 1)
        lower, below = le, cumulative
    return round(1000 * lower, 1)


def mean_ms(pages: tuple[str, str], histogram: str, **labels: str) -> float:
    """A histogram's mean between two `/metrics` pages, in milliseconds."""
    before, after = pages
    count = gauge(after, f"{histogram}_count", **labels)
    count -= gauge(before, f"{histogram}_count", **labels)
    total = gauge(after, f"{histogram}_sum", **labels)
    total -= gauge(before, f"{histogram}_sum", **labels)
    return round(1000 * total / count, 1) if count else 0.0
