"""Invoice, receipt and payment-failed emails end to end: real broker, Postgres, SMTP catcher.

Every event is published twice: the inbox must turn the second copy into a no-op.
"""

from __future__ import annotations

import asyncio
import uuid

from duely_contracts.models import CardRef
from tests.notifications.notification_events import (
    invoice_issued, invoice_paid, payment_applied, payment_failed, payment_succeeded, snapshot,
)


def _plain(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def _html(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


async def test_invoice_receipt_and_failure_emails_are_sent_once(notifications, invoicing, publish, read_events,
                                                                wait_for):
    org_id, api_key = await invoicing.create_org("Acme Cloud")
    number = f"INV-2026-{uuid.uuid4().hex[:5].upper()}"
    email = f"ada+{uuid.uuid4().hex[:6]}@example.test"
    invoice = snapshot(org_id, number=number, customer_email=email, cc=("finance@example.test", "cfo@example.test"))
    payment_id = f"pay_{uuid.uuid4().hex[:12]}"
    paid = snapshot(org_id, invoice_id=invoice.id, number=number, customer_email=email, status="paid", version=4,
                    cc=("finance@example.test", "cfo@example.test"))
    catcher = notifications.catcher

    async def mails(count: int):
        found = catcher.messages(subject=number)
        return found if len(found) >= count else None

    for envelope in (invoice_issued(invoice), payment_failed(invoice, attempt_number=1)):
        await publish(envelope)
        await publish(envelope)  # a redelivery
    await wait_for(lambda: mails(2), timeout=30)
    # The payment that succeeded, then invoicing's word that it counted: only then the receipt (one: the
    # invoice.paid that follows the final payment sends none).
    for envelope in (payment_succeeded(paid, payment_id), payment_applied(paid, payment_id, paid.total),
                     invoice_paid(paid, payment_id)):
        await publish(envelope)
        await publish(envelope)
    found = await wait_for(lambda: mails(3), timeout=30)
    by_subject = {m["Subject"]: m for m in found}
    assert set(by_subject) == {
        f"Your invoice {number} from Acme Cloud is ready",
        f"Payment failed for invoice {number} from Acme Cloud",
        f"Receipt for invoice {number} from Acme Cloud",
    }
    for message in found:
        assert message["To"] == email
        assert message["Cc"] == "finance@example.test, cfo@example.test"
        assert message.get_all("Delivered-To") == [email, "finance@example.test", "cfo@example.test"]
        assert message["From"] == "Acme Cloud <billing@duely.local>"  # the organization's name, our address
        assert message["Reply-To"] is None                              # it set none
        assert message["Message-ID"].endswith("@duely.local>")
        attached = [part.get_filename() for part in message.iter_attachments()]
        # attach_pdf is not set on these: no invoice PDF; a receipt always carries its own receipt PDF.
        assert attached == ([f"receipt-{number}-{payment_id}.pdf"] if message["Subject"].startswith("Receipt")
                            else [])

    issued_mail = by_subject[f"Your invoice {number} from Acme Cloud is ready"]
    for body in (_plain(issued_mail), _html(issued_mail)):
        assert "Ada Lovelace" in body
        assert "$1,623.75" in body           # the total
        assert "March 31, 2026" in body      # the due date
        assert "Pro plan (March)" in body    # a line description
        assert "Review invoice" in body
        assert "AutoPay" not in body
    assert f'href="{invoice.hosted_invoice_url}"' in _html(issued_mail)

    failed_mail = by_subject[f"Payment failed for invoice {number} from Acme Cloud"]
    assert "Your card was declined." in _plain(failed_mail) and "Pay now" in _html(failed_mail)
    receipt = by_subject[f"Receipt for invoice {number} from Acme Cloud"]
    assert "$1,623.75" in _plain(receipt) and "March 5, 2026" in _plain(receipt)
    assert "Visa card" in _plain(receipt)  # how they paid, from payment.succeeded
    assert "The invoice is paid in full." in _plain(receipt)

    # The delivery log: one row per email, each sent at the first attempt. The relay has a message
    # before the sender records it as sent: wait for the record, not only for the Maildir.
    async with notifications.client(api_key) as client:
        async def recorded():
            response = await client.get("/v1/messages", params={"invoice_id": invoice.id})
            assert response.status_code == 200, response.text
            rows = response.json()["data"]
            return rows if len(rows) == 3 and all(r["status"] != "pending" for r in rows) else None
        rows = await wait_for(recorded, timeout=30)
    assert sorted(r["template"] for r in rows) == ["invoice_issued", "payment_failed", "payment_receipt"]
    assert all(r["status"] == "sent" and r["attempts"] == 1 for r in rows), rows
    assert all(r["to"] == [email] and r["cc"] == ["finance@example.test", "cfo@example.test"] for r in rows)
    assert {r["subject"] for r in rows} == set(by_subject)
    assert [m["Subject"].split(" ")[0] for m in found] == ["Your", "Payment", "Receipt"]  # in their order

    delivered = [e for e in await read_events("email.delivered") if e.data.get("invoice_id") == invoice.id]
    assert sorted(e.data["template"] for e in delivered) == ["invoice_issued", "payment_failed", "payment_receipt"]

    await asyncio.sleep(1.0)  # give any duplicate a chance to show up
    assert len(catcher.messages(subject=number)) == 3


async def test_a_payment_failed_email_for_an_invoice_paid_since_is_skipped(notifications, invoicing, publish,
                                                                           wait_for):
    """The tour's race: the declined attempt's event reaches notifications after the invoice was paid.
    Its email would tell the customer to pay a paid invoice: it is not sent, and the log says why."""
    org_id, api_key = await invoicing.create_org("Race Co")
    number = f"INV-2026-{uuid.uuid4().hex[:5].upper()}"
    invoice = snapshot(org_id, number=number)
    paid = snapshot(org_id, invoice_id=invoice.id, number=number, status="paid", version=4)
    await publish(invoice_issued(invoice))
    await publish(payment_applied(paid, "pay_race", paid.total))
    await publish(invoice_paid(paid, "pay_race"))

    async def receipt():
        return notifications.catcher.messages(subject=f"Receipt for invoice {number}")
    await wait_for(receipt, timeout=30)
    await publish(payment_failed(invoice, attempt_number=1))  # queued after the invoice was paid

    async with notifications.client(api_key) as client:
        async def settled():
            rows = (await client.get("/v1/messages", params={"invoice_id": invoice.id})).json()["data"]
            failed = [r for r in rows if r["template"] == "payment_failed"]
            return failed[0] if failed and failed[0]["status"] != "pending" else None
        row = await wait_for(settled, timeout=30)
    assert row["status"] == "skipped" and row["sent_at"] is None and row["subject"] is None
    assert row["skipped_reason"] == "the invoice is paid now: nothing to ask for"
    await asyncio.sleep(1.0)
    assert not notifications.catcher.messages(subject=f"Payment failed for invoice {number}")


async def test_messages_are_scoped_to_the_organization(notifications, invoicing):
    _, other_key = await invoicing.create_org("Other Org")
    async with notifications.client(other_key) as client:
        listing = await client.get("/v1/messages")
        missing = await client.get("/v1/messages/msg_doesnotexist")
    assert listing.status_code == 200 and listing.json()["data"] == []
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "resource_missing"


async def test_the_card_and_the_safe_reason_from_payments_events_reach_the_emails(notifications, invoicing, publish,
                                                                                 wait_for):
    """A decline for insufficient funds names that reason (not the gateway's code) and the card's last 4;
    the receipt says which card paid."""
    org_id, _ = await invoicing.create_org("Card Words Co")
    number = f"INV-2026-{uuid.uuid4().hex[:5].upper()}"
    invoice = snapshot(org_id, number=number)
    paid = snapshot(org_id, invoice_id=invoice.id, number=number, status="paid", version=4)
    payment_id = f"pay_{uuid.uuid4().hex[:12]}"
    await publish(invoice_issued(invoice))
    await publish(payment_failed(invoice, failure_reason="insufficient_funds",
                                 card=CardRef(brand="visa", last4="9995")))

    async def mail(subject: str):
        found = notifications.catcher.messages(subject=subject)
        return found[0] if found else None
    failed = await wait_for(lambda: mail(f"Payment failed for invoice {number}"), timeout=30)
    assert "Your card has insufficient funds." in _plain(failed) and "Visa ending in 9995" in _plain(failed)
    assert "Your card was declined." not in _plain(failed)

    await publish(payment_succeeded(paid, payment_id, card=CardRef(brand="visa", last4="4242")))
    await publish(payment_applied(paid, payment_id, paid.total))
    receipt = await wait_for(lambda: mail(f"Receipt for invoice {number}"), timeout=30)
    assert "Visa •••• 4242" in _plain(receipt) and "pm_" not in _plain(receipt)


async def test_after_the_first_failed_autopay_charge_dunning_retries_fail_quietly(notifications, invoicing, publish,
                                                                                  wait_for):
    """Dunning retries an AutoPay invoice on the days it also reminds the customer: the first failure is
    emailed, later AutoPay failures are not (that day's reminder is the one message); a payment the
    customer tries by hand and that fails is still emailed."""
    org_id, api_key = await invoicing.create_org("Retry Co")
    number = f"INV-2026-{uuid.uuid4().hex[:5].upper()}"
    invoice = snapshot(org_id, number=number)
    await publish(invoice_issued(invoice))
    for attempt in (1, 2, 3):
        await publish(payment_failed(invoice, attempt_number=attempt, autopay=True))
    await publish(payment_failed(invoice, attempt_number=4))  # on the hosted page

    async with notifications.client(api_key) as client:
        async def all_sent():
            rows = (await client.get("/v1/messages", params={"invoice_id": invoice.id})).json()["data"]
            failed = [r for r in rows if r["template"] == "payment_failed"]
            return failed if len(failed) == 2 and all(r["status"] == "sent" for r in failed) else None
        await wait_for(all_sent, timeout=30)
    await asyncio.sleep(1.0)
    assert len(notifications.catcher.messages(subject=f"Payment failed for invoice {number}")) == 2


async def test_a_declined_charge_for_several_invoices_is_one_failure_email(notifications, invoicing, publish,
                                                                          wait_for):
    """Paying three invoices in one charge (the portal) and being declined: each invoice has its event and
    webhook, but the customer gets one email (the first invoice's), not three."""
    org_id, _ = await invoicing.create_org("Acme Cloud")
    email = f"grace+{uuid.uuid4().hex[:6]}@example.test"
    invoices = [snapshot(org_id, number=f"INV-G-{uuid.uuid4().hex[:5].upper()}", customer_email=email)
                for _ in range(3)]
    for invoice in invoices:
        await publish(invoice_issued(invoice))
    await wait_for(lambda: _async(len(notifications.catcher.messages(to=email)) >= 3 or None), timeout=30)
    for position, invoice in enumerate(invoices):
        await publish(payment_failed(invoice, payment_group_id="pgrp_test", first_of_group=position == 0))
    first = invoices[0].number
    await wait_for(lambda: _async(notifications.catcher.messages(subject=f"Payment failed for invoice {first}")
                                  or None), timeout=30)
    await asyncio.sleep(1.5)  # the other two had their chance
    failures = [m for m in notifications.catcher.messages(to=email) if m["Subject"].startswith("Payment failed")]
    assert [m["Subject"] for m in failures] == [f"Payment failed for invoice {first} from Acme Cloud"]


async def _async(value):
    return value
