"""A claim never lapses while its send is still running.

Two workers share one database, as two notifications replicas do, with a lease (2 s) shorter
than one send (a relay that takes 3 s to accept a message, an endpoint that drips a byte a second
until the 4 s deadline). The worker that claimed a row keeps renewing its lease, so the other one
never picks it up: one send, one attempt. (Before: the lease lapsed mid-send, the second worker sent
the same email or webhook again, and the log counted two attempts: the `attempts == 1` flake.)
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import select, update

from duely_runtime.db import Database
from duely_runtime.migrations import upgrade_to_head_async
from duely_runtime.outbox import Outbox
from duely_notifications import repository as repo
from duely_notifications.claims import ClaimKeeper
from duely_notifications.config import Settings
from duely_notifications.email_sender import EmailSender
from duely_notifications.mailer import Mailer
from duely_notifications.main import MIGRATIONS_DIR
from duely_notifications.models import Message, WebhookDelivery, WebhookEndpoint, runtime_tables
from duely_notifications.service import Notifications
from duely_notifications.webhook_dispatcher import WebhookDispatcher

from tests.conftest import wait_for
from tests.loopback_http import drip, http_server
from tests.notifications.notification_events import queue_invoice_email, snapshot
from tests.notifications.notification_stack import RecordingRelay

SHORT_LEASE = dict(claim_lease_s=2.0, worker_poll_interval_s=0.1, outbound_allow_networks="127.0.0.0/8")


@pytest.fixture(params=["postgres", "sqlite"])
async def db(request, database_url, tmp_path):
    url = (await database_url("notifications_claims") if request.param == "postgres"
           else f"sqlite+aiosqlite:///{tmp_path}/notifications.db")
    await upgrade_to_head_async(MIGRATIONS_DIR, url)
    database = Database(url)
    yield database
    await database.dispose()


async def run_until(done, *workers, timeout: float = 30.0, then_s: float = 1.5) -> None:
    """Run the workers until `done()` holds (and a little longer, for a second send to show), whatever
    the machine's load; fail after `timeout`."""
    tasks = [asyncio.create_task(worker()) for worker in workers]
    try:
        await wait_for(done, timeout=timeout)
        await asyncio.sleep(then_s)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def test_a_slow_email_is_sent_once_by_one_of_two_workers(db):
    relay = await RecordingRelay(data_delay_s=3.0).start()
    settings = Settings(smtp_host="127.0.0.1", smtp_port=relay.port, smtp_timeout=10, email_backoff_s=[60],
                        **SHORT_LEASE)
    senders = []
    for _ in range(2):
        notifications = Notifications(settings)
        senders.append(EmailSender(db, Outbox(runtime_tables), notifications, Mailer(settings)))
    invoice = snapshot("org_claims", number=f"INV-C-{uuid.uuid4().hex[:6]}", cc=())
    await queue_invoice_email(db, senders[0].notifications, invoice)
    async def sent():
        async with db.transaction() as session:
            return (await session.scalars(select(Message))).one().status == "sent"
    try:
        await run_until(sent, senders[0].run, senders[1].run)
    finally:
        relay.stop()
    async with db.transaction() as session:
        message = (await session.scalars(select(Message))).one()
    assert len(relay.received) == 1
    assert (message.status, message.attempts) == ("sent", 1)


async def test_a_dripping_webhook_is_posted_once_by_one_of_two_workers(db):
    settings = Settings(webhook_timeout_s=4.0, webhook_backoff_s=[60], **SHORT_LEASE)
    dispatchers = [WebhookDispatcher(db, Outbox(runtime_tables), Notifications(settings)) for _ in range(2)]
    async with http_server(drip(1.0, head_too=True)) as (server, port):
        now = datetime.now(timezone.utc)
        async with db.transaction() as session:
            await repo.insert_endpoint(session, WebhookEndpoint(
                id="we_drip", organization_id="org_claims", url=f"http://127.0.0.1:{port}/hooks",
                events=["*"], description=None, secret="whsec_" + "A" * 32, created_at=now, deleted_at=None))
            await repo.insert_delivery(session, {
                "id": "wd_drip", "endpoint_id": "we_drip", "organization_id": "org_claims",
                "event_id": str(uuid.uuid4()), "event_type": "invoice.paid", "payload": "{}", "status": "pending",
                "attempts": 0, "next_attempt_at": now, "last_status_code": None, "last_error": None,
                "created_at": now, "completed_at": None})
        async def cut_off():
            async with db.transaction() as session:
                return (await session.scalars(select(WebhookDelivery))).one().last_error is not None
        await run_until(cut_off, dispatchers[0].run, dispatchers[1].run)
        connections = len(server.requests)
    async with db.transaction() as session:
        delivery = (await session.scalars(select(WebhookDelivery))).one()
    assert connections == 1
    assert (delivery.status, delivery.attempts) == ("pending", 1)  # retried in a minute, not now
    assert delivery.last_error == "no complete response within 4 s"


async def test_renewing_skips_a_row_whose_outcome_is_being_recorded(database_url):
    """Postgres: while another transaction holds one claimed row (recording its outcome), renewing the
    claims neither waits for it (a wait could close a lock cycle: a deadlock) nor leaves the others out."""
    url = await database_url("notifications_renew")
    await upgrade_to_head_async(MIGRATIONS_DIR, url)
    db = Database(url)
    try:
        notifications = Notifications(Settings(**SHORT_LEASE))
        for n in range(2):
            await queue_invoice_email(db, notifications, snapshot("org_renew", number=f"INV-R{n}-{uuid.uuid4().hex[:6]}",
                                                                  cc=()))
        keeper = ClaimKeeper(db, Message.__table__, 2.0, notifications.clock)
        async with db.transaction() as session:
            rows = await repo.claim_due_messages(session, notifications.clock(), keeper.lease_until(), 10)
        assert len(rows) == 2
        for row in rows:
            keeper.hold(row["id"], row["claim_token"])
        async with db.transaction() as recording:  # not committed while the renewal runs
            await recording.execute(update(Message).where(Message.id == rows[0]["id"]).values(last_error="..."))
            assert await asyncio.wait_for(keeper.renew(), timeout=10) == 1
        assert await keeper.renew() == 2
    finally:
        await db.dispose()
