"""Webhook endpoints and signed deliveries, verified by a local Standard Webhooks receiver
that refuses every event's first attempt (so each delivery must be retried)."""

from __future__ import annotations

import asyncio
import base64
import uuid

from duely_contracts.events import InvoiceVoided
from tests.notifications.notification_events import envelope, invoice_issued, invoice_paid, payment_failed, snapshot


async def _create_endpoint(client, url: str, events: list[str]) -> dict:
    response = await client.post("/v1/webhook_endpoints", json={"url": url, "events": events,
                                                                "description": "test receiver"})
    assert response.status_code == 201, response.text
    return response.json()


async def test_subscribed_events_are_delivered_signed_once_each_after_a_retry(
        notifications, invoicing, webhook_receiver, publish, read_events, wait_for):
    org_id, api_key = await invoicing.create_org("Hooks Inc")
    receiver = webhook_receiver
    all_name, paid_name = f"all-{uuid.uuid4().hex[:6]}", f"paid-{uuid.uuid4().hex[:6]}"
    async with notifications.client(api_key) as client:
        everything = await _create_endpoint(client, receiver.endpoint_url(all_name), ["*"])
        only_paid = await _create_endpoint(client, receiver.endpoint_url(paid_name), ["invoice.paid"])
    assert everything["id"].startswith("we_") and everything["object"] == "webhook_endpoint"
    assert everything["events"] == ["*"] and everything["url"] == receiver.endpoint_url(all_name)
    assert everything["secret"].startswith("whsec_")
    assert len(base64.b64decode(everything["secret"][len("whsec_"):])) >= 24
    receiver.secrets[all_name] = everything["secret"]
    receiver.secrets[paid_name] = only_paid["secret"]

    invoice = snapshot(org_id, number=f"INV-2026-{uuid.uuid4().hex[:5].upper()}")
    paid = snapshot(org_id, invoice_id=invoice.id, number=invoice.number, status="paid", version=4)
    issued_event, failed_event = invoice_issued(invoice), payment_failed(invoice)
    paid_event = invoice_paid(paid, "pay_1")
    voided_event = envelope("invoice.voided", InvoiceVoided(invoice=invoice), organization_id=org_id,
                            aggregate_id=invoice.id, version=3)  # not a webhook event: no delivery
    for event in (issued_event, failed_event, voided_event, paid_event):
        await publish(event)
        await publish(event)

    expected_all = {issued_event.id, failed_event.id, paid_event.id}

    async def all_accepted():
        return set(receiver.accepted_ids(all_name)) == expected_all and receiver.accepted_ids(paid_name)
    await wait_for(all_accepted, timeout=30)
    await asyncio.sleep(1.0)  # any duplicate delivery would arrive now

    assert sorted(receiver.accepted_ids(all_name)) == sorted(expected_all)  # exactly one per event id
    assert receiver.accepted_ids(paid_name) == [paid_event.id]
    assert receiver.rejected_signatures == 0
    for event_id in expected_all:
        assert receiver.attempts[(all_name, event_id)] == 2  # refused once, then accepted

    bodies = {body["id"]: body for body in receiver.accepted[all_name]}
    issued_body = bodies[issued_event.id]
    assert issued_body["type"] == "invoice.issued"
    assert issued_body["organization_id"] == org_id
    assert issued_body["data"]["invoice"]["id"] == invoice.id
    assert issued_body["data"]["invoice"]["total"] == 162375
    assert issued_body["created_at"]
    assert bodies[failed_event.id]["data"]["failure_code"] == "card_declined"
    headers = receiver.headers[(all_name, issued_event.id)]
    assert headers["webhook-id"] == issued_event.id
    assert headers["webhook-signature"].startswith("v1,")
    assert headers["content-type"] == "application/json"

    async with notifications.client(api_key) as client:
        response = await client.get(f"/v1/webhook_endpoints/{everything['id']}/deliveries")
    deliveries = response.json()["data"]
    assert response.status_code == 200
    assert {d["event_id"] for d in deliveries} == expected_all
    assert all(d["status"] == "succeeded" and d["attempts"] == 2 and d["last_status_code"] == 200
               for d in deliveries)

    async def outcomes():
        found = [e for e in await read_events("webhook.delivery_outcome")
                 if e.data["endpoint_id"] in (everything["id"], only_paid["id"])]
        return found if len(found) >= 4 else None
    outcome_events = await wait_for(outcomes, timeout=20)
    assert len(outcome_events) == 4 and all(e.data["succeeded"] for e in outcome_events)


