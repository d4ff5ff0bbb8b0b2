"""Reminder SMS end to end: dunning.reminder_due (channel sms) → the SMS sender → Twilio's API as the SMS
catcher (a real subprocess) speaks it → one JSON file per SMS. Real broker, Postgres, catcher; the
production driver."""

from __future__ import annotations

import asyncio
import uuid

from tests.notifications.notification_events import invoice_issued, reminder_due, snapshot


def _phone() -> str:
    return f"+1415{uuid.uuid4().int % 10_000_000:07d}"


async def _log(client, invoice_id: str, channel: str = "sms") -> list[dict]:
    rows = (await client.get("/v1/messages", params={"invoice_id": invoice_id})).json()["data"]
    return [row for row in rows if row["channel"] == channel]


async def _finished(client, wait_for, invoice_id: str) -> dict:
    async def done():
        rows = [row for row in await _log(client, invoice_id) if row["status"] != "pending"]
        return rows or None
    [row] = await wait_for(done, timeout=30)
    return row


async def _issued(publish, notifications, api_key: str, wait_for, invoice) -> None:
    """invoice.issued, read: a reminder that overtook it (another topic) would wait one attempt for it, and the
    tests count attempts."""
    await publish(invoice_issued(invoice))

    async def known():
        async with notifications.client(api_key) as client:
            rows = (await client.get("/v1/messages", params={"invoice_id": invoice.id})).json()["data"]
        return any(row["template"] == "invoice_issued" for row in rows)
    await wait_for(known, timeout=30)


async def test_a_reminder_sms_to_a_consenting_phone_lands_in_the_catcher_once(
        notifications, invoicing, publish, read_events, wait_for):
    org_id, api_key = await invoicing.create_org("Text Co")
    number, phone = f"INV-2026-{uuid.uuid4().hex[:5].upper()}", _phone()
    invoice = snapshot(org_id, number=number, phone=phone, sms_opt_in=True)
    await _issued(publish, notifications, api_key, wait_for, invoice)
    due = reminder_due(invoice, channel="sms", step="v1:day_7", source="dunning", tone="firm",
                       template="invoice_reminder_firm")
    await publish(due)
    await publish(due.model_copy(update={"id": str(uuid.uuid4())}))  # dunning republished it: one SMS per entry
    # The same step's email is its own message (one per timeline entry and channel).
    await publish(reminder_due(invoice, channel="email", timer_id=due.data["timer_id"], step="v1:day_7",
                               source="dunning", tone="firm", template="invoice_reminder_firm"))

    async with notifications.client(api_key) as client:
        row = await _finished(client, wait_for, invoice.id)
        await asyncio.sleep(1.0)
        assert len(await _log(client, invoice.id)) == 1
        fetched = (await client.get(f"/v1/messages/{row['id']}")).json()
    texts = notifications.sms.messages(to=phone)
    assert len(texts) == 1
    [text] = texts
    expected = (f"Acme Cloud: invoice {number} for $1,623.75 is overdue since March 31, 2026. Please pay it now. "
                f"Pay: {invoice.hosted_invoice_url}")
    assert text["body"] == expected and text["from"] == "+15005550006"
    assert 160 < len(expected) <= 2 * 153  # the invoice page's signed link makes it two parts
    assert text["segments"] == 2 and text["encoding"] == "GSM-7" and text["sid"].startswith("SM")
    assert text["received_at"]

    assert row["status"] == "sent" and row["object"] == "sms_message" and row["id"].startswith("sms_")
    assert row["to"] == [phone] and row["body"] == expected and row["segments"] == 2 and row["attempts"] == 1
    assert row["encoding"] == "GSM-7"
    assert (row["template"], row["step"], row["source"]) == ("invoice_reminder_firm", "v1:day_7", "dunning")
    assert row["provider"]["name"] == "twilio" and row["provider"]["id"] == text["sid"]
    assert row["provider"]["status"] == "queued" and row["provider"]["answer"]["num_segments"] == "2"
    assert fetched == row

    async def announced():
        found = [e for e in await read_events("invoice.reminder_sent") if e.aggregate_id == invoice.id]
        return found if len(found) >= 2 else None
    events = await wait_for(announced, timeout=30)
    by_channel = {e.data["channel"]: e for e in events}
    assert set(by_channel) == {"sms", "email"} and len(events) == 2
    sms = by_channel["sms"].data
    assert (sms["step"], sms["source"], sms["recipients"], sms["message_id"]) == (
        "v1:day_7", "dunning", [phone], row["id"])
    assert sorted(e.aggregate_version for e in events) == [1, 2]  # one count of reminders, both channels


