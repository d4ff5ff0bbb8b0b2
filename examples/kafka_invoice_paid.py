"""Another system reading Duely's `invoice.paid` from Kafka with aiokafka.

Each message is one event envelope (JSON): id, type, occurred_at, organization_id, aggregate_id,
aggregate_version, data (here `{"invoice": {...snapshot...}, "payment_id", "paid_at"}`). Delivery is at least
once: the envelope's id is the dedupe key. Offsets are committed after the event is handled.

Run: KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092 python examples/kafka_invoice_paid.py
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Awaitable, Callable

from aiokafka import AIOKafkaConsumer

TOPIC = "invoice.paid"


async def consume(bootstrap_servers: str, group_id: str, handle: Callable[[dict], Awaitable[None]],
                  stop: asyncio.Event | None = None) -> None:
    consumer = AIOKafkaConsumer(TOPIC, bootstrap_servers=bootstrap_servers, group_id=group_id,
                                enable_auto_commit=False, auto_offset_reset="earliest",
                                session_timeout_ms=6000, heartbeat_interval_ms=1000)
    seen: set[str] = set()  # in production: a table with a unique key, in the transaction of the handling
    await consumer.start()
    try:
        while not (stop and stop.is_set()):
            batches = await consumer.getmany(timeout_ms=200)
            for messages in batches.values():
                for message in messages:
                    envelope = json.loads(message.value)
                    if envelope["id"] not in seen:
                        await handle(envelope)
                        seen.add(envelope["id"])
            if batches:
                await consumer.commit()
    finally:
        await consumer.stop()


async def print_paid(envelope: dict) -> None:
    invoice = envelope["data"]["invoice"]
    print(f"{envelope['organization_id']}: invoice {invoice['number']} paid "
          f"({invoice['amount_paid']} {invoice['currency']}) at {envelope['data']['paid_at']}")


if __name__ == "__main__":
    asyncio.run(consume(os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
                        os.environ.get("KAFKA_GROUP_ID", "erp-invoice-paid"), print_paid))
