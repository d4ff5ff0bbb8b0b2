"""The last 50 ERROR log records of this process, kept in memory for the ops page."""

from __future__ import annotations

import logging
import threading
from collections import deque
from datetime import datetime, timezone

from duely_runtime import context, metrics

KEEP = 50


class RecentErrors(logging.Handler):
    def __init__(self, keep: int = KEEP) -> None:
        super().__init__(level=logging.ERROR)
        self._records: deque[dict] = deque(maxlen=keep)
        self._lock_ = threading.Lock()
        self.total = 0

    def emit(self, record: logging.LogRecord) -> None:
        try:
            entry = {
                "at": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
                "logger": record.name,
                "message": record.getMessage()[:2000],
                "correlation_id": context.correlation_id.get(),
                "exception": (logging.Formatter().formatException(record.exc_info)[-3000:]
                              if record.exc_info else None),
            }
        except Exception:  # a handler never breaks the code that logged
            return
        with self._lock_:
            self._records.appendleft(entry)
            self.total += 1
        metrics.ERRORS_LOGGED.inc()

    def records(self) -> list[dict]:
        with self._lock_:
            return list(self._records)


RECENT_ERRORS = RecentErrors()


def install() -> None:
    """Attach to the root logger (idempotent; logs.configure replaces the root's handlers, so call after it)."""
    root = logging.getLogger()
    if RECENT_ERRORS not in root.handlers:
        root.addHandler(RECENT_ERRORS)