async def test_no_sms_without_consent_or_phone(notifications, invoicing, publish, wait_for):
    org_id, api_key = await invoicing.create_org("Quiet Co")
    phone = _phone()
    no_consent = snapshot(org_id, phone=phone, sms_opt_in=False)
    no_phone = snapshot(org_id, phone=None, sms_opt_in=True)
    for invoice in (no_consent, no_phone):
        await publish(invoice_issued(invoice))
        await publish(reminder_due(invoice, channel="sms", tone="gentle", template="invoice_reminder"))
    async with notifications.client(api_key) as client:
        refused = await _finished(client, wait_for, no_consent.id)
        missing = await _finished(client, wait_for, no_phone.id)
    assert (refused["status"], refused["skipped_reason"], refused["to"]) == ("skipped", "no_sms_consent", [phone])
    assert (missing["status"], missing["skipped_reason"], missing["to"]) == ("skipped", "no_phone", [])
    assert refused["body"] is None and refused["provider"] is None
    assert notifications.sms.messages(to=phone) == []


async def test_consent_withdrawn_after_approval_holds_for_invoices_issued_before(notifications, invoicing, publish,
                                                                                  wait_for):
    """The invoice's snapshot says the customer agreed (as they had at approval); they withdrew consent since
    (customer.updated): no SMS. A newer version that agrees again lets the next one go."""
    from duely_contracts.events import CustomerUpdated
    from tests.notifications.notification_events import envelope

    org_id, api_key = await invoicing.create_org("Consent Co")
    phone = _phone()
    invoice = snapshot(org_id, phone=phone, sms_opt_in=True)
    customer = invoice.customer
    withdrawn = CustomerUpdated(**{**customer.model_dump(), "sms_opt_in": False}, organization_id=org_id)
    await publish(envelope("customer.updated", withdrawn, organization_id=org_id, aggregate_id=customer.id, version=3))
    stale = CustomerUpdated(**{**customer.model_dump(), "sms_opt_in": True}, organization_id=org_id)
    await publish(envelope("customer.updated", stale, organization_id=org_id, aggregate_id=customer.id, version=2))
    await publish(invoice_issued(invoice))

    async def consent_known():  # the customer's newest version reached the read model
        from duely_notifications.sms import repository as sms_repo
        async with notifications.app.state.runtime.db.transaction() as session:
            contact = await sms_repo.contact_of(session, org_id, customer.id)
            return contact is not None and contact.version == 3
    await wait_for(consent_known, timeout=30)
    await publish(reminder_due(invoice, channel="sms", tone="gentle", template="invoice_reminder"))
    async with notifications.client(api_key) as client:
        refused = await _finished(client, wait_for, invoice.id)
    assert (refused["status"], refused["skipped_reason"]) == ("skipped", "no_sms_consent")
    assert notifications.sms.messages(to=phone) == []


async def test_the_providers_refusal_is_in_the_log_and_a_provider_failure_is_retried(
        notifications, invoicing, publish, wait_for):
    org_id, api_key = await invoicing.create_org("Bounce Co")
    invalid = snapshot(org_id, phone="+15005550001", sms_opt_in=True)  # Twilio's magic invalid number: 21211
    flaky = snapshot(org_id, phone="+15005550500", sms_opt_in=True)     # the catcher fails its first attempt
    for invoice in (invalid, flaky):
        await _issued(publish, notifications, api_key, wait_for, invoice)
        await publish(reminder_due(invoice, channel="sms", tone="gentle", template="invoice_reminder"))
    async with notifications.client(api_key) as client:
        refused = await _finished(client, wait_for, invalid.id)
        retried = await _finished(client, wait_for, flaky.id)
    assert refused["status"] == "failed" and refused["attempts"] == 1  # a refusal: sending it again can't help
    assert "21211" in refused["last_error"] and "+15005550001" in refused["last_error"]
    answer = refused["provider"]["answer"]
    assert (answer["code"], answer["status"]) == (21211, 400) and "not a valid phone number" in answer["message"]

    assert retried["status"] == "sent" and retried["attempts"] == 2  # a 500 first, then taken
    assert retried["provider"]["status"] == "queued"
    [text] = notifications.sms.messages(to="+15005550500")
    assert text["sid"] == retried["provider"]["id"]


async def test_finished_sms_past_the_messages_window_are_purged(notifications):
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import insert, select

    from duely_notifications.models import SmsMessage
    runtime = notifications.app.state.runtime
    now = datetime.now(timezone.utc)

    def sms(status: str, age_days: int) -> dict:
        sms_id = f"sms_{uuid.uuid4().hex[:24]}"
        return {"id": sms_id, "organization_id": "org_r", "idempotency_key": sms_id, "template": "invoice_reminder",
                "invoice_id": "in_r", "facts": {}, "status": status, "attempts": 1, "created_at": now - timedelta(days=age_days),
                "next_attempt_at": now + timedelta(days=365)}
    rows = {"old_sent": sms("sent", 91), "old_pending": sms("pending", 365), "recent": sms("skipped", 89)}
    async with runtime.db.transaction() as session:
        await session.execute(insert(SmsMessage), list(rows.values()))
    deleted = await runtime.retention.purge_once()
    assert deleted["sms_messages"] >= 1
    async with runtime.db.transaction() as session:
        kept = set((await session.execute(select(SmsMessage.id))).scalars())
    assert rows["old_sent"]["id"] not in kept and {rows["old_pending"]["id"], rows["recent"]["id"]} <= kept
