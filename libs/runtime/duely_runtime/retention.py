"""Retention: a worker deletes what is older than its documented window, so no table grows forever.

Each rule names a table, the timestamp that ages its rows and, optionally, which rows may go at
all (e.g. only published outbox rows, only replayed dead letters). The runtime registers the rules
of its own tables; a service adds rules for its own (delivered emails, superseded PDFs).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import Column, ColumnElement, Table, delete

from duely_runtime import metrics
from duely_runtime.db import Database
from duely_runtime.kit.clock import utcnow
from duely_runtime.tables import RuntimeTables

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetentionRule:
    name: str
    table: Table
    aged_by: Column
    window: timedelta
    only: Callable[[], ColumnElement[bool]] | None = None  # rows outside it are kept whatever their age


def runtime_rules(tables: RuntimeTables, settings) -> list[RetentionRule]:
    outbox, letters = tables.outbox, tables.dead_letters
    return [
        # Published events; parked ones wait for an operator.
        RetentionRule("outbox", outbox, outbox.c.created_at, timedelta(days=settings.retention_outbox_days),
                      only=lambda: outbox.c.published_at.is_not(None)),
        RetentionRule("inbox", tables.inbox, tables.inbox.c.processed_at,
                      timedelta(days=settings.retention_inbox_days)),
        RetentionRule("idempotency_keys", tables.idempotency_keys, tables.idempotency_keys.c.created_at,
                      timedelta(hours=settings.retention_idempotency_hours)),
        # Replayed letters are history; open ones wait for an operator.
        RetentionRule("dead_letters", letters, letters.c.created_at,
                      timedelta(days=settings.retention_dead_letters_days),
                      only=lambda: letters.c.replayed_at.is_not(None)),
    ]


class Retention:
    def __init__(self, db: Database, rules: list[RetentionRule], interval_s: float,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self.rules = list(rules)
        self.interval_s = interval_s
        self.clock = clock

    def add(self, rule: RetentionRule) -> None:
        self.rules.append(rule)

    async def purge_once(self) -> dict[str, int]:
        """Delete every row past its window; returns how many per rule. One transaction per rule."""
        now = self.clock()
        deleted: dict[str, int] = {}
        for rule in self.rules:
            condition = rule.aged_by < now - rule.window
            if rule.only is not None:
                condition = condition & rule.only()
            async with self.db.transaction() as session:
                result = await session.execute(delete(rule.table).where(condition))
            deleted[rule.name] = result.rowcount or 0
            metrics.ROWS_PURGED.labels(rule.name).inc(deleted[rule.name])
        if any(deleted.values()):
            log.info("retention purged rows", extra={"deleted": deleted})
        return deleted

    async def run(self) -> None:
        while True:
            await self.purge_once()
            await asyncio.sleep(self.interval_s)