async def test_failing_endpoint_is_retried_with_backoff_then_marked_failed(
        notifications, invoicing, publish, wait_for):
    org_id, api_key = await invoicing.create_org("Down Inc")
    async with notifications.client(api_key) as client:
        # Nothing listens there: every attempt fails with a connection error.
        dead = await _create_endpoint(client, "http://127.0.0.1:9/hooks", ["invoice.issued"])
        await publish(invoice_issued(snapshot(org_id)))

        async def finished():
            rows = (await client.get(f"/v1/webhook_endpoints/{dead['id']}/deliveries")).json()["data"]
            return rows if rows and rows[0]["status"] != "pending" else None
        rows = await wait_for(finished, timeout=30)
    assert rows[0]["status"] == "failed"
    assert rows[0]["attempts"] == len(notifications.settings.webhook_backoff_s) + 1
    assert rows[0]["last_error"]


async def test_webhook_endpoint_crud_and_bad_input(notifications, invoicing):
    _, api_key = await invoicing.create_org("Crud Inc")
    _, other_key = await invoicing.create_org("Elsewhere Inc")
    async with notifications.client(api_key) as client, notifications.client(other_key) as other:
        created = await _create_endpoint(client, "https://example.com/hooks", ["invoice.paid", "invoice.viewed"])
        fetched = await client.get(f"/v1/webhook_endpoints/{created['id']}")
        assert fetched.status_code == 200
        assert "secret" not in fetched.json()
        assert fetched.json()["events"] == ["invoice.paid", "invoice.viewed"]
        listing = (await client.get("/v1/webhook_endpoints")).json()
        assert [e["id"] for e in listing["data"]] == [created["id"]]
        assert all("secret" not in e for e in listing["data"])

        assert (await other.get(f"/v1/webhook_endpoints/{created['id']}")).status_code == 404
        assert (await other.delete(f"/v1/webhook_endpoints/{created['id']}")).status_code == 404
        assert (await other.get("/v1/webhook_endpoints")).json()["data"] == []

        bad_cases = [
            ({"url": "ftp://example.com/x", "events": ["invoice.paid"]}, "url"),
            ({"url": "not a url", "events": ["invoice.paid"]}, "url"),
            ({"url": "https://example.com", "events": ["invoice.paid", "invoice.exploded"]}, "events[1]"),
            ({"url": "https://example.com", "events": ["payment.succeeded"]}, "events[0]"),
            ({"url": "https://example.com", "events": []}, "events"),
            ({"url": "https://example.com"}, "events"),
            ({"events": ["invoice.paid"]}, "url"),
            ({"url": "https://example.com", "events": "invoice.paid"}, "events"),
        ]
        for body, param in bad_cases:
            response = await client.post("/v1/webhook_endpoints", json=body)
            assert response.status_code == 400, (body, response.text)
            error = response.json()["error"]
            assert error["param"] == param, (body, error)
            assert error["type"] == "invalid_request_error" and error["message"]
        malformed = await client.post("/v1/webhook_endpoints", content=b"{nope",
                                      headers={"content-type": "application/json"})
        assert malformed.status_code == 400 and malformed.json()["error"]["code"] == "invalid_json"
        assert len((await client.get("/v1/webhook_endpoints")).json()["data"]) == 1  # nothing written

        deleted = await client.delete(f"/v1/webhook_endpoints/{created['id']}")
        assert deleted.status_code == 200 and deleted.json() == {
            "id": created["id"], "object": "webhook_endpoint", "deleted": True}
        assert (await client.get(f"/v1/webhook_endpoints/{created['id']}")).status_code == 404

    async with notifications.client() as anonymous:
        response = await anonymous.get("/v1/webhook_endpoints")
    assert response.status_code == 401 and response.json()["error"]["code"] == "api_key_missing"
    async with notifications.client("sk_live_forged") as forged:
        response = await forged.post("/v1/webhook_endpoints", json={"url": "https://e.com", "events": ["*"]})
    assert response.status_code == 401
