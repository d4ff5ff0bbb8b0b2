"""The logs of issue #12 on the real notifications service, broker, Postgres, SMTP and SMS catchers:
GET /v1/messages filtered by customer, invoice, channel and status with the provider's answer, paged; GET /v1/events,
the organization's events as notifications received them (never one carrying a link), filtered, paged, pruned by
retention; bad parameters answered 400 naming the parameter."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from duely_contracts import Envelope
from duely_contracts.events import PortalLinkRequested

from tests.notifications.notification_events import invoice_issued, invoice_paid, payment_failed, reminder_due, snapshot


def _customer_invoice(org_id: str, customer_id: str, phone: str):
    invoice = snapshot(org_id, phone=phone, sms_opt_in=True, customer_email=f"{customer_id}@example.test", cc=())
    return invoice.model_copy(update={"customer": invoice.customer.model_copy(update={"id": customer_id})})


async def _get(client, path: str, **params) -> dict:
    response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def _ids(client, path: str, **params) -> list[str]:
    return [row["id"] for row in (await _get(client, path, **params))["data"]]


async def _walk(client, path: str, **params) -> list[str]:
    """Every page of one row, following starting_after; has_more is true on all but the last."""
    seen, after = [], None
    while True:
        page = await _get(client, path, limit=1, **params, **({"starting_after": after} if after else {}))
        seen += [row["id"] for row in page["data"]]
        if not page["has_more"]:
            return seen
        after = page["data"][-1]["id"]
        assert len(seen) < 50


async def _bad(client, path: str, params: dict, param: str) -> None:
    response = await client.get(path, params=params)
    assert response.status_code == 400, (params, response.text)
    assert response.json()["error"]["param"] == param, (params, response.json())


async def test_the_delivery_log_filters_by_customer_invoice_channel_and_status(notifications, invoicing, publish,
                                                                              wait_for):
    org_id, api_key = await invoicing.create_org("Logs Co")
    _, other_key = await invoicing.create_org("Other Logs Co")
    ada, bob, cyd = (f"cus_{name}_{uuid.uuid4().hex[:6]}" for name in ("ada", "bob", "cyd"))
    refused = _customer_invoice(org_id, ada, "+15005550001")  # Twilio's magic invalid number: refused, 21211
    taken = _customer_invoice(org_id, bob, f"+1415{uuid.uuid4().int % 10_000_000:07d}")
    async with notifications.client(api_key) as client, notifications.client(other_key) as other:
        for invoice in (refused, taken):
            await publish(invoice_issued(invoice))
            await wait_for(lambda: _ids(client, "/v1/messages", invoice_id=invoice.id), timeout=30)
            await publish(reminder_due(invoice, channel="sms", tone="gentle", template="invoice_reminder"))

        async def all_finished():
            rows = (await _get(client, "/v1/messages"))["data"]
            return rows if len(rows) == 4 and all(row["status"] != "pending" for row in rows) else None
        rows = {(row["customer_id"], row["channel"]): row for row in await wait_for(all_finished, timeout=60)}

        # Each shows its recipient, kind, status and the provider's answer.
        email = rows[(ada, "email")]
        assert (email["kind"], email["template"], email["status"], email["to"]) == (
            "invoice_issued", "invoice_issued", "sent", [f"{ada}@example.test"])
        assert email["provider_response"].startswith("250")
        failed = rows[(ada, "sms")]
        assert (failed["kind"], failed["status"], failed["to"]) == ("invoice_reminder", "failed", ["+15005550001"])
        assert failed["provider"]["answer"]["code"] == 21211 and "21211" in failed["last_error"]
        sent = rows[(bob, "sms")]
        assert sent["status"] == "sent" and sent["provider"]["status"] == "queued" and sent["provider"]["id"]

        newest_first = await _ids(client, "/v1/messages")
        assert set(await _ids(client, "/v1/messages", customer_id=ada)) == {email["id"], failed["id"]}
        assert set(await _ids(client, "/v1/messages", invoice_id=taken.id)) == {rows[(bob, "email")]["id"], sent["id"]}
        assert set(await _ids(client, "/v1/messages", channel="sms")) == {failed["id"], sent["id"]}
        assert set(await _ids(client, "/v1/messages", channel="email")) == {email["id"], rows[(bob, "email")]["id"]}
        assert await _ids(client, "/v1/messages", status="failed") == [failed["id"]]
        assert await _ids(client, "/v1/messages", customer_id=bob, channel="email", status="sent") == [
            rows[(bob, "email")]["id"]]
        assert await _ids(client, "/v1/messages", customer_id=ada, status="skipped") == []
        assert await _walk(client, "/v1/messages") == newest_first
        assert await _walk(client, "/v1/messages", channel="sms") == [i for i in newest_first
                                                                      if i in {failed["id"], sent["id"]}]

        # Another organization sees none of it, and may not page from its messages.
        assert await _ids(other, "/v1/messages", customer_id=ada) == []
        await _bad(other, "/v1/messages", {"starting_after": email["id"]}, "starting_after")
        for params, param in [({"channel": "fax"}, "channel"), ({"status": "bounced"}, "status"),
                              ({"limit": 0}, "limit"), ({"limit": 101}, "limit"),
                              ({"starting_after": "msg_nope"}, "starting_after"),
                              ({"customer_id": "c" * 65}, "customer_id")]:
            await _bad(client, "/v1/messages", params, param)

        # A reminder read before its invoice (another topic) learns the customer once the invoice arrives.
        late = _customer_invoice(org_id, cyd, f"+1415{uuid.uuid4().int % 10_000_000:07d}")
        await publish(reminder_due(late, channel="email"))
        [early] = await wait_for(lambda: _rows(client, invoice_id=late.id), timeout=30)
        assert early["customer_id"] is None
        await publish(invoice_issued(late))

        async def learned():
            return set(await _ids(client, "/v1/messages", customer_id=cyd)) >= {early["id"]}
        await wait_for(learned, timeout=30)


async def _rows(client, **params) -> list[dict]:
    return (await _get(client, "/v1/messages", **params))["data"]


def _link_requested(org_id: str) -> Envelope:
    event = PortalLinkRequested(customer_id="cus_portal", email=f"anna+{uuid.uuid4().hex[:8]}@example.test",
                                customer_name="Anna", url=f"http://127.0.0.1:8000/portal/login/{uuid.uuid4().hex}",
                                expires_at=datetime(2099, 12, 1, tzinfo=timezone.utc), requested_by="merchant",
                                organization_name="Events Co")
    return Envelope(type="portal.link_requested", organization_id=org_id, aggregate_id="cus_portal",
                    aggregate_version=1, correlation_id=str(uuid.uuid4()), data=event.model_dump(mode="json"))


async def test_the_events_log_lists_what_notifications_received_for_the_organization(notifications, invoicing,
                                                                                     publish, wait_for):
    org_id, api_key = await invoicing.create_org("Events Co")
    other_org, other_key = await invoicing.create_org("Other Events Co")
    first, second = snapshot(org_id), snapshot(org_id)
    paid = first.model_copy(update={"status": "paid", "amount_paid": first.total, "amount_due": 0, "version": 3})
    published = [invoice_issued(first), invoice_paid(paid, "pay_1"), invoice_issued(second), payment_failed(second)]
    async with notifications.client(api_key) as client, notifications.client(other_key) as other:
        # The organization's own first event (invoicing published it), then ours one at a time: the log's
        # order is the order received.
        [created] = await wait_for(lambda: _ids(client, "/v1/events", type="organization.created"), timeout=30)
        for envelope in published:
            await publish(envelope)
            await wait_for(lambda: _has(client, envelope.id), timeout=30)
        elsewhere = invoice_issued(snapshot(other_org))
        await publish(elsewhere)
        await wait_for(lambda: _has(other, elsewhere.id), timeout=30)

        page = await _get(client, "/v1/events")
        assert page["object"] == "list" and page["has_more"] is False
        everything = [envelope.id for envelope in reversed(published)] + [created]
        assert [event["id"] for event in page["data"]] == everything
        assert page["data"][-1]["type"] == "organization.created" and page["data"][-1]["aggregate_id"] == org_id
        shown, sent = page["data"][-2], published[0]
        assert (shown["object"], shown["type"], shown["aggregate_id"], shown["aggregate_type"]) == (
            "event", "invoice.issued", first.id, "invoice")
        assert datetime.fromisoformat(shown["occurred_at"]) == sent.occurred_at
        assert shown["data"] == sent.data and datetime.fromisoformat(shown["received_at"]).tzinfo is not None

        assert await _ids(client, "/v1/events", type="invoice.paid") == [published[1].id]
        assert await _ids(client, "/v1/events", aggregate_id=first.id) == [published[1].id, published[0].id]
        assert await _ids(client, "/v1/events", aggregate_id=second.id, type="invoice.issued") == [published[2].id]
        assert await _walk(client, "/v1/events") == everything
        assert await _walk(client, "/v1/events", aggregate_id=second.id) == [published[3].id, published[2].id]
        assert (await _ids(other, "/v1/events"))[0] == elsewhere.id
        assert not set(await _ids(other, "/v1/events")) & set(everything)

        # A redelivered event is received once; an event carrying a sign-in link is handled but never listed.
        await publish(published[0])
        link = _link_requested(org_id)
        await publish(link)
        witness = invoice_issued(snapshot(org_id))
        await publish(witness)
        await wait_for(lambda: _has(client, witness.id), timeout=30)
        await wait_for(lambda: _portal_email(client), timeout=30)  # the link was consumed (its email is queued)
        listed = await _ids(client, "/v1/events", limit=100)
        assert link.id not in listed and listed.count(published[0].id) == 1
        assert listed[0] == witness.id

        for params, param in [({"type": "portal.link_requested"}, "type"), ({"type": "invoice.nope"}, "type"),
                              ({"limit": 0}, "limit"), ({"limit": 101}, "limit"),
                              ({"starting_after": "evt_nope"}, "starting_after")]:
            await _bad(client, "/v1/events", params, param)
        await _bad(other, "/v1/events", {"starting_after": published[0].id}, "starting_after")


async def _has(client, event_id: str) -> bool:
    return event_id in await _ids(client, "/v1/events", limit=100)


async def _portal_email(client) -> bool:
    return any(row["kind"] == "portal_link" for row in await _rows(client, channel="email"))


async def test_received_events_past_their_window_are_purged(notifications):
    from sqlalchemy import insert, select

    from duely_notifications.config import Settings
    from duely_notifications.models import ReceivedEvent
    assert Settings(database_url="sqlite+aiosqlite://").retention_events_days == 30
    runtime = notifications.app.state.runtime
    now = datetime.now(timezone.utc)

    def event(age_days: float) -> dict:
        return {"id": str(uuid.uuid4()), "organization_id": "org_retention", "type": "invoice.paid",
                "aggregate_type": "invoice", "aggregate_id": "in_r", "occurred_at": now - timedelta(days=age_days),
                "received_at": now - timedelta(days=age_days), "data": {}}
    rows = {"old": event(31), "recent": event(29)}
    async with runtime.db.transaction() as session:
        await session.execute(insert(ReceivedEvent), list(rows.values()))
    deleted = await runtime.retention.purge_once()
    assert deleted["received_events"] >= 1
    async with runtime.db.transaction() as session:
        kept = set((await session.execute(select(ReceivedEvent.id).where(
            ReceivedEvent.organization_id == "org_retention"))).scalars())
    assert kept == {rows["recent"]["id"]}
