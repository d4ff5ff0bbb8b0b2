"""Webhook endpoints and signed deliveries, verified by a local Standard Webhooks receiver
that refuses every event's first attempt (so each delivery must be retried); the outbound
guard on endpoint URLs; the deliveries log; a slow endpoint next to a prompt one."""

from __future__ import annotations

import asyncio
import base64
import uuid
from datetime import datetime, timezone

from duely_contracts.events import InvoiceVoided
from duely_notifications import repository as repo
from duely_notifications.models import WebhookEndpoint
from duely_notifications.service import new_webhook_secret
from tests.loopback_http import drip, http_server, respond
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


async def test_webhook_urls_reaching_internal_or_platform_addresses_are_refused(notifications, invoicing):
    """The suite allows 127.0.0.0/8 (as `make run` does): other private ranges stay refused, and the
    platform's own services are refused in every spelling even inside the allowed range."""
    _, api_key = await invoicing.create_org("Probe Inc")
    invoicing_port = invoicing.url.rsplit(":", 1)[1]
    broker_port = notifications.settings.kafka_bootstrap_servers.rsplit(":", 1)[1]
    smtp_port = notifications.settings.smtp_port
    refused = ["http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://10.0.0.1/",
               "http://[::ffff:169.254.169.254]/", "http://0.0.0.0:9000/",
               f"http://127.0.0.1:{invoicing_port}/internal/auth/verify", f"http://0x7f000001:{invoicing_port}/",
               f"http://2130706433:{invoicing_port}/", f"http://[::ffff:127.0.0.1]:{invoicing_port}/",
               f"http://localhost:{broker_port}/", f"http://127.0.0.1:{smtp_port}/"]
    async with notifications.client(api_key) as client:
        for url in refused:
            response = await client.post("/v1/webhook_endpoints", json={"url": url, "events": ["*"]})
            assert response.status_code == 400, (url, response.text)
            error = response.json()["error"]
            assert (error["param"], error["code"]) == ("url", "url_not_allowed"), (url, error)
            assert "may not reach" in error["message"]
        assert (await client.get("/v1/webhook_endpoints")).json()["data"] == []  # nothing written
        allowed = await client.post("/v1/webhook_endpoints", json={"url": "http://127.0.0.1:9000/hooks",
                                                                   "events": ["*"]})
    assert allowed.status_code == 201, allowed.text  # the README's local receiver


async def test_a_stored_endpoint_to_a_platform_service_is_refused_at_delivery(notifications, invoicing, publish,
                                                                             wait_for):
    """An endpoint saved before the guard existed (or a name that later resolves inward) is checked again
    before every delivery: nothing is sent, and the log says why."""
    org_id, api_key = await invoicing.create_org("Legacy Inc")
    now = datetime.now(timezone.utc)
    async with notifications.app.state.runtime.db.transaction() as session:
        await repo.insert_endpoint(session, WebhookEndpoint(
            id=f"we_{uuid.uuid4().hex[:20]}", organization_id=org_id, url=f"{invoicing.url}/internal/auth/verify",
            events=["*"], description="saved before the guard", secret=new_webhook_secret(), created_at=now,
            deleted_at=None))
    await publish(invoice_issued(snapshot(org_id)))
    async with notifications.client(api_key) as client:
        endpoint_id = (await client.get("/v1/webhook_endpoints")).json()["data"][0]["id"]

        async def finished():
            rows = (await client.get(f"/v1/webhook_endpoints/{endpoint_id}/deliveries")).json()["data"]
            return rows if rows and rows[0]["status"] == "failed" else None
        rows = await wait_for(finished, timeout=30)
    assert rows[0]["last_status_code"] is None
    assert rows[0]["last_error"] == ("refused: the url 127.0.0.1 is one of this platform's own services, "
                                     "which outbound calls may not reach")


