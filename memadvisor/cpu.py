"""CPU priority of background threads: how requests get the cores first.

Linux gives each thread its own priority; elsewhere these would change the whole process, so
they do nothing there (nor where a sandbox refuses them).

A lower `nice` is not enough for work that must never slow a request: Linux's EEVDF scheduler
rarely preempts a running thread for a waking one of higher priority, so a query embedding beside
a busy loop at nice 19 waits as if it were at nice 0. `SCHED_IDLE` work is always preempted by a
waking normal thread (the benchmarks' results hold the figures).
"""

from __future__ import annotations

import os
import sys
import threading


def lower_priority(nice: int) -> bool:
    """Lower the calling thread's CPU priority by `nice` (other threads keep theirs).

    Threads it starts later (OpenMP's helpers, llama.cpp's) run at its priority too. Returns
    whether the priority was lowered.
    """
    if nice <= 0 or sys.platform != "linux":
        return False
    thread = threading.get_native_id()
    try:
        now = os.getpriority(os.PRIO_PROCESS, thread)
        os.setpriority(os.PRIO_PROCESS, thread, min(19, now + nice))
    except OSError:
        return False
    return True


def run_only_when_idle() -> bool:
    """Run the calling thread only on cores no other thread wants (`SCHED_IDLE`; for good).

    An unprivileged thread cannot return to normal scheduling, so use it on a thread of its own
    that holds no lock for long (the GIL included): a starved thread holding one stalls every
    thread that waits for it. Returns whether it took effect.
    """
    if sys.platform != "linux":
        return False
    try:
        os.sched_setscheduler(threading.get_native_id(), os.SCHED_IDLE, os.sched_param(0))
    except OSError:
        return False
    return True
