"""Counters of degraded service, in one place, for the metrics endpoint to expose.

Counted in the process (readable in tests and logs) and, when `prometheus_client` is installed, as
Prometheus counters on its default registry (`memadvisor_memory_unavailable_total`).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from functools import lru_cache
from typing import Any

logger = logging.getLogger(__name__)

_counts: Counter[str] = Counter()
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _prometheus_counter() -> Any:
    """The Prometheus counter, created on first use (none at import time); None without the lib."""
    try:
        from prometheus_client import Counter as PrometheusCounter
    except ImportError:  # pragma: no cover - the metrics endpoint installs it
        return None
    return PrometheusCounter(
        "memadvisor_memory_unavailable",
        "Chat turns answered without memories because the vector store was unavailable.",
    )


def record_memory_unavailable() -> None:
    """Count a chat turn answered without memories because the vector store was down."""
    with _lock:
        _counts["memory_unavailable"] += 1
    counter = _prometheus_counter()
    if counter is not None:
        counter.inc()


def memory_unavailable_count() -> int:
    """Turns answered without memories since the process started."""
    with _lock:
        return _counts["memory_unavailable"]
