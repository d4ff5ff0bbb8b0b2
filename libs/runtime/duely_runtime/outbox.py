"""Transactional outbox: events are rows written in the same transaction as the
state change that causes them; `OutboxRelay` publishes them afterwards.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone

from aiokafka import AIOKafkaProducer
from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts import Envelope, REGISTRY
from duely_runtime import context, metrics
from duely_runtime.db import Database
from duely_runtime.tables import RuntimeTables

log = logging.getLogger(__name__)


class Outbox:
    """Writes events into the service's outbox table within the caller's transaction."""

    def __init__(self, tables: RuntimeTables) -> None:
        self.table = tables.outbox
        self.wakeup = asyncio.Event()  # the relay sleeps on it between polls

    async def emit(self, session: AsyncSession, event_type: str, data: BaseModel, *, organization_id: str,
                   aggregate_id: str, aggregate_version: int) -> Envelope:
        spec = REGISTRY[event_type]
        if not isinstance(data, spec.model):
            raise TypeError(f"{event_type} expects {spec.model.__name__}, got {type(data).__name__}")
        envelope = Envelope(
            type=event_type,
            organization_id=organization_id,
            aggregate_id=aggregate_id,
            aggregate_version=aggregate_version,
            correlation_id=context.current_correlation_id(),
            causation_id=context.causation_id.get(),
            data=data.model_dump(mode="json"),
        )
        await session.execute(self.table.insert().values(
            event_id=envelope.id, topic=spec.topic, key=aggregate_id,
            payload=envelope.model_dump_json(), created_at=envelope.occurred_at,
        ))
        # Wake the relay after the commit: the session calls us back on success.
        session.sync_session.info.setdefault("after_commit", []).append(self.wakeup.set)
        return envelope


class OutboxRelay:
    """Publishes unpublished outbox rows in commit order, with acks=all, and retries forever."""

    def __init__(self, db: Database, outbox: Outbox, bootstrap_servers: str, *, batch_size: int = 500,
                 poll_interval_s: float = 0.5, replay_window_s: int = 0) -> None:
        self.db = db
        self.outbox = outbox
        self.table = outbox.table
        self.bootstrap_servers = bootstrap_servers
        self.batch_size = batch_size
        self.poll_interval_s = poll_interval_s
        self.replay_window_s = replay_window_s
        self.producer: AIOKafkaProducer | None = None

    async def run(self) -> None:
        while True:
            try:
                await self._run_connected()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay failed; reconnecting")
                metrics.RELAY_ERRORS.inc()
                await self._close()
                await asyncio.sleep(1.0)

    async def _run_connected(self) -> None:
        self.producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap_servers, acks="all",
                                         linger_ms=2, request_timeout_ms=15000)
        await self.producer.start()
        if self.replay_window_s:
            await self.replay_recent(self.replay_window_s)
        while True:
            self.outbox.wakeup.clear()
            published = await self.publish_batch()
            if published < self.batch_size:
                try:
                    await asyncio.wait_for(self.outbox.wakeup.wait(), self.poll_interval_s)
                except asyncio.TimeoutError:
                    pass

    async def publish_batch(self) -> int:
        async with self.db.transaction() as session:
            rows = (await session.execute(
                select(self.table.c.seq, self.table.c.topic, self.table.c.key, self.table.c.payload)
                .where(self.table.c.published_at.is_(None))
                .order_by(self.table.c.seq).limit(self.batch_size)
            )).all()
        if not rows:
            return 0
        await self._send(rows)
        async with self.db.transaction() as session:
            await session.execute(update(self.table).where(self.table.c.seq.in_([r.seq for r in rows]))
                                  .values(published_at=datetime.now(timezone.utc)))
        metrics.EVENTS_PUBLISHED.inc(len(rows))
        return len(rows)

    async def replay_recent(self, window_s: int) -> None:
        """Republish recent, already-published rows: the embedded broker forgets on restart."""
        since = datetime.now(timezone.utc) - timedelta(seconds=window_s)
        last_seq = 0
        total = 0
        while True:
            async with self.db.transaction() as session:
                rows = (await session.execute(
                    select(self.table.c.seq, self.table.c.topic, self.table.c.key, self.table.c.payload)
                    .where(self.table.c.published_at.is_not(None), self.table.c.created_at >= since,
                           self.table.c.seq > last_seq)
                    .order_by(self.table.c.seq).limit(self.batch_size)
                )).all()
            if not rows:
                break
            await self._send(rows)
            last_seq = rows[-1].seq
            total += len(rows)
        if total:
            log.info("replayed outbox rows", extra={"count": total})

    async def _send(self, rows) -> None:
        assert self.producer is not None
        futures = [await self.producer.send(r.topic, r.payload.encode(), key=r.key.encode()) for r in rows]
        await asyncio.gather(*futures)

    async def _close(self) -> None:
        if self.producer is not None:
            try:
                await self.producer.stop()
            except Exception:
                pass
            self.producer = None
