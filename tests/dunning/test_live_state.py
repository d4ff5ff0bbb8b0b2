"""Entries fire on the invoice as invoicing has it now, not on dunning's read model: a test-clock jump that
races a payment (or a void) publishes nothing for the settled invoice. Real invoicing service, real
internal endpoint; the dunning side on its own SQLite database."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import httpx
from sqlalchemy import select

from duely_runtime.db import Database
from duely_runtime.invoicing_client import InvoicingClient
from duely_runtime.migrations import upgrade_to_head_async
from duely_runtime.outbox import Outbox
from duely_dunning import repository, service
from duely_dunning.live_state import LiveInvoices
from duely_dunning.main import MIGRATIONS_DIR
from duely_dunning.models import runtime_tables
from duely_dunning.org_clocks import Clock
from tests.conftest import INTERNAL_SECRET
from tests.dunning.builders import in_days, new_invoice_id, snapshot


async def test_a_jump_that_races_a_void_publishes_nothing_for_the_voided_invoice(invoicing, tmp_path):
    organization_id, api_key = await invoicing.create_org(f"Live {uuid.uuid4().hex[:6]}")
    async with httpx.AsyncClient(base_url=invoicing.url, headers={"Authorization": f"Bearer {api_key}"}) as api:
        customer = (await api.post("/v1/customers", json={"name": "Live", "email": "live@example.com"})).json()
        ids = []
        for _ in range(2):
            draft = (await api.post("/v1/invoices", json={
                "customer_id": customer["id"], "currency": "usd", "payment_terms": "net_7",
                "lines": [{"description": "Plan", "quantity": 1, "unit_amount": 2000}]})).json()
            assert (await api.post(f"/v1/invoices/{draft['id']}/approve")).status_code == 200
            ids.append(draft["id"])
    client = InvoicingClient(invoicing.url, INTERNAL_SECRET)
    voided, open_one = [await client.fetch_invoice(organization_id, i) for i in ids]

    url = f"sqlite+aiosqlite:///{tmp_path}/dunning.db"
    await upgrade_to_head_async(MIGRATIONS_DIR, url)
    db, outbox, clock = Database(url), Outbox(runtime_tables), Clock()
    try:
        now = clock.real()
        async with db.transaction() as session:  # dunning heard invoice.issued for both, and nothing since
            for invoice in (voided, open_one):
                await service.record_invoice_event(session, event_type="invoice.issued", invoice=invoice,
                                                   organization_id=organization_id, version=invoice.version,
                                                   correlation_id="corr", now=now, real_now=now)
        async with httpx.AsyncClient(base_url=invoicing.url, headers={"Authorization": f"Bearer {api_key}"}) as api:
            assert (await api.post(f"/v1/invoices/{voided.id}/void")).status_code == 200  # its event not read here

        async with db.transaction() as session:
            result = await service.advance_test_clock(session, outbox, clock, organization_id=organization_id,
                                                      seconds=9 * 86_400, batch_size=50,
                                                      live=LiveInvoices(client))
        outcomes = {t.subject_id: t.outcome for t in result.fired if t.kind == "overdue"}
        assert outcomes == {voided.id: "skipped_void", open_one.id: "invoice_overdue_emitted"}
        async with db.transaction() as session:
            topics = [(row.topic, row.key) for row in (await session.execute(
                select(runtime_tables.outbox.c.topic, runtime_tables.outbox.c.key))).all()]
            state = await repository.get_state(session, voided.id)
        assert ("dunning.invoice_overdue", voided.id) not in topics
        assert ("dunning.invoice_overdue", open_one.id) in topics
        assert state.status == "void" and state.dunning_started_at is None
    finally:
        await db.dispose()
        await client.client.aclose()


async def test_without_invoicing_the_batch_fires_on_what_dunning_knows(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/dunning.db"
    await upgrade_to_head_async(MIGRATIONS_DIR, url)
    db, outbox, clock = Database(url), Outbox(runtime_tables), Clock()
    unreachable = InvoicingClient("http://127.0.0.1:9", INTERNAL_SECRET, timeout_s=1.0)
    invoice = snapshot("org_offline", new_invoice_id(), due_date=in_days(-2))
    try:
        now = datetime.now(timezone.utc) - timedelta(seconds=1)
        async with db.transaction() as session:
            await service.record_invoice_event(session, event_type="invoice.issued", invoice=invoice,
                                               organization_id="org_offline", version=1, correlation_id="c",
                                               now=now, real_now=now)
        async with db.transaction() as session:
            fired = await service.fire_due_timers(session, outbox, clock, cutoff=clock.real(), limit=10,
                                                  live=LiveInvoices(unreachable))
        assert [(t.kind, t.outcome) for t in fired] == [("overdue", "invoice_overdue_emitted")]
    finally:
        await db.dispose()
        await unreachable.client.aclose()


async def test_an_invoice_read_while_its_invoice_issued_is_being_recorded_is_read_once(invoicing, database_url):
    """GET /collection (or remind) right after approval takes the snapshot from invoicing while the consumer may be
    recording the same invoice.issued: whichever commits second finds the other's state (no 500)."""
    import asyncio

    from duely_dunning import reminders

    organization_id, api_key = await invoicing.create_org(f"Race {uuid.uuid4().hex[:6]}")
    async with httpx.AsyncClient(base_url=invoicing.url, headers={"Authorization": f"Bearer {api_key}"}) as api:
        customer = (await api.post("/v1/customers", json={"name": "Race", "email": "race@example.com"})).json()
        draft = (await api.post("/v1/invoices", json={
            "customer_id": customer["id"], "currency": "usd",
            "lines": [{"description": "Plan", "quantity": 1, "unit_amount": 2000}]})).json()
        assert (await api.post(f"/v1/invoices/{draft['id']}/approve")).status_code == 200
    client = InvoicingClient(invoicing.url, INTERNAL_SECRET)
    invoice = await client.fetch_invoice(organization_id, draft["id"])
    url = await database_url("dunning_bootstrap_race")
    await upgrade_to_head_async(MIGRATIONS_DIR, url)
    db, outbox, clock = Database(url), Outbox(runtime_tables), Clock()
    try:
        consumer_inserted, bootstrap_started = asyncio.Event(), asyncio.Event()

        async def consumer():
            async with db.transaction() as session:
                now = clock.real()
                await service.record_invoice_event(session, event_type="invoice.issued", invoice=invoice,
                                                   organization_id=organization_id, version=invoice.version,
                                                   correlation_id="corr", now=now, real_now=now, outbox=outbox)
                await session.flush()
                consumer_inserted.set()
                await bootstrap_started.wait()
                await asyncio.sleep(0.5)  # the other transaction is waiting on our row meanwhile

        async def reader():
            await consumer_inserted.wait()
            async with db.transaction() as session:
                bootstrap_started.set()
                state = await reminders.known_state(session, outbox, clock, client, organization_id, invoice.id)
                return state.invoice_id, state.status

        _, read = await asyncio.gather(consumer(), reader())
        assert read == (invoice.id, "open")
        async with db.transaction() as session:
            timers = await repository.timers_of_invoice(session, invoice.id)
        assert [t.kind for t in timers] == ["overdue"]
    finally:
        await db.dispose()
        await client.client.aclose()