async def test_the_delivery_log_keeps_the_status_not_the_response_body(notifications, invoicing, publish, wait_for):
    org_id, api_key = await invoicing.create_org("Leaky Inc")
    leaky = respond("500 Internal Server Error", b'{"db_password": "hunter2", "trace": "at /srv/app.py:12"}',
                    "content-type: application/json\r\n")
    async with http_server(leaky) as (_, port), notifications.client(api_key) as client:
        endpoint = await _create_endpoint(client, f"http://127.0.0.1:{port}/hooks", ["invoice.issued"])
        await publish(invoice_issued(snapshot(org_id)))

        async def attempted():
            rows = (await client.get(f"/v1/webhook_endpoints/{endpoint['id']}/deliveries")).json()["data"]
            return rows if rows and rows[0]["attempts"] >= 1 and rows[0]["last_error"] else None
        rows = await wait_for(attempted, timeout=30)
    assert rows[0]["last_status_code"] == 500
    assert rows[0]["last_error"] == "HTTP 500 Internal Server Error"
    assert "hunter2" not in str(rows)


async def test_control_characters_in_endpoint_fields_are_refused_by_name(notifications, invoicing):
    _, api_key = await invoicing.create_org("Control Inc")
    async with notifications.client(api_key) as client:
        for body, param in [
            ({"url": "https://example.com/h\u0000", "events": ["*"]}, "url"),
            ({"url": "https://example.com/h", "events": ["*"], "description": "a\u0000b"}, "description"),
            ({"url": "https://example.com/h", "events": ["*"], "description": "Q4\u001creport"}, "description"),
            ({"url": "https://example.com/h", "events": ["*"], "description": "next\u0085line"}, "description"),
            ({"url": "https://example.com/h", "events": ["invoice.paid\u0000"]}, "events[0]"),
        ]:
            response = await client.post("/v1/webhook_endpoints", json=body)
            assert response.status_code == 400, (body, response.text)
            assert response.json()["error"]["param"] == param
            assert "control characters" in response.json()["error"]["message"]
        assert (await client.get("/v1/webhook_endpoints")).json()["data"] == []
        fine = await client.post("/v1/webhook_endpoints", json={
            "url": "https://example.com/h", "events": ["*"], "description": "line one\n\tline two"})
    assert fine.status_code == 201 and fine.json()["description"] == "line one\n\tline two"


async def test_a_dripping_endpoint_does_not_hold_back_another_organizations_webhook(
        notifications, invoicing, publish, wait_for):
    """Organization A's endpoint sends its answer a byte a second; B's webhook, published while A's
    deliveries are stuck in it, still arrives at once; A's are cut at the deadline and retried."""
    org_a, key_a = await invoicing.create_org("Slow Inc")
    org_b, key_b = await invoicing.create_org("Prompt Inc")
    async with http_server(drip(1.0, head_too=True)) as (dripper, slow_port), \
            http_server(respond("204 No Content")) as (prompt, fast_port):
        async with notifications.client(key_a) as client:  # 3 endpoints × 6 events: over A's cap of 8 in flight
            slow, *_ = [await _create_endpoint(client, f"http://127.0.0.1:{slow_port}/hooks/{n}", ["invoice.issued"])
                        for n in range(3)]
        async with notifications.client(key_b) as client:
            await _create_endpoint(client, f"http://127.0.0.1:{fast_port}/hooks", ["invoice.issued"])
        for _ in range(6):
            await publish(invoice_issued(snapshot(org_a)))

        cap = notifications.settings.webhook_organization_concurrency

        async def stuck():  # A fills its whole share (more than one endpoint's cap of 4)...
            return len(dripper.requests) >= cap
        await wait_for(stuck, timeout=30)
        await asyncio.sleep(0.5)
        assert len(dripper.requests) == cap  # ...and no more: the rest of A's deliveries wait their turn
        published = asyncio.get_running_loop().time()
        await publish(invoice_issued(snapshot(org_b)))

        async def arrived():
            return prompt.requests  # only B's endpoint points there
        await wait_for(arrived, timeout=notifications.settings.webhook_timeout_s)
        waited = asyncio.get_running_loop().time() - published
        assert waited < 6, waited  # well before A's deliveries are cut off (10 s)

        async with notifications.client(key_a) as client:
            async def cut_off():
                rows = (await client.get(f"/v1/webhook_endpoints/{slow['id']}/deliveries")).json()["data"]
                return [r for r in rows if r["last_error"]] or None
            rows = await wait_for(cut_off, timeout=20)
    assert rows[0]["last_error"] == f"no complete response within {notifications.settings.webhook_timeout_s:g} s"
    assert rows[0]["last_status_code"] is None


