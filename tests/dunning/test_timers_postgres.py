"""Durable timers straight on Postgres: two replicas share the due work without ever
firing a timer twice, and a tick's query is answered from the pending-timers index."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text

from duely_runtime.db import Database
from duely_runtime.migrations import upgrade_to_head_async
from duely_runtime.outbox import Outbox
from duely_dunning import service
from duely_dunning.org_clocks import Clock
from duely_dunning.main import MIGRATIONS_DIR
from duely_dunning.models import Timer, runtime_tables
from duely_dunning.workers import TimerWorker
from tests.dunning.builders import in_days, new_invoice_id, snapshot


@pytest.fixture
async def db_url(database_url):
    url = await database_url("dunning_timers")
    await upgrade_to_head_async(MIGRATIONS_DIR, url)
    return url


async def issue_invoices(db: Database, organization_id: str, count: int, due_in_days: int) -> list[str]:
    ids = []
    now = datetime.now(timezone.utc)
    async with db.transaction() as session:
        for _ in range(count):
            invoice = snapshot(organization_id, new_invoice_id(), due_date=in_days(due_in_days))
            await service.record_invoice_event(session, event_type="invoice.issued", invoice=invoice,
                                               organization_id=organization_id, version=1,
                                               correlation_id="corr", now=now, real_now=now)
            ids.append(invoice.id)
    return ids


async def test_two_replicas_never_fire_the_same_timer(db_url):
    replicas = [Database(db_url), Database(db_url)]
    try:
        await issue_invoices(replicas[0], "org_replicas", 300, due_in_days=-2)
        workers = [TimerWorker(db, Outbox(runtime_tables), Clock(), tick_s=1.0, batch_size=7) for db in replicas]
        fired = await asyncio.gather(*(w.tick() for w in workers), *(w.tick() for w in workers))
        assert sum(fired) == 300
        assert all(count > 0 for count in fired[:2])  # both replicas did some of the work
        async with replicas[0].transaction() as session:
            emitted = await session.scalar(select(func.count()).select_from(runtime_tables.outbox)
                                           .where(runtime_tables.outbox.c.topic == "dunning.invoice_overdue"))
            keys = await session.scalar(select(func.count(func.distinct(runtime_tables.outbox.c.key))))
            unfired = await session.scalar(select(func.count()).select_from(Timer).where(
                Timer.fired_at.is_(None), Timer.kind == "overdue"))
        assert (emitted, keys, unfired) == (300, 300, 0)
        assert await workers[0].tick() == 0  # nothing fires twice
    finally:
        for db in replicas:
            await db.dispose()


async def test_tick_query_uses_the_pending_index_not_a_scan_of_all_invoices(db_url):
    db = Database(db_url)
    try:
        # Many invoices far from due, a long tail already fired: the tick must not read them.
        async with db.transaction() as session:
            now = datetime.now(timezone.utc)
            await session.execute(Timer.__table__.insert(), [
                {"id": f"tmr_{i:08d}", "organization_id": f"org_{i % 50}", "kind": "overdue",
                 "subject_id": f"in_{i:08d}", "due_at": now + timedelta(days=1 + i % 60),
                 "fired_at": now if i % 2 else None, "created_at": now} for i in range(20_000)])
            await session.execute(text("ANALYZE timers"))
        async with db.transaction() as session:
            statement = (select(Timer).where(Timer.fired_at.is_(None), Timer.cancelled_at.is_(None),
                                             Timer.due_at <= now).order_by(Timer.due_at, Timer.id).limit(100)
                         .with_for_update(skip_locked=True))
            compiled = statement.compile(session.bind, compile_kwargs={"literal_binds": True})
            plan = "\n".join(r[0] for r in await session.execute(text(f"EXPLAIN {compiled}")))
        assert "ix_timers_pending_due" in plan, plan
        assert "Seq Scan" not in plan, plan
    finally:
        await db.dispose()
