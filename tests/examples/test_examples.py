"""examples/ run for real: the FastAPI webhook receiver behind a real notifications service (signed deliveries,
a replay dropped by webhook-id, a forged request refused, a secret roll it survives), and the aiokafka consumer
reading invoice.paid from the broker (a redelivered event handled once)."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from duely_devstack.net import free_port
from examples.kafka_invoice_paid import consume
from examples.webhook_receiver import create_app
from tests.notifications.notification_events import invoice_paid, snapshot
from tests.notifications.notification_stack import PORTS


async def test_the_fastapi_receiver_verifies_signatures_and_drops_duplicates(notifications, invoicing, serve,
                                                                             publish, wait_for):
    org_id, api_key = await invoicing.create_org("Example Receiver Inc")
    port = free_port(*PORTS)
    url = f"http://127.0.0.1:{port}/webhooks"
    async with notifications.client(api_key) as client:
        created = await client.post("/v1/webhook_endpoints", json={"url": url, "events": ["invoice.paid"]})
        endpoint = created.json()
        app = create_app(endpoint["secret"])
        async with serve(app, port=port):
            paid = invoice_paid(snapshot(org_id, status="paid", version=4), "pay_example")
            await publish(paid)

            async def handled(count: int):
                return app.state.handled if len(app.state.handled) >= count else None
            events = await wait_for(lambda: handled(1), timeout=30)
            assert events[0]["id"] == paid.id and events[0]["type"] == "invoice.paid"
            assert events[0]["data"]["invoice"]["status"] == "paid"

            # A replay resends the same webhook-id: accepted (2xx) and dropped.
            delivery = (await client.get(f"/v1/webhook_endpoints/{endpoint['id']}/deliveries")).json()["data"][0]
            replay = await client.post(f"/v1/webhook_endpoints/{endpoint['id']}/deliveries/{delivery['id']}/replay")
            assert replay.status_code == 200, replay.text

            async def replayed():
                row = (await client.get(f"/v1/webhook_endpoints/{endpoint['id']}/deliveries/{delivery['id']}")).json()
                return row if row["status"] == "succeeded" and row["replays"] == 1 else None
            row = await wait_for(replayed, timeout=30)
            assert [a["status_code"] for a in row["attempt_log"]] == [200, 200]
            assert [e["id"] for e in app.state.handled] == [paid.id]

            async with httpx.AsyncClient() as outsider:
                forged = await outsider.post(url, content=b'{"type":"invoice.paid"}', headers={
                    "webhook-id": "msg_forged", "webhook-timestamp": "1700000000",
                    "webhook-signature": "v1,Zm9yZ2Vk"})
            assert forged.status_code == 400

            # The receiver still holds the old secret after a roll: the second signature keeps it working.
            await client.post(f"/v1/webhook_endpoints/{endpoint['id']}/roll_secret", json={"expires_in_s": 600})
            await client.patch(f"/v1/webhook_endpoints/{endpoint['id']}", json={"events": ["*"]})
            test = (await client.post(f"/v1/webhook_endpoints/{endpoint['id']}/test")).json()
            events = await wait_for(lambda: handled(2), timeout=30)
    assert [e["id"] for e in events] == [paid.id, test["event_id"]]


async def test_the_kafka_consumer_reads_invoice_paid_once(settings_env, broker, publish, wait_for):
    org_id = f"org_{uuid.uuid4().hex[:12]}"
    handled: list[dict] = []

    async def record(envelope: dict) -> None:
        if envelope["organization_id"] == org_id:
            handled.append(envelope)

    stop = asyncio.Event()
    task = asyncio.create_task(consume(broker, f"example-erp-{uuid.uuid4().hex[:6]}", record, stop))
    try:
        paid = invoice_paid(snapshot(org_id, number="INV-2026-00042", status="paid", version=4), "pay_kafka")
        await publish(paid)
        await publish(paid)  # at least once: the same event again

        async def received():
            return handled or None
        await wait_for(received, timeout=30)
        await asyncio.sleep(1.0)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
    assert [e["id"] for e in handled] == [paid.id]
    assert handled[0]["type"] == "invoice.paid" and handled[0]["data"]["invoice"]["number"] == "INV-2026-00042"
    assert handled[0]["data"]["invoice"]["amount_due"] == 0
