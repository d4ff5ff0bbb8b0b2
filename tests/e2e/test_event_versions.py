"""A consumer that follows the envelope's rule — keep the newest aggregate_version per
(aggregate_type, aggregate_id), ignore the rest — loses none of a journey's events."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict

from aiokafka import AIOKafkaConsumer

from duely_contracts import Envelope, all_topics
from tests.conftest import wait_for
from tests.e2e.test_journey import _paid, create_invoice


async def journey_events(bootstrap: str, invoice_id: str, quiet_s: float = 2.0) -> list[Envelope]:
    consumer = AIOKafkaConsumer(*all_topics(), bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    found: list[Envelope] = []
    try:
        loop = asyncio.get_running_loop()
        last_new = loop.time()
        while loop.time() - last_new < quiet_s:
            for messages in (await consumer.getmany(timeout_ms=300)).values():
                for message in messages:
                    envelope = Envelope.from_bytes(message.value)
                    if invoice_id in message.value.decode():
                        found.append(envelope)
                        last_new = loop.time()
    finally:
        await consumer.stop()
    return found


def newest_wins(events: list[Envelope]) -> tuple[dict, list[Envelope]]:
    """The documented consumer: returns its state and the events it dropped as stale."""
    applied: dict[tuple[str, str], int] = {}
    dropped = []
    for event in events:
        key = (event.aggregate_type, event.aggregate_id)
        if event.aggregate_version <= applied.get(key, 0):
            dropped.append(event)
            continue
        applied[key] = event.aggregate_version
    return applied, dropped


async def test_no_event_of_a_journey_is_dropped_by_a_newest_version_consumer(api, platform, endpoint):
    email = f"versions+{uuid.uuid4().hex[:8]}@example.com"
    draft = await create_invoice(api, email=email)
    invoice = (await api.post(f"/v1/invoices/{draft['id']}/approve")).json()

    async def notifications_know_it():
        return (await api.get("/v1/messages", params={"invoice_id": invoice["id"]})).json()["data"]
    await wait_for(notifications_know_it)
    assert (await api.post(f"/v1/invoices/{invoice['id']}/remind")).status_code == 202
    again = await api.post(f"/v1/invoices/{invoice['id']}/remind")  # one reminder per invoice per day
    assert again.status_code == 429 and again.json()["error"]["code"] == "reminder_throttled"

    async def reminders_sent():  # before paying: a reminder still queued for a paid invoice is skipped
        rows = (await api.get("/v1/messages", params={"invoice_id": invoice["id"]})).json()["data"]
        return [r for r in rows if r["template"].startswith("invoice_reminder") and r["status"] == "sent"]
    await wait_for(reminders_sent, timeout=60)
    declined = await api.post(f"/v1/invoices/{invoice['id']}/pay", json={"payment_method": "pm_card_chargeDeclined"})
    assert declined.status_code == 402
    paid = await api.post(f"/v1/invoices/{invoice['id']}/pay", json={"payment_method": "pm_card_visa"})
    assert paid.status_code == 200, paid.text
    await wait_for(lambda: _paid(api, invoice["id"]))

    async def all_published():
        events = await journey_events(platform.config.bootstrap, invoice["id"])
        types = [e.type for e in events]
        return events if types.count("invoice.reminder_sent") == 1 and "invoice.paid" in types else None
    events = await wait_for(all_published, timeout=60)
    events = list({e.id: e for e in events}.values())  # at-least-once: the same id twice is one event

    by_aggregate = defaultdict(list)
    for event in events:
        by_aggregate[(event.aggregate_type, event.aggregate_id)].append(event)
    for key, group in by_aggregate.items():
        versions = [e.aggregate_version for e in sorted(group, key=lambda e: e.occurred_at)]
        assert len(set(versions)) == len(versions), f"{key}: two events share a version: {versions}"
        assert versions == sorted(versions), f"{key}: versions go back in time: {versions}"

    # Delivered in publish order per topic, interleaved any way across topics: nothing is stale.
    in_time_order = sorted(events, key=lambda e: e.occurred_at)
    _, dropped = newest_wins(in_time_order)
    assert dropped == []
    types = {e.type for e in events}
    assert {"invoice.issued", "invoice.payment_failed", "payment.succeeded", "invoice.paid",
            "invoice.reminder_sent"} <= types
