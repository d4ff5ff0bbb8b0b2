"""The embedded default runs on SQLite: the same timers and clocks work there."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import select

from duely_runtime.db import Database
from duely_runtime.migrations import upgrade_to_head_async
from duely_runtime.outbox import Outbox
from duely_dunning import repository, service
from duely_dunning.org_clocks import Clock
from duely_dunning.main import MIGRATIONS_DIR
from duely_dunning.models import runtime_tables
from duely_dunning.workers import TimerWorker
from tests.dunning.builders import in_days, new_invoice_id, snapshot


async def test_timers_and_test_clock_on_sqlite(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/dunning.db"
    await upgrade_to_head_async(MIGRATIONS_DIR, url)
    db, outbox, clock = Database(url), Outbox(runtime_tables), Clock()
    try:
        now = clock.real()
        later = snapshot("org_a", new_invoice_id(), due_date=in_days(30))
        overdue = snapshot("org_b", new_invoice_id(), due_date=in_days(-1))
        async with db.transaction() as session:
            for invoice in (later, overdue):
                await service.record_invoice_event(session, event_type="invoice.issued", invoice=invoice,
                                                   organization_id=invoice.organization_id, version=1,
                                                   correlation_id="corr", now=now, real_now=now)

        worker = TimerWorker(db, outbox, clock, tick_s=1.0, batch_size=10)
        assert await worker.tick() == 1  # only the one due by real time
        async with db.transaction() as session:
            result = await service.advance_test_clock(session, outbox, clock, organization_id="org_a",
                                                      seconds=31 * 86_400, batch_size=10)
        assert [t.invoice_id for t in result.fired] == [later.id]
        assert result.clock.offset_seconds == 31 * 86_400
        assert result.fired[0].fired_at.tzinfo is not None
        assert await worker.tick() == 0

        async with db.transaction() as session:
            rows = (await session.execute(select(runtime_tables.outbox.c.payload).where(
                runtime_tables.outbox.c.topic == "dunning.invoice_overdue"))).scalars().all()
            timers = await repository.timers_of_invoice(session, later.id)
        assert sorted(json.loads(r)["aggregate_id"] for r in rows) == sorted([later.id, overdue.id])
        assert timers[0].due_at == datetime.combine(in_days(31), datetime.min.time(), tzinfo=timezone.utc)
    finally:
        await db.dispose()
