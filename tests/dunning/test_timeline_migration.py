"""The timeline migration keeps the timers that exist: an invoice's `overdue` timer becomes its
entry (invoice, overdue, step "1"), still pending and still due; the new unique key holds."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from duely_runtime.db import Database
from duely_runtime.migrations import alembic_config, upgrade_to_head_async
from duely_runtime.outbox import Outbox
from duely_dunning import repository, service
from duely_dunning.main import MIGRATIONS_DIR
from duely_dunning.models import runtime_tables
from duely_dunning.org_clocks import Clock


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
async def test_existing_overdue_timers_become_step_one_entries(dialect, database_url, tmp_path):
    url = (f"sqlite+aiosqlite:///{tmp_path}/dunning.db" if dialect == "sqlite"
           else await database_url("dunning_timeline_migration"))
    await asyncio.to_thread(command.upgrade, alembic_config(MIGRATIONS_DIR, url), "0003_one_head")
    now = datetime.now(timezone.utc)
    db = Database(url)
    try:
        async with db.transaction() as session:
            await session.execute(text(
                "INSERT INTO collection_states (invoice_id, organization_id, number, due_date, amount_due, currency,"
                " status, version, events_published, failure_count, created_at, updated_at) VALUES"
                " ('in_old', 'org_old', 'INV-1', :due, 500, 'usd', 'open', 1, 0, 0, :now, :now)"),
                {"due": (now - timedelta(days=2)).date(), "now": now})
            await session.execute(text(
                "INSERT INTO timers (id, organization_id, kind, invoice_id, due_at, created_at)"
                " VALUES ('tmr_old', 'org_old', 'overdue', 'in_old', :due, :now)"),
                {"due": now - timedelta(days=1), "now": now})
        await db.dispose()
        await upgrade_to_head_async(MIGRATIONS_DIR, url)
        db = Database(url)
        async with db.transaction() as session:
            [old] = await repository.timers_of_invoice(session, "in_old")
            assert (old.id, old.kind, old.subject_type, old.subject_id, old.step) == (
                "tmr_old", "overdue", "invoice", "in_old", "1")
            assert old.invoice_id == "in_old" and old.fired_at is None
            fired = await service.fire_due_timers(session, Outbox(runtime_tables), Clock(), cutoff=now, limit=10)
        assert [(t.id, t.outcome) for t in fired] == [("tmr_old", "invoice_overdue_emitted")]
        with pytest.raises(IntegrityError):
            async with db.transaction() as session:
                await session.execute(text(
                    "INSERT INTO timers (id, organization_id, kind, subject_type, subject_id, step, due_at,"
                    " created_at) VALUES ('tmr_dup', 'org_old', 'overdue', 'invoice', 'in_old', '1', :now, :now)"),
                    {"now": now})
        async with db.transaction() as session:  # another step of the same kind is another entry
            await session.execute(text(
                "INSERT INTO timers (id, organization_id, kind, subject_type, subject_id, step, due_at,"
                " created_at) VALUES ('tmr_two', 'org_old', 'overdue', 'invoice', 'in_old', '2', :now, :now)"),
                {"now": now})
    finally:
        await db.dispose()
