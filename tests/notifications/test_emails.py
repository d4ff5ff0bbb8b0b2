"""Invoice, receipt and payment-failed emails end to end: real broker, Postgres, SMTP catcher.

Every event is published twice: the inbox must turn the second copy into a no-op.
"""

from __future__ import annotations

import asyncio
import uuid

from tests.notifications.notification_events import invoice_issued, payment_failed, payment_succeeded, snapshot


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

    issued = invoice_issued(invoice)
    failed = payment_failed(invoice, attempt_number=1)
    succeeded = payment_succeeded(invoice, payment_id)
    for envelope in (issued, failed, succeeded):
        await publish(envelope)
        await publish(envelope)  # a redelivery

    catcher = notifications.catcher

    async def three_mails():
        found = catcher.messages(subject=number)
        return found if len(found) >= 3 else None
    mails = await wait_for(three_mails, timeout=30)
    by_subject = {m["Subject"]: m for m in mails}
    assert set(by_subject) == {
        f"Your invoice {number} from Acme Cloud is ready",
        f"Payment failed for invoice {number} from Acme Cloud",
        f"Receipt for invoice {number} from Acme Cloud",
    }
    for message in mails:
        assert message["To"] == email
        assert message["Cc"] == "finance@example.test, cfo@example.test"
        assert message.get_all("Delivered-To") == [email, "finance@example.test", "cfo@example.test"]
        assert message["From"] == "Duely Billing <billing@duely.local>"
        assert message["Message-ID"].endswith("@duely.local>")

    issued_mail = by_subject[f"Your invoice {number} from Acme Cloud is ready"]
    for body in (_plain(issued_mail), _html(issued_mail)):
        assert "Ada Lovelace" in body
        assert "$1,623.75" in body           # the total
        assert "March 31, 2026" in body      # the due date
        assert "Pro plan (March)" in body    # a line description
        assert "Review invoice" in body
    assert f'href="{invoice.hosted_invoice_url}"' in _html(issued_mail)

    failed_mail = by_subject[f"Payment failed for invoice {number} from Acme Cloud"]
    assert "Your card was declined." in _plain(failed_mail) and "Pay now" in _html(failed_mail)
    receipt = by_subject[f"Receipt for invoice {number} from Acme Cloud"]
    assert "$1,623.75" in _plain(receipt) and "March 5, 2026" in _plain(receipt)

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

    delivered = [e for e in await read_events("email.delivered") if e.data.get("invoice_id") == invoice.id]
    assert sorted(e.data["template"] for e in delivered) == ["invoice_issued", "payment_failed", "payment_receipt"]

    await asyncio.sleep(1.0)  # give any duplicate a chance to show up
    assert len(catcher.messages(subject=number)) == 3


async def test_messages_are_scoped_to_the_organization(notifications, invoicing):
    _, other_key = await invoicing.create_org("Other Org")
    async with notifications.client(other_key) as client:
        listing = await client.get("/v1/messages")
        missing = await client.get("/v1/messages/msg_doesnotexist")
    assert listing.status_code == 200 and listing.json()["data"] == []
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "resource_missing"
