"""Structured JSON logs on stdout, each line carrying the correlation id."""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone

from duely_runtime import context

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
            "correlation_id": context.correlation_id.get(),
            "causation_id": context.causation_id.get(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Library chatter (faust, aiokafka, access logs; stripe's line per API call, a charge's hot path)
    # stays at warning.
    for noisy in ("faust", "mode", "aiokafka", "uvicorn.access", "httpx", "alembic", "stripe"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
