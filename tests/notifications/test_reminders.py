"""Manual reminders: POST /v1/invoices/{id}/remind queues a reminder email; once it is
sent, invoice.reminder_sent is published and delivered to subscribed webhooks."""

from __future__ import annotations

import uuid

from tests.notifications.notification_events import invoice_issued, invoice_paid, snapshot


async def test_manual_reminder_is_emailed_and_announced(notifications, invoicing, webhook_receiver, publish,
                                                         read_events, wait_for):
    org_id, api_key = await invoicing.create_org("Remind Co")
    name = f"reminders-{uuid.uuid4().hex[:6]}"
    number = f"INV-2026-{uuid.uuid4().hex[:5].upper()}"
    invoice = snapshot(org_id, number=number)
    async with notifications.client(api_key) as client:
        endpoint = (await client.post("/v1/webhook_endpoints", json={
            "url": webhook_receiver.endpoint_url(name), "events": ["invoice.reminder_sent"]})).json()
        webhook_receiver.secrets[name] = endpoint["secret"]

        # Before invoice.issued reaches us the invoice is unknown here.
        unknown = await client.post(f"/v1/invoices/{invoice.id}/remind")
        assert unknown.status_code == 404 and unknown.json()["error"]["param"] == "id"

        await publish(invoice_issued(invoice))

        async def remind():
            response = await client.post(f"/v1/invoices/{invoice.id}/remind", json={"tone": "firm"})
            return response if response.status_code == 202 else None
        first = (await wait_for(remind, timeout=30)).json()
        assert first["template"] == "invoice_reminder" and first["status"] == "pending"
        assert first["object"] == "email_message" and first["id"].startswith("msg_")
        second = await client.post(f"/v1/invoices/{invoice.id}/remind")  # a second reminder, a new email
        assert second.status_code == 202 and second.json()["id"] != first["id"]

        bad_tone = await client.post(f"/v1/invoices/{invoice.id}/remind", json={"tone": "rude"})
        assert bad_tone.status_code == 400 and bad_tone.json()["error"]["param"] == "tone"

    async def two_reminders():
        found = notifications.catcher.messages(subject=number)
        return found if len(found) >= 3 else None  # the invoice email and two reminders
    mails = await wait_for(two_reminders, timeout=30)
    reminders = [m for m in mails if m["Subject"].startswith("Reminder:")]
    assert len(reminders) == 2
    # The invoice fell due on 2026-03-31 (the wall clock is later): the firm reminder says so.
    assert reminders[0]["Subject"] == f"Reminder: invoice {number} from Acme Cloud is past due"
    assert reminders[0]["Message-ID"] != reminders[1]["Message-ID"]
    plain = reminders[0].get_body(preferencelist=("plain",)).get_content()
    assert "days overdue and remains unpaid" in plain
    assert "$1,623.75" in plain and invoice.hosted_invoice_url in plain
    assert "Pay now" in reminders[0].get_body(preferencelist=("html",)).get_content()

    async def announced():
        found = [e for e in await read_events("invoice.reminder_sent") if e.aggregate_id == invoice.id]
        return found if len(found) >= 2 else None
    events = await wait_for(announced, timeout=20)
    assert {e.data["message_id"] for e in events} == {first["id"], second.json()["id"]}
    assert events[0].data["invoice_number"] == number
    assert events[0].data["recipients"] == ["ada@example.test", "finance@example.test"]

    async def webhooks():
        return len(webhook_receiver.accepted_ids(name)) >= 2
    await wait_for(webhooks, timeout=30)
    assert sorted(webhook_receiver.accepted_ids(name)) == sorted(e.id for e in events)
    assert {b["type"] for b in webhook_receiver.accepted[name]} == {"invoice.reminder_sent"}

    # Once paid, the invoice can no longer be reminded.
    await publish(invoice_paid(snapshot(org_id, invoice_id=invoice.id, number=number, status="paid", version=5),
                               "pay_9"))
    async with notifications.client(api_key) as client:
        async def refused():
            response = await client.post(f"/v1/invoices/{invoice.id}/remind")
            return response if response.status_code == 409 else None
        conflict = (await wait_for(refused, timeout=20)).json()["error"]
    assert conflict["code"] == "invoice_not_remindable" and conflict["type"] == "conflict_error"


async def test_remind_is_scoped_to_the_organization(notifications, invoicing, publish, wait_for):
    org_id, api_key = await invoicing.create_org("Owner Co")
    _, other_key = await invoicing.create_org("Snoop Co")
    invoice = snapshot(org_id)
    await publish(invoice_issued(invoice))
    async with notifications.client(api_key) as owner, notifications.client(other_key) as other:
        async def known():
            rows = (await owner.get("/v1/messages", params={"invoice_id": invoice.id})).json()["data"]
            return rows or None
        await wait_for(known, timeout=30)
        response = await other.post(f"/v1/invoices/{invoice.id}/remind")
    assert response.status_code == 404 and response.json()["error"]["code"] == "resource_missing"
