"""What a long-running process does once it has started: leave its start-up objects to itself.

CPython's full garbage collection walks every tracked object, and a started MemAdvisor process
holds hundreds of thousands of them (modules, langchain, SQLAlchemy, Chroma, jieba), during which
no thread runs. Such collections come every few thousand requests' worth of surviving objects, so
they were the tail of search latency. `gc.freeze()` moves what exists at the end of start-up to a
generation that collections skip; garbage from start-up is collected first, and what is created
later is collected as before.
"""

from __future__ import annotations

import gc


def freeze_startup_objects() -> None:
    """Collect start-up garbage, then exempt every object alive now from later collections."""
    gc.collect()
    gc.freeze()