async def test_every_webhook_event_of_payment_collection_reaches_its_subscribers(
        notifications, invoicing, webhook_receiver, publish, wait_for):
    """Each event type a merchant can subscribe to is delivered, including those that send no email."""
    from duely_contracts.events import AutopaySkipped, PaymentMethodChanged, PaymentProcessing
    from duely_contracts.models import InvoiceSummary, PaymentMethodRef

    org_id, api_key = await invoicing.create_org("Collect Hooks Inc")
    name = f"collect-{uuid.uuid4().hex[:6]}"
    types = ["payment.processing", "invoice.autopay_skipped", "payment_method.attached", "payment_method.updated",
             "payment_method.detached"]
    async with notifications.client(api_key) as client:
        endpoint = await _create_endpoint(client, webhook_receiver.endpoint_url(name), types)
    webhook_receiver.secrets[name] = endpoint["secret"]
    invoice = snapshot(org_id)
    summary = InvoiceSummary(id=invoice.id, number=invoice.number, organization_name=invoice.organization_name,
                             currency=invoice.currency, total=invoice.total, amount_due=invoice.amount_due,
                             customer=invoice.customer)
    now = datetime.now(timezone.utc)
    method = PaymentMethodRef(id="pm_hooks_1", organization_id=org_id, customer_id=invoice.customer.id,
                              type="sepa_debit", last4="3000", status="active", is_default=True)
    sent = [
        envelope("payment.processing", PaymentProcessing(
            attempt_id="payatt_1", invoice_id=invoice.id, amount=invoice.total, currency=invoice.currency,
            payment_method="pm_hooks_1", method_type="sepa_debit", started_at=now, invoice=summary),
            organization_id=org_id, aggregate_id=invoice.id, version=1),
        envelope("invoice.autopay_skipped", AutopaySkipped(
            invoice_id=invoice.id, reason="no_payment_method", message="Save a payment method for the customer.",
            skipped_at=now, invoice=summary), organization_id=org_id, aggregate_id=invoice.id, version=2),
    ] + [envelope(event_type, PaymentMethodChanged(payment_method=method), organization_id=org_id,
                  aggregate_id=method.id, version=version)
         for version, event_type in enumerate(("payment_method.attached", "payment_method.updated",
                                               "payment_method.detached"), start=1)]
    for event in sent:
        await publish(event)

    async def delivered():
        return set(webhook_receiver.accepted_ids(name)) == {event.id for event in sent}
    await wait_for(delivered, timeout=30)
    bodies = {body["type"]: body for body in webhook_receiver.accepted[name]}
    assert bodies["invoice.autopay_skipped"]["data"]["reason"] == "no_payment_method"
    assert bodies["payment_method.attached"]["data"]["payment_method"]["last4"] == "3000"


def test_notifications_consumes_every_webhook_event_a_merchant_can_subscribe_to(tmp_path):
    """A webhook event nobody fans out would be accepted on an endpoint and never delivered."""
    from duely_contracts.registry import WEBHOOK_EVENT_TYPES
    from duely_notifications.config import Settings
    from duely_notifications.main import build

    app = build(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/n.db"))
    assert set(WEBHOOK_EVENT_TYPES) <= set(app.state.runtime.consumers.routes)
