"""The access log writes paths without their query strings: a query string may carry user text.

The API itself takes no text in query strings (searches send theirs in the body), but a client
may put anything there, and a log line outlives the account it names: erasure cannot reach it.
Paths carry ids only. The filter is installed on uvicorn's access logger by `create_app`, so it
holds however the app is served by uvicorn (`memadvisor serve`, or uvicorn itself).
"""

from __future__ import annotations

import logging

ACCESS_LOGGER = "uvicorn.access"


class WithoutQueryStrings(logging.Filter):
    """Cut the query string from uvicorn's access log records (their third argument)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep the record, its path without what follows `?`."""
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], args[2].split("?", 1)[0], args[3], args[4])
        return True


def hide_query_strings() -> None:
    """Install the filter on uvicorn's access logger (once per process)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, WithoutQueryStrings) for f in logger.filters):
        logger.addFilter(WithoutQueryStrings())
