"""Transactional outbox: events are rows written in the same transaction as the
state change that causes them; `OutboxRelay` publishes them afterwards.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    CorruptRecordException, InvalidMessageError, InvalidTopicError, MessageSizeTooLargeError, RecordListTooLargeError,
    RecordTooLargeError,
)
from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts import Envelope, REGISTRY
from duely_runtime import context, metrics
from duely_runtime.db import Database
from duely_runtime.kit.clock import utcnow
from duely_runtime.tables import RuntimeTables

log = logging.getLogger(__name__)

# Kafka's default message.max.bytes: the largest event the relay will try to publish.
MAX_MESSAGE_BYTES = 1024 * 1024


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
            aggregate_type=spec.aggregate,
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


# The broker refuses these messages for what they are (too large, malformed, bad topic name):
# sending them again can never succeed, so the relay parks them instead of retrying forever.
UNPUBLISHABLE = (MessageSizeTooLargeError, RecordTooLargeError, RecordListTooLargeError,
                 InvalidMessageError, CorruptRecordException, InvalidTopicError)


class OutboxRelay:
    """Publishes unpublished outbox rows in commit order, with acks=all.

    A transient failure (broker down, timeout) is retried forever; a row the broker
    can never take is parked (`parked_at`, `last_error`), logged and counted, and
    the relay goes on with the rows after it, so one bad event never stops every
    tenant. Parked rows are listed on the ops page, which can queue them again.
    """

    def __init__(self, db: Database, outbox: Outbox, bootstrap_servers: str, *, batch_size: int = 500,
                 poll_interval_s: float = 0.5, replay_window_s: int = 0,
                 max_message_bytes: int = MAX_MESSAGE_BYTES) -> None:
        self.db = db
        self.outbox = outbox
        self.table = outbox.table
        self.bootstrap_servers = bootstrap_servers
        self.batch_size = batch_size
        self.poll_interval_s = poll_interval_s
        self.replay_window_s = replay_window_s
        self.max_message_bytes = max_message_bytes
        self.producer: AIOKafkaProducer | None = None
        self._replay_pending = replay_window_s > 0  # once per process start, not per reconnect
        self.last_error: str | None = None  # why publishing fails right now (the ops page shows it)

    async def run(self) -> None:
        while True:
            try:
                # One relay per database publishes (replicas of a service on Postgres wait their turn):
                # two relays reading the same rows would publish each event twice, and out of order.
                # A waiting replica's own events go out with the holder's next poll.
                async with self.db.sole_holder("outbox-relay", retry_s=max(1.0, self.poll_interval_s)):
                    await self._run_connected()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.last_error = _describe(exc)
                log.exception("outbox relay failed; reconnecting")
                metrics.RELAY_ERRORS.inc()
                await self._close()
                await asyncio.sleep(1.0)

    async def _run_connected(self) -> None:
        self.producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap_servers, acks="all",
                                         linger_ms=2, request_timeout_ms=15000,
                                         max_request_size=self.max_message_bytes)
        await self.producer.start()
        if self._replay_pending:
            await self.replay_recent(self.replay_window_s)
            self._replay_pending = False
        while True:
            self.outbox.wakeup.clear()
            published = await self.publish_batch()
            self.last_error = None
            if published < self.batch_size:
                try:
                    await asyncio.wait_for(self.outbox.wakeup.wait(), self.poll_interval_s)
                except asyncio.TimeoutError:
                    pass

    async def publish_batch(self) -> int:
        """Publish the next rows in order; returns how many were taken off the queue (published or parked)."""
        async with self.db.read() as session:
            rows = (await session.execute(
                select(self.table.c.seq, self.table.c.event_id, self.table.c.topic, self.table.c.key,
                       self.table.c.payload)
                .where(self.table.c.published_at.is_(None), self.table.c.parked_at.is_(None))
                .order_by(self.table.c.seq).limit(self.batch_size)
            )).all()
        if not rows:
            return 0
        errors = await self._send(rows)
        await self._retry_alone(rows, errors)
        # Completed in order: rows after the first transient failure are sent again (after it) next time.
        first_transient = min((seq for seq, exc in errors.items() if not isinstance(exc, UNPUBLISHABLE)),
                              default=None)
        settled = [r for r in rows if first_transient is None or r.seq < first_transient]
        published = [r.seq for r in settled if r.seq not in errors]
        parked = {r.seq: errors[r.seq] for r in settled if r.seq in errors}
        now = utcnow()
        async with self.db.transaction() as session:
            if published:
                await session.execute(update(self.table).where(self.table.c.seq.in_(published))
                                      .values(published_at=now))
            for seq, exc in parked.items():
                await session.execute(update(self.table).where(self.table.c.seq == seq)
                                      .values(parked_at=now, last_error=_describe(exc)))
        metrics.EVENTS_PUBLISHED.inc(len(published))
        for row in rows:
            if row.seq in parked:
                metrics.EVENTS_PARKED.labels(row.topic).inc()
                log.error("outbox row parked: the broker cannot take it", extra={
                    "event_id": row.event_id, "topic": row.topic, "bytes": len(row.payload.encode()),
                    "error": _describe(parked[row.seq])})
        if first_transient is not None:  # reconnect and try the rest again; what went out is already marked
            raise errors[first_transient]
        return len(rows)

    async def _retry_alone(self, rows, errors: dict[int, Exception]) -> None:
        """The broker may refuse a whole batch for one bad message: send each refused row on its own,
        so only a row that fails alone is parked, never a healthy neighbour."""
        assert self.producer is not None
        for r in rows:
            if isinstance(errors.get(r.seq), UNPUBLISHABLE):
                try:
                    await self.producer.send_and_wait(r.topic, r.payload.encode(), key=r.key.encode())
                except UNPUBLISHABLE as exc:
                    errors[r.seq] = exc
                except Exception as exc:  # the broker went away meanwhile: transient, retried later
                    errors[r.seq] = exc
                else:
                    del errors[r.seq]

    async def replay_recent(self, window_s: int) -> None:
        """Republish recent, already-published rows: the embedded broker forgets on restart."""
        since = utcnow() - timedelta(seconds=window_s)
        last_seq = 0
        total = 0
        while True:
            async with self.db.read() as session:
                rows = (await session.execute(
                    select(self.table.c.seq, self.table.c.topic, self.table.c.key, self.table.c.payload)
                    .where(self.table.c.published_at.is_not(None), self.table.c.created_at >= since,
                           self.table.c.seq > last_seq)
                    .order_by(self.table.c.seq).limit(self.batch_size)
                )).all()
            if not rows:
                break
            errors = await self._send(rows)
            transient = [exc for exc in errors.values() if not isinstance(exc, UNPUBLISHABLE)]
            if transient:
                raise transient[0]
            last_seq = rows[-1].seq
            total += len(rows)
        if total:
            log.info("replayed outbox rows", extra={"count": total})
        metrics.EVENTS_REPLAYED.inc(total)

    async def _send(self, rows) -> dict[int, Exception]:
        """Send every row; returns {seq: error} for the rows that did not go out."""
        assert self.producer is not None
        errors: dict[int, Exception] = {}
        pending: list[tuple[int, asyncio.Future]] = []
        for r in rows:
            try:  # a message over the size limit is refused here, before it is queued
                pending.append((r.seq, await self.producer.send(r.topic, r.payload.encode(), key=r.key.encode())))
            except UNPUBLISHABLE as exc:
                errors[r.seq] = exc
        results = await asyncio.gather(*(future for _, future in pending), return_exceptions=True)
        for (seq, _), result in zip(pending, results):
            if isinstance(result, asyncio.CancelledError):
                raise result
            if isinstance(result, BaseException):
                errors[seq] = result
        return errors

    async def requeue(self, seq: int) -> bool:
        """Take a parked row back into the queue (after the cause was fixed); False when not parked."""
        async with self.db.transaction() as session:
            result = await session.execute(update(self.table)
                                           .where(self.table.c.seq == seq, self.table.c.parked_at.is_not(None))
                                           .values(parked_at=None, last_error=None))
        if result.rowcount:
            self.outbox.wakeup.set()
        return result.rowcount == 1

    async def _close(self) -> None:
        if self.producer is not None:
            try:
                await self.producer.stop()
            except Exception:
                pass
            self.producer = None


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]
