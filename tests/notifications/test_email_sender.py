"""The sender worker against a real SMTP catcher and Postgres (and SQLite): retries while the relay is
down, gives up after the last backoff step, a resend after a crash between "sent" and "marked sent" is
the same message (same Message-ID, stored once), a message the relay can't take fails alone, not the
rest of its batch. At send time: the PDF fetched from the real invoicing service (waiting while it is
unreachable, left out above the size limit), an email whose invoice is not known yet waits for it,
an email made obsolete by the invoice is skipped, one invoice's emails go out in order."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from sqlalchemy import select

from duely_contracts import Envelope
from duely_contracts.events import InvoicePaymentFailed, PaymentMethodExpiring
from duely_contracts.models import CustomerRef, InvoiceSnapshot
from duely_devstack.net import free_port
from duely_runtime.auth import INTERNAL_HEADER
from duely_runtime.db import Database
from duely_runtime.migrations import upgrade_to_head_async
from duely_runtime.outbox import Outbox
from duely_notifications import repository as repo
from duely_notifications.config import Settings
from duely_notifications.email_sender import EmailSender
from duely_notifications.mailer import Mailer
from duely_notifications.main import MIGRATIONS_DIR
from duely_notifications.models import Message, runtime_tables
from duely_notifications.schemas import EmailMessageOut
from duely_notifications.service import Notifications

from tests.conftest import INTERNAL_SECRET
from tests.invoicing.documents_helpers import pdf_text
from tests.invoicing.helpers import issued_invoice
from tests.notifications.notification_events import (
    invoice_paid, payment_failed, queue_invoice_email as queue_email_of, snapshot,
)
from tests.notifications.notification_stack import PORTS, RecordingRelay, SmtpCatcher


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture(params=["postgres", "sqlite"])
async def db(request, database_url, tmp_path):
    """The embedded default (SQLite) and production (Postgres) run the same code."""
    if request.param == "postgres":
        url = await database_url("notifications_sender")
    else:
        url = f"sqlite+aiosqlite:///{tmp_path}/notifications.db"
    await upgrade_to_head_async(MIGRATIONS_DIR, url)
    database = Database(url)
    yield database
    await database.dispose()


def make_sender(db: Database, smtp_port: int, clock: Clock) -> tuple[Notifications, EmailSender]:
    settings = Settings(smtp_host="127.0.0.1", smtp_port=smtp_port, smtp_timeout=5, email_backoff_s=[10, 60],
                        claim_lease_s=300)
    notifications = Notifications(settings, clock=clock)
    return notifications, EmailSender(db, Outbox(runtime_tables), notifications, Mailer(settings))


async def queue_failure_email(notifications: Notifications, session, failed: Envelope) -> None:
    """What the invoice.payment_failed consumer queues."""
    await notifications.queue("payment_failed", session, failed.organization_id,
                              InvoicePaymentFailed.model_validate(failed.data), failed.data)


async def queue_invoice_email(db: Database, notifications: Notifications, email: str = "ada@example.test") -> str:
    invoice = snapshot("org_sender", number=f"INV-S-{uuid.uuid4().hex[:6]}", cc=())
    # model_construct: the addresses a relay can't take (validated ones never get this far).
    invoice.customer = CustomerRef.model_construct(id="cus_1", name="Ada", email=email, cc_emails=[])
    await queue_email_of(db, notifications, invoice)
    return invoice.number


async def message_row(db: Database) -> Message:
    async with db.transaction() as session:
        return (await session.scalars(select(Message))).one()


async def test_relay_down_then_up_retries_with_backoff(db, tmp_path):
    clock = Clock()
    port = free_port(*PORTS)  # nothing listens yet
    notifications, sender = make_sender(db, port, clock)
    number = await queue_invoice_email(db, notifications)

    assert await sender.send_due_batch() == 1
    row = await message_row(db)
    assert (row.status, row.attempts) == ("pending", 1)
    assert "Connect" in row.last_error or "refused" in row.last_error.lower()
    assert await sender.send_due_batch() == 0  # not due before the first backoff step

    catcher = await SmtpCatcher(tmp_path / "mail", port=port).start()
    try:
        clock.advance(10)
        assert await sender.send_due_batch() == 1
        row = await message_row(db)
        assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)
        assert [m["Subject"] for m in catcher.messages()] == [f"Your invoice {number} from Acme Cloud is ready"]
        async with db.transaction() as session:
            outbox = (await session.execute(select(runtime_tables.outbox.c.topic))).scalars().all()
        assert outbox == ["email.delivered"]
    finally:
        catcher.stop()


async def test_gives_up_after_the_last_backoff_step(db):
    clock = Clock()
    notifications, sender = make_sender(db, free_port(*PORTS), clock)
    await queue_invoice_email(db, notifications)
    for step in (10, 60):
        await sender.send_due_batch()
        clock.advance(step)
    await sender.send_due_batch()
    row = await message_row(db)
    assert (row.status, row.attempts) == ("failed", 3)
    clock.advance(3600)
    assert await sender.send_due_batch() == 0


async def test_resend_after_crash_between_send_and_mark_is_the_same_message(db, tmp_path):
    clock = Clock()
    catcher = await SmtpCatcher(tmp_path / "mail").start()
    try:
        notifications, sender = make_sender(db, catcher.port, clock)
        await queue_invoice_email(db, notifications)
        # What the worker does before "marked sent": claim, then hand the email to the relay...
        async with db.transaction() as session:
            claimed = await repo.claim_due_messages(session, clock(), clock() + timedelta(seconds=300), 10)
        outgoing, failures = await sender.prepare(claimed)
        assert failures == {}
        async with sender.mailer.connection() as smtp:
            await sender.mailer.send(smtp, outgoing[0])
        # ...then the process dies. After the lease, another worker sends it again.
        assert await sender.send_due_batch() == 0
        clock.advance(301)
        assert await sender.send_due_batch() == 1
        row = await message_row(db)
        assert row.status == "sent"
        stored = catcher.messages()
        assert len(stored) == 1 and stored[0]["Message-ID"] == row.message_id_header
    finally:
        catcher.stop()


async def test_a_message_the_relay_cannot_take_fails_alone(db):
    """A relay without SMTPUTF8 can't take a non-ASCII local part, and a header can't carry a line
    break: those two messages fail (at once: retrying can't help), the others of the batch go out."""
    relay = await RecordingRelay(smtputf8=False).start()
    try:
        notifications, sender = make_sender(db, relay.port, Clock())
        for email in ("first@example.test", "jörg@example.test", "second@example.test",
                      "evil@example.test\r\nBcc: victim@example.test", "third@example.test"):
            await queue_invoice_email(db, notifications, email)
        assert await sender.send_due_batch() == 5
    finally:
        relay.stop()
    async with db.transaction() as session:
        rows = {m.to[0]: m for m in (await session.scalars(select(Message))).all()}
    assert sorted(rcpts[0] for _, rcpts, _ in relay.received) == [
        "first@example.test", "second@example.test", "third@example.test"]
    assert all(rows[f"{n}@example.test"].status == "sent" for n in ("first", "second", "third"))
    unicode_row, injected_row = rows["jörg@example.test"], rows["evil@example.test\r\nBcc: victim@example.test"]
    assert (unicode_row.status, unicode_row.attempts) == ("failed", 1) and "SMTPUTF8" in unicode_row.last_error
    assert (injected_row.status, injected_row.attempts) == ("failed", 1)
    assert "can't be encoded" in injected_row.last_error


async def test_a_batch_goes_out_over_several_connections_each_message_once(db):
    """A slow relay: the batch's eight emails share four connections (SMTP_CONNECTIONS), each sent once."""
    relay = await RecordingRelay(data_delay_s=0.2).start()
    try:
        notifications, sender = make_sender(db, relay.port, Clock())
        sender.settings.smtp_connections = 4
        addresses = [f"customer{n}@example.test" for n in range(8)]
        for email in addresses:
            await queue_invoice_email(db, notifications, email)
        assert await sender.send_due_batch() == 8
    finally:
        relay.stop()
    assert sorted(rcpts[0] for _, rcpts, _ in relay.received) == sorted(addresses)
    assert len({message_id for _, _, message_id in relay.received}) == 8
    assert len(relay.connections) == 4
    async with db.transaction() as session:
        assert {m.status for m in (await session.scalars(select(Message))).all()} == {"sent"}


# -- the PDF attachment, fetched from invoicing when the email is sent -------------------------

async def issued_snapshot(invoicing) -> InvoiceSnapshot:
    """A real issued invoice (attach_pdf resolves true by default), as invoicing's snapshot."""
    organization_id, api_key = await invoicing.create_org("Attach Co")
    async with httpx.AsyncClient(base_url=invoicing.url, headers={"Authorization": f"Bearer {api_key}"},
                                 timeout=30) as api:
        invoice = await issued_invoice(api)
        body = (await api.get(f"/internal/invoices/{invoice['id']}", params={"organization_id": organization_id},
                              headers={INTERNAL_HEADER: INTERNAL_SECRET})).json()
    return InvoiceSnapshot.model_validate(body)


async def test_the_email_waits_for_its_pdf_while_invoicing_is_unreachable_and_the_invoices_next_email_waits_too(
        db, tmp_path, invoicing):
    clock = Clock()
    catcher = await SmtpCatcher(tmp_path / "mail").start()
    try:
        notifications, sender = make_sender(db, catcher.port, clock)
        sender.composer.pdfs.invoicing_url = f"http://127.0.0.1:{free_port(*PORTS)}"  # nothing listens there
        invoice = await issued_snapshot(invoicing)
        assert invoice.attach_pdf is True
        await queue_email_of(db, notifications, invoice)
        failed = payment_failed(invoice)
        async with db.transaction() as session:
            await queue_failure_email(notifications, session, failed)

        assert await sender.send_due_batch() == 1  # the invoice email only: the failure email waits behind it
        rows = await message_rows(db)
        assert (rows["invoice_issued"].status, rows["invoice_issued"].attempts) == ("pending", 1)
        assert "invoicing unreachable for the PDF" in rows["invoice_issued"].last_error
        assert (rows["payment_failed"].status, rows["payment_failed"].attempts) == ("pending", 0)
        assert catcher.messages() == []

        sender.composer.pdfs.invoicing_url = invoicing.url  # invoicing is back
        clock.advance(10)
        assert await sender.send_due_batch() == 1
        assert await sender.send_due_batch() == 1
        rows = await message_rows(db)
        assert all(row.status == "sent" for row in rows.values())
        assert rows["invoice_issued"].attachments == [f"{invoice.number}.pdf"]
        first, second = catcher.messages()
        assert first["X-Duely-Template"] == "invoice_issued" and second["X-Duely-Template"] == "payment_failed"
        [attachment] = list(first.iter_attachments())
        assert attachment.get_filename() == f"{invoice.number}.pdf"
        assert invoice.number in pdf_text(attachment.get_content())
        assert not list(second.iter_attachments())  # a payment-failed email carries no PDF
    finally:
        catcher.stop()


async def test_a_pdf_above_the_size_limit_is_left_out_and_the_email_links_the_invoice_page(db, tmp_path, invoicing):
    catcher = await SmtpCatcher(tmp_path / "mail").start()
    try:
        notifications, sender = make_sender(db, catcher.port, Clock())
        sender.composer.pdfs.invoicing_url = invoicing.url
        sender.composer.pdfs.max_bytes = 2_000  # an invoice PDF is tens of kilobytes
        invoice = await issued_snapshot(invoicing)
        await queue_email_of(db, notifications, invoice)
        assert await sender.send_due_batch() == 1
        [message] = catcher.messages()
        assert not list(message.iter_attachments())
        text = message.get_body(preferencelist=("plain",)).get_content()
        assert "The PDF is too large to attach: download it from the invoice page." in text
        assert invoice.hosted_invoice_url in text
        row = (await message_rows(db))["invoice_issued"]
        assert (row.status, row.attachments) == ("sent", [])
    finally:
        catcher.stop()


async def test_an_email_for_an_invoice_not_known_yet_waits_for_it(db, tmp_path):
    """invoice.payment_failed may be read before invoice.issued (two topics): the email waits for the
    snapshot it is rendered from, then goes out."""
    clock = Clock()
    catcher = await SmtpCatcher(tmp_path / "mail").start()
    try:
        notifications, sender = make_sender(db, catcher.port, clock)
        invoice = snapshot("org_sender", number=f"INV-W-{uuid.uuid4().hex[:6]}", cc=())
        failed = payment_failed(invoice)
        async with db.transaction() as session:
            await queue_failure_email(notifications, session, failed)
        assert await sender.send_due_batch() == 1
        row = (await message_rows(db))["payment_failed"]
        assert (row.status, row.attempts) == ("pending", 1) and "is not known here yet" in row.last_error
        await queue_email_of(db, notifications, invoice)  # invoice.issued arrives
        clock.advance(10)
        assert await sender.send_due_batch() == 1  # the invoice email first...
        assert await sender.send_due_batch() == 1  # ...then the failure
        assert [m["X-Duely-Template"] for m in catcher.messages()] == ["invoice_issued", "payment_failed"]
    finally:
        catcher.stop()


async def test_a_payment_failed_email_is_skipped_once_the_invoice_is_paid(db, tmp_path):
    catcher = await SmtpCatcher(tmp_path / "mail").start()
    try:
        notifications, sender = make_sender(db, catcher.port, Clock())
        invoice = snapshot("org_sender", number=f"INV-P-{uuid.uuid4().hex[:6]}", cc=())
        await queue_email_of(db, notifications, invoice)
        assert await sender.send_due_batch() == 1
        failed = payment_failed(invoice)
        paid = snapshot("org_sender", invoice_id=invoice.id, number=invoice.number, status="paid", version=5, cc=())
        async with db.transaction() as session:
            await queue_failure_email(notifications, session, failed)
            await notifications.record_invoice(session, invoice_paid(paid, "pay_1"), paid)  # paid before it went out
        assert await sender.send_due_batch() == 1
        row = (await message_rows(db))["payment_failed"]
        assert (row.status, row.skipped_reason, row.sent_at) == (
            "skipped", "the invoice is paid now: nothing to ask for", None)
        assert EmailMessageOut.of(row).model_dump()["skipped_reason"] == row.skipped_reason
        assert [m["X-Duely-Template"] for m in catcher.messages()] == ["invoice_issued"]
    finally:
        catcher.stop()


async def message_rows(db: Database) -> dict[str, Message]:
    async with db.transaction() as session:
        return {m.template: m for m in (await session.scalars(select(Message))).all()}


async def test_an_email_without_an_invoice_and_one_queued_before_the_upgrade_go_out(db, tmp_path):
    """An expiring card is about no invoice: rendered from its facts, in the customer's language. A row
    queued by the previous version (rendered then, no facts) is sent as it was stored."""
    catcher = await SmtpCatcher(tmp_path / "mail").start()
    try:
        notifications, sender = make_sender(db, catcher.port, Clock())
        customer = CustomerRef(id="cus_1", name="Ada", email="ada@example.test", locale="de_DE")
        envelope = Envelope(type="payment_method.expiring", organization_id="org_sender", aggregate_id="pm_1",
                            aggregate_version=1, correlation_id=str(uuid.uuid4()), data={})
        async with db.transaction() as session:
            await repo.upsert_organization(session, "org_sender", "Acme GmbH", 1)
            expiring = PaymentMethodExpiring(payment_method_id="pm_1", customer=customer, brand="visa", last4="4242",
                                             exp_month=4, exp_year=2027)
            await notifications.queue("payment_method_expiring", session, envelope.organization_id, expiring)
            now = notifications.clock()
            await repo.insert_message(session, {
                "id": "msg_legacy", "organization_id": "org_sender", "idempotency_key": "legacy:1",
                "template": "invoice_issued", "to": ["ada@example.test"], "cc": [], "facts": None,
                "subject": "Stored subject", "text_body": "Stored text\n", "html_body": "<p>Stored</p>",
                "invoice_id": None, "status": "pending", "attempts": 0, "next_attempt_at": now, "last_error": None,
                "message_id_header": "<legacy-1@duely.local>", "created_at": now, "sent_at": None})
        assert await sender.send_due_batch() == 2
        by_subject = {m["Subject"]: m for m in catcher.messages()}
        expiring = by_subject["Ihre Karte Visa mit den Endziffern 4242 läuft bald ab"]
        assert expiring["From"] == "Acme GmbH <billing@duely.local>"
        assert "die Acme GmbH für Ihre automatischen Zahlungen verwendet" in \
            expiring.get_body(preferencelist=("plain",)).get_content()
        legacy = by_subject["Stored subject"]
        assert legacy["From"] == "Duely Billing <billing@duely.local>"
        assert legacy.get_body(preferencelist=("plain",)).get_content().strip() == "Stored text"
        assert all(row.status == "sent" for row in (await message_rows(db)).values())
    finally:
        catcher.stop()
