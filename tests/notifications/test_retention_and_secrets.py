"""Notifications keep what they must: finished emails and deliveries go after their window, pending ones
stay; a webhook secret shown once is never stored for an Idempotency-Key replay."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert, select

from duely_notifications.models import Message, WebhookDelivery


async def test_a_replayed_endpoint_creation_returns_it_without_the_secret(notifications, invoicing):
    _, api_key = await invoicing.create_org("Secret Keeper")
    body = {"url": "http://127.0.0.1:9/hooks", "events": ["invoice.issued"]}
    async with notifications.client(api_key) as client:
        headers = {"Idempotency-Key": f"endpoint-{uuid.uuid4().hex}"}
        first = await client.post("/v1/webhook_endpoints", json=body, headers=headers)
        again = await client.post("/v1/webhook_endpoints", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["secret"].startswith("whsec_")
    assert again.headers["Idempotent-Replayed"] == "true" and "secret" not in again.json()
    assert again.json()["id"] == first.json()["id"]
    runtime = notifications.app.state.runtime
    async with runtime.db.transaction() as session:
        stored = (await session.execute(select(runtime.tables.idempotency_keys.c.response_body))).scalars().all()
    assert not any(first.json()["secret"] in body for body in stored if body)


async def test_finished_emails_and_deliveries_past_their_window_are_purged(notifications):
    runtime = notifications.app.state.runtime
    now = datetime.now(timezone.utc)
    ids: dict[str, str] = {}

    def message(label: str, status: str, age: timedelta) -> dict:
        ids[label] = f"msg_{uuid.uuid4().hex[:24]}"
        return {"id": ids[label], "organization_id": "org_r", "idempotency_key": ids[label], "template": "t",
                "to": ["a@example.com"], "cc": [], "subject": "s", "text_body": "t", "html_body": "h",
                "invoice_id": None, "status": status, "attempts": 1, "next_attempt_at": now + timedelta(days=365),
                "last_error": None, "message_id_header": f"<{ids[label]}@x>", "created_at": now - age,
                "sent_at": None}

    def delivery(label: str, status: str, age: timedelta) -> dict:
        ids[label] = f"wd_{uuid.uuid4().hex[:24]}"
        return {"id": ids[label], "endpoint_id": "we_r", "organization_id": "org_r", "event_id": ids[label],
                "event_type": "invoice.issued", "payload": "{}", "status": status, "attempts": 1,
                "next_attempt_at": now + timedelta(days=365), "last_status_code": None, "last_error": None,
                "created_at": now - age, "completed_at": None}

    async with runtime.db.transaction() as session:
        await session.execute(insert(Message), [
            message("old_sent", "sent", timedelta(days=91)), message("old_failed", "failed", timedelta(days=91)),
            message("recent_sent", "sent", timedelta(days=89)),
            message("old_pending", "pending", timedelta(days=365))])
        await session.execute(insert(WebhookDelivery), [
            delivery("old_done", "succeeded", timedelta(days=31)), delivery("recent_done", "failed", timedelta(days=29)),
            delivery("old_pending_delivery", "pending", timedelta(days=365))])
    deleted = await runtime.retention.purge_once()
    assert deleted["messages"] >= 2 and deleted["webhook_deliveries"] >= 1
    async with runtime.db.transaction() as session:
        messages = set((await session.execute(select(Message.id))).scalars())
        deliveries = set((await session.execute(select(WebhookDelivery.id))).scalars())
    assert not {ids["old_sent"], ids["old_failed"]} & messages
    assert {ids["recent_sent"], ids["old_pending"]} <= messages
    assert ids["old_done"] not in deliveries and {ids["recent_done"], ids["old_pending_delivery"]} <= deliveries
