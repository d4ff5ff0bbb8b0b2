"""Reminder emails from dunning's timeline: `dunning.reminder_due` (channel email) queues one reminder per
timeline entry, however often the event arrives; it waits for the invoice's snapshot, is skipped once
nothing is owed, and `invoice.reminder_sent` says the channel, step and source. (Manual reminders are
asked of dunning now: POST /v1/invoices/{id}/remind is not notifications' any more.)"""

from __future__ import annotations

import asyncio
import uuid

from tests.notifications.notification_events import invoice_issued, invoice_paid, reminder_due, snapshot


async def test_a_reminder_due_twice_is_emailed_once_and_announced(notifications, invoicing, webhook_receiver,
                                                                  publish, read_events, wait_for):
    org_id, api_key = await invoicing.create_org("Remind Co")
    name = f"reminders-{uuid.uuid4().hex[:6]}"
    number = f"INV-2026-{uuid.uuid4().hex[:5].upper()}"
    invoice = snapshot(org_id, number=number)
    async with notifications.client(api_key) as client:
        endpoint = (await client.post("/v1/webhook_endpoints", json={
            "url": webhook_receiver.endpoint_url(name), "events": ["invoice.reminder_sent"]})).json()
        webhook_receiver.secrets[name] = endpoint["secret"]

    # Dunning's reminder may come before invoice.issued has reached notifications: it waits for the snapshot.
    due = reminder_due(invoice, step="after_7", source="after_due", tone="firm", template="invoice_reminder_firm")
    await publish(due)
    await publish(due)  # redelivered as is (the inbox)...
    await publish(due.model_copy(update={"id": str(uuid.uuid4())}))  # ...and republished (the idempotency key)
    await publish(invoice_issued(invoice))

    async def invoice_and_reminder():
        found = notifications.catcher.messages(subject=number)
        return found if len(found) >= 2 else None
    await wait_for(invoice_and_reminder, timeout=30)
    await asyncio.sleep(1.0)  # a second reminder would show up now
    reminders = [m for m in notifications.catcher.messages(subject=number) if m["Subject"].startswith("Reminder:")]
    assert len(reminders) == 1
    [mail] = reminders
    assert mail["Subject"] == f"Reminder: invoice {number} from Acme Cloud is past due"  # the firm tone
    assert mail["To"] == "ada@example.test" and mail["Cc"] == "finance@example.test"  # from the snapshot
    plain = mail.get_body(preferencelist=("plain",)).get_content()
    assert "$1,623.75" in plain and invoice.hosted_invoice_url in plain

    async with notifications.client(api_key) as client:
        rows = (await client.get("/v1/messages", params={"invoice_id": invoice.id})).json()["data"]
    [logged] = [r for r in rows if r["template"].startswith("invoice_reminder")]
    assert logged["status"] == "sent" and logged["channel"] == "email"
    assert logged["to"] == ["ada@example.test"] and logged["cc"] == ["finance@example.test"]

    async def announced():
        return [e for e in await read_events("invoice.reminder_sent") if e.aggregate_id == invoice.id] or None
    [event] = await wait_for(announced, timeout=20)
    assert event.data["message_id"] == logged["id"] and event.data["invoice_number"] == number
    assert (event.data["channel"], event.data["step"], event.data["source"]) == ("email", "after_7", "after_due")
    assert event.data["template"] == "invoice_reminder_firm"
    assert event.data["recipients"] == ["ada@example.test", "finance@example.test"]

    async def webhook():
        return webhook_receiver.accepted[name] or None
    [body] = await wait_for(webhook, timeout=30)
    assert body["type"] == "invoice.reminder_sent" and body["data"]["channel"] == "email"


async def test_a_reminder_for_a_paid_invoice_is_skipped(notifications, invoicing, publish, wait_for):
    org_id, api_key = await invoicing.create_org("Paid Co")
    number = f"INV-2026-{uuid.uuid4().hex[:5].upper()}"
    invoice = snapshot(org_id, number=number)
    await publish(invoice_issued(invoice))
    await publish(invoice_paid(snapshot(org_id, invoice_id=invoice.id, number=number, status="paid", version=5),
                               "pay_9"))
    async with notifications.client(api_key) as client:
        async def paid_here():  # the invoice email went out (the paid snapshot is in by then, or soon)
            rows = (await client.get("/v1/messages", params={"invoice_id": invoice.id})).json()["data"]
            return rows if rows and rows[0]["status"] != "pending" else None
        await wait_for(paid_here, timeout=30)
        await asyncio.sleep(0.5)
        await publish(reminder_due(invoice, tone="gentle", template="invoice_reminder_gentle"))

        async def reminder_done():
            rows = (await client.get("/v1/messages", params={"invoice_id": invoice.id})).json()["data"]
            found = [r for r in rows if r["template"].startswith("invoice_reminder") and r["status"] != "pending"]
            return found or None
        [reminder] = await wait_for(reminder_done, timeout=30)
    assert reminder["status"] == "skipped" and "paid" in reminder["skipped_reason"]
    assert not [m for m in notifications.catcher.messages(subject=number) if m["Subject"].startswith("Reminder:")]


async def test_the_remind_route_is_no_longer_notifications(notifications, invoicing):
    _, api_key = await invoicing.create_org("Route Co")
    async with notifications.client(api_key) as client:
        response = await client.post("/v1/invoices/in_1/remind", json={"tone": "firm"})
    assert response.status_code in (404, 405)  # dunning answers it now (the gateway routes it there)
