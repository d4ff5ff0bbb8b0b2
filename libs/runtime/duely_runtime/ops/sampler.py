"""One sample of the ops figures per interval (a minute), kept in memory (the last hour), and the
Prometheus gauges refreshed from each sample, so /metrics carries every figure the page shows."""

from __future__ import annotations

import asyncio
import logging
from collections import deque

from duely_runtime import metrics
from duely_runtime.kit.clock import utcnow
from duely_contracts.timestamps import iso_utc
from duely_runtime.ops import figures
from duely_runtime.ops.recent_errors import RECENT_ERRORS

log = logging.getLogger(__name__)

SAMPLES = 60


class Sampler:
    def __init__(self, runtime, interval_s: float = 60.0) -> None:
        self.runtime = runtime
        self.interval_s = interval_s
        self.samples: deque[dict] = deque(maxlen=SAMPLES)
        self._errors_seen = RECENT_ERRORS.total
        self._lag_series: set[tuple[str, str]] = set()
        self._queue_names: set[str] = set()

    def history(self) -> list[dict]:
        return list(self.samples)

    async def run(self) -> None:
        while True:
            try:
                await self.take()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("ops sampler failed; next sample in an interval")
            await asyncio.sleep(self.interval_s)

    async def take(self) -> dict:
        figures_now = await figures.sample(self.runtime)
        readiness = await figures.readiness(self.runtime)
        self.publish(figures_now, readiness)
        errors_total = RECENT_ERRORS.total
        point = {
            "at": iso_utc(utcnow()),
            "lag": figures_now["lag"]["total"],
            "outbox_backlog": figures_now["outbox"]["backlog"],
            "inbox_per_minute": figures_now["inbox"]["processed_last_minute"],
            "dead_letters_open": figures_now["dead_letters_open"],
            "errors": errors_total - self._errors_seen,
        }
        self._errors_seen = errors_total
        self.samples.append(point)
        return point

    def publish(self, f: dict, readiness: dict) -> None:
        lag_series = set()
        for p in f["lag"]["partitions"]:
            labels = (p["topic"], str(p["partition"]))
            metrics.CONSUMER_LAG.labels(*labels).set(p["lag"])
            lag_series.add(labels)
        for gone in self._lag_series - lag_series:
            metrics.CONSUMER_LAG.remove(*gone)
        self._lag_series = lag_series
        if f["lag"]["total"] is not None:
            metrics.CONSUMER_LAG_TOTAL.set(f["lag"]["total"])
        metrics.OUTBOX_BACKLOG.set(f["outbox"]["backlog"])
        metrics.OUTBOX_OLDEST_AGE.set(f["outbox"]["oldest_age_s"] or 0)
        metrics.OUTBOX_PARKED.set(f["outbox"]["parked"])
        metrics.INBOX_LAST_MINUTE.set(f["inbox"]["processed_last_minute"])
        metrics.INBOX_LAST_HOUR.set(f["inbox"]["processed_last_hour"])
        metrics.DEAD_LETTERS_OPEN.set(f["dead_letters_open"])
        for q in f["queues"]:
            metrics.WORK_QUEUE_PENDING.labels(q["name"]).set(q["pending"])
            metrics.WORK_QUEUE_FAILING.labels(q["name"]).set(q["failing"])
            metrics.WORK_QUEUE_LATE.labels(q["name"]).set(q["late"])
            metrics.WORK_QUEUE_OLDEST_AGE.labels(q["name"]).set(q["oldest_age_s"] or 0)
        for name, ok in readiness["checks"].items():
            metrics.READY.labels(name).set(1 if ok else 0)
