"""The outbox relay on real Postgres and the real broker: a row the broker can never take is parked
and the rows after it still go out; the embedded-mode replay happens once per start, not per reconnect."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import MetaData, insert, select

from duely_contracts import Envelope
from duely_runtime import metrics
from duely_runtime.db import Database
from duely_runtime.outbox import Outbox, OutboxRelay
from duely_runtime.tables import add_runtime_tables

from tests.runtime.test_backbone import viewed


@pytest.fixture
async def db(database_url):
    metadata = MetaData()
    tables = add_runtime_tables(metadata)
    database = Database(await database_url("relay"))
    async with database.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    database.tables = tables
    yield database
    await database.dispose()


async def emit_viewed(db, outbox: Outbox, invoice_id: str) -> None:
    async with db.transaction() as session:
        await outbox.emit(session, "invoice.viewed", viewed(invoice_id), organization_id="org_1",
                          aggregate_id=invoice_id, aggregate_version=1)


async def insert_oversize_row(db, invoice_id: str) -> str:
    """What an unbounded API once let through: an event over Kafka's 1 MiB message limit."""
    envelope = Envelope(type="invoice.viewed", organization_id="org_1", aggregate_id=invoice_id,
                        aggregate_version=1, correlation_id="c",
                        data={**viewed(invoice_id).model_dump(mode="json"), "padding": "😀" * 300_000})
    async with db.transaction() as session:
        await session.execute(insert(db.tables.outbox).values(
            event_id=envelope.id, topic="invoice.viewed", key=invoice_id, payload=envelope.model_dump_json(),
            created_at=datetime.now(timezone.utc)))
    return envelope.id


async def running(relay: OutboxRelay):
    task = asyncio.create_task(relay.run())
    return task


async def stop(task, relay) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await relay._close()


async def test_an_unpublishable_row_is_parked_and_the_next_rows_still_go_out(db, broker, read_events, wait_for):
    outbox = Outbox(db.tables)
    before, poison, after = (f"inv_{uuid.uuid4().hex}" for _ in range(3))
    await emit_viewed(db, outbox, before)
    poison_event = await insert_oversize_row(db, poison)
    await emit_viewed(db, outbox, after)
    parked_before = metrics.EVENTS_PARKED.labels("invoice.viewed")._value.get()
    relay = OutboxRelay(db, outbox, broker)
    task = await running(relay)
    try:
        async def published():
            ids = {e.aggregate_id for e in await read_events("invoice.viewed")}
            return {before, after} <= ids and ids
        ids = await wait_for(published)
        assert poison not in ids
        later = f"inv_{uuid.uuid4().hex}"
        await emit_viewed(db, outbox, later)  # the relay keeps going: nothing is stuck behind the row
        await wait_for(lambda: _contains(read_events, later))
        async with db.transaction() as session:
            rows = {r.event_id: r for r in (await session.execute(select(db.tables.outbox))).all()}
        parked = rows[poison_event]
        assert parked.published_at is None and parked.parked_at is not None
        assert "MessageSizeTooLarge" in parked.last_error
        assert all(r.published_at is not None for e, r in rows.items() if e != poison_event)
        assert metrics.EVENTS_PARKED.labels("invoice.viewed")._value.get() == parked_before + 1
    finally:
        await stop(task, relay)

    # A restart does not pick the parked row up again (the relay's query skips it)...
    relay = OutboxRelay(db, outbox, broker)
    assert await relay.publish_batch() == 0
    # ...until an operator queues it again (e.g. after raising the broker's limit).
    assert await relay.requeue(parked.seq) is True
    assert await relay.requeue(parked.seq) is False


async def _contains(read_events, aggregate_id: str) -> bool:
    return any(e.aggregate_id == aggregate_id for e in await read_events("invoice.viewed", quiet_s=0.5))


async def test_recent_rows_are_replayed_once_per_start_not_on_every_reconnect(db, broker, read_events, wait_for):
    outbox = Outbox(db.tables)
    invoice_id = f"inv_{uuid.uuid4().hex}"
    await emit_viewed(db, outbox, invoice_id)

    async def copies() -> int:
        return sum(e.aggregate_id == invoice_id for e in await read_events("invoice.viewed", quiet_s=0.5))

    first = OutboxRelay(db, outbox, broker)
    task = await running(first)
    await wait_for(copies)
    await stop(task, first)
    assert await copies() == 1

    restarted = OutboxRelay(db, outbox, broker, replay_window_s=3600)  # a process start in embedded mode
    task = await running(restarted)
    try:
        await wait_for(lambda: _at_least(copies, 2))
        for _ in range(2):  # the broker connection drops; the relay reconnects
            producer = restarted.producer
            await producer.stop()
            another = f"inv_{uuid.uuid4().hex}"
            await emit_viewed(db, outbox, another)  # the send fails, the relay reconnects and sends it
            await wait_for(lambda: _reconnected(restarted, producer))
            await wait_for(lambda: _contains(read_events, another))
        await asyncio.sleep(1.0)
        assert await copies() == 2, "replayed once at start, never again on a reconnect"
    finally:
        await stop(task, restarted)


async def _at_least(count, n: int) -> bool:
    return await count() >= n


async def _reconnected(relay: OutboxRelay, old_producer) -> bool:
    return relay.producer is not None and relay.producer is not old_producer
