"""Dunning's requests to invoicing (issue #10) through the real broker and consumers: write an invoice off, pause or
cancel its subscription, issue a late fee invoice once per (invoice, period); and the internal endpoint dunning
reads live invoice states from (real Postgres + broker; each request waited for in the inbox)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import event

from duely_contracts import Envelope
from duely_contracts.events import InvoiceIssued, LateFeeDue, SubscriptionActionDue, UncollectibleDue
from duely_contracts.models import LateFeeSettings
from duely_invoicing.models import RUNTIME_TABLES, Invoice, LateFeeInvoice
from duely_runtime.auth import INTERNAL_HEADER
from duely_runtime.invoicing_client import InvoicingClient, InvoicingUnavailable

from tests.invoicing.collection_helpers import payment_envelope
from tests.invoicing.helpers import create_customer

NOW = datetime.now(timezone.utc)


def _envelope(event_type: str, organization_id: str, invoice_id: str, event) -> Envelope:
    return Envelope(type=event_type, organization_id=organization_id, aggregate_id=invoice_id, aggregate_version=1,
                    correlation_id=str(uuid.uuid4()), data=event.model_dump(mode="json"))


def uncollectible_due(organization_id: str, invoice_id: str) -> Envelope:
    return _envelope("dunning.uncollectible_due", organization_id, invoice_id, UncollectibleDue(
        invoice_id=invoice_id, timer_id=f"tmr_{invoice_id}_30", step="v1:day_30", fired_at=NOW))


def subscription_action_due(organization_id: str, invoice_id: str, subscription_id: str, action: str) -> Envelope:
    return _envelope("dunning.subscription_action_due", organization_id, invoice_id, SubscriptionActionDue(
        subscription_id=subscription_id, invoice_id=invoice_id, action=action, timer_id=f"tmr_{action}",
        step="v1:day_14", fired_at=NOW))


def late_fee_due(organization_id: str, invoice_id: str, period: int, **setting) -> Envelope:
    return _envelope("dunning.late_fee_due", organization_id, invoice_id, LateFeeDue(
        invoice_id=invoice_id, timer_id=f"tmr_{invoice_id}_fee_{period}", period=period,
        late_fee=LateFeeSettings(enabled=True, **setting), fired_at=NOW))


async def handled(svc, publish, wait_for, envelope: Envelope) -> None:
    """Publish, then wait until invoicing's consumer has processed it (its inbox row), never dead-lettered."""
    await publish(envelope)
    inbox, dead = RUNTIME_TABLES.inbox, RUNTIME_TABLES.dead_letters

    async def done():
        if await svc.count(dead, dead.c.event_id == envelope.id):
            async with svc.runtime.db.transaction() as session:
                error = (await session.execute(dead.select().where(dead.c.event_id == envelope.id))).first().error
            raise AssertionError(f"{envelope.type} dead-lettered: {error}")
        return await svc.count(inbox, inbox.c.event_id == envelope.id)
    await wait_for(done, timeout=30)


async def issued(client, customer_id: str, amount: int, **extra) -> dict:
    draft = await client.post("/v1/invoices", json={"customer_id": customer_id, "currency": "usd", **extra,
                                                    "lines": [{"description": "Service", "quantity": 1,
                                                               "unit_amount": amount}]})
    assert draft.status_code == 201, draft.text
    approved = await client.post(f"/v1/invoices/{draft.json()['id']}/approve")
    assert approved.status_code == 200, approved.text
    return approved.json()


async def events_of(read_events, topic: str, aggregate_id: str) -> list[Envelope]:
    return [e for e in await read_events(topic, timeout=3, quiet_s=0.5) if e.aggregate_id == aggregate_id]


# --- dunning.uncollectible_due -----------------------------------------------------------------------------------

async def test_uncollectible_due_writes_off_an_open_invoice_once(svc, org, publish, read_events, wait_for):
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        invoice = await issued(client, customer["id"], 5000)
        await handled(svc, publish, wait_for, uncollectible_due(organization_id, invoice["id"]))
        after = (await client.get(f"/v1/invoices/{invoice['id']}")).json()
        assert (after["status"], after["amount_due"]) == ("uncollectible", 5000)
        # The same step again (a new event id: a redelivery by dunning): nothing more.
        await handled(svc, publish, wait_for, uncollectible_due(organization_id, invoice["id"]))
        assert (await client.get(f"/v1/invoices/{invoice['id']}")).json()["version"] == after["version"]
        assert len(await events_of(read_events, "invoice.marked_uncollectible", invoice["id"])) == 1


@pytest.mark.parametrize("close", ["pay", "void"])
async def test_uncollectible_due_leaves_a_closed_invoice_alone(svc, org, publish, read_events, wait_for, close):
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        invoice = await issued(client, customer["id"], 5000)
        if close == "pay":  # paid while dunning's event was on its way: the live invoice decides
            await handled(svc, publish, wait_for, payment_envelope(invoice, organization_id, f"pay_{invoice['id']}",
                                                                   5000))
        else:
            assert (await client.post(f"/v1/invoices/{invoice['id']}/void")).status_code == 200
        before = (await client.get(f"/v1/invoices/{invoice['id']}")).json()
        await handled(svc, publish, wait_for, uncollectible_due(organization_id, invoice["id"]))
        assert (await client.get(f"/v1/invoices/{invoice['id']}")).json() == before
        assert await events_of(read_events, "invoice.marked_uncollectible", invoice["id"]) == []


# --- dunning.subscription_action_due -----------------------------------------------------------------------------

async def test_subscription_action_due_pauses_then_cancels(svc, org, publish, read_events, wait_for):
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        subscription = (await client.post("/v1/subscriptions", json={"customer_id": customer["id"]})).json()
        invoice = await issued(client, customer["id"], 4200, subscription_id=subscription["id"])

        async def current():
            return (await client.get(f"/v1/subscriptions/{subscription['id']}")).json()

        # Another organization's request for this subscription: ignored.
        other_id, _ = await svc.create_org("Other")
        await handled(svc, publish, wait_for, subscription_action_due(other_id, invoice["id"], subscription["id"],
                                                                      "pause"))
        assert (await current())["status"] == "active"

        await handled(svc, publish, wait_for, subscription_action_due(organization_id, invoice["id"],
                                                                      subscription["id"], "pause"))
        paused = await current()
        assert paused["status"] == "paused"
        await handled(svc, publish, wait_for, subscription_action_due(organization_id, invoice["id"],
                                                                      subscription["id"], "pause"))
        assert (await current())["version"] == paused["version"]  # already paused: nothing

        await handled(svc, publish, wait_for, subscription_action_due(organization_id, invoice["id"],
                                                                      subscription["id"], "cancel"))
        canceled = await current()
        assert canceled["status"] == "canceled" and canceled["canceled_at"]
        for action in ("pause", "cancel"):  # canceled is final: nothing, and no error
            await handled(svc, publish, wait_for, subscription_action_due(organization_id, invoice["id"],
                                                                          subscription["id"], action))
        assert (await current()) == canceled

    async def updates():
        found = await events_of(read_events, "subscription.updated", subscription["id"])
        return found if len(found) >= 2 else None
    found = await wait_for(updates, timeout=30)
    assert [(e.data["previous_status"], e.data["status"]) for e in found] == [("active", "paused"),
                                                                             ("paused", "canceled")]


async def test_subscription_action_due_after_the_invoice_was_paid_does_nothing(svc, org, publish, wait_for):
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        subscription = (await client.post("/v1/subscriptions", json={"customer_id": customer["id"]})).json()
        invoice = await issued(client, customer["id"], 4200, subscription_id=subscription["id"])
        await handled(svc, publish, wait_for, payment_envelope(invoice, organization_id, f"pay_{invoice['id']}", 4200))
        await handled(svc, publish, wait_for, subscription_action_due(organization_id, invoice["id"],
                                                                      subscription["id"], "cancel"))
        assert (await client.get(f"/v1/subscriptions/{subscription['id']}")).json()["status"] == "active"


# --- dunning.late_fee_due ----------------------------------------------------------------------------------------

async def fee_invoices(client, customer_id: str) -> list[dict]:
    listed = (await client.get("/v1/invoices", params={"customer_id": customer_id, "limit": 100})).json()["data"]
    return sorted((i for i in listed if i["late_fee_for"]), key=lambda i: i["late_fee_for"]["period"])


async def test_late_fee_invoice_issued_once_per_period(svc, org, publish, read_events, wait_for):
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        overdue = await issued(client, customer["id"], 12345, payment_terms="net_15")

        first = late_fee_due(organization_id, overdue["id"], 1, percentage="1.5")
        await handled(svc, publish, wait_for, first)
        [fee] = await fee_invoices(client, customer["id"])
        # 1.5 % of 12345 = 185.175 → 185 (ROUND_HALF_UP to minor units); no tax; issued at once with a number
        assert (fee["status"], fee["currency"], fee["subtotal"], fee["tax"], fee["total"], fee["amount_due"]) == (
            "issued", "usd", 185, 0, 185, 185)
        assert fee["number"] and fee["number"] != overdue["number"] and fee["due_date"]
        assert fee["customer_id"] == customer["id"] and fee["payment_terms"] == "net_30"  # the customer's terms
        assert [line["description"] for line in fee["lines"]] == [
            f"Late fee for invoice {overdue['number']} (period 1)"]
        assert fee["late_fee_for"] == {"invoice_id": overdue["id"], "invoice_number": overdue["number"], "period": 1}
        assert fee["collection"]["late_fee"]["enabled"] is False  # no fee on a fee
        [issued_event] = await wait_for(lambda: events_of(read_events, "invoice.issued", fee["id"]), timeout=30)
        snapshot = InvoiceIssued.model_validate(issued_event.data).invoice
        assert snapshot.late_fee_for.model_dump() == fee["late_fee_for"] and snapshot.total == 185

        # The same period again: redelivered as is (inbox) and re-sent by dunning (a new event id): nothing new.
        await publish(first)
        await handled(svc, publish, wait_for, late_fee_due(organization_id, overdue["id"], 1, percentage="1.5"))
        assert len(await fee_invoices(client, customer["id"])) == 1
        assert await svc.count(LateFeeInvoice, LateFeeInvoice.invoice_id == overdue["id"]) == 1

        # A second period: a second invoice, on the live balance (a partial payment came in meanwhile).
        await handled(svc, publish, wait_for, payment_envelope(overdue, organization_id, f"pay_{overdue['id']}",
                                                               2345))
        await handled(svc, publish, wait_for, late_fee_due(organization_id, overdue["id"], 2, percentage="1.5"))
        fees = await fee_invoices(client, customer["id"])
        assert [(f["late_fee_for"]["period"], f["total"]) for f in fees] == [(1, 185), (2, 150)]  # 1.5 % of 10000
        assert len({f["number"] for f in fees}) == 2
        # The overdue invoice itself was never edited by a fee.
        assert (await client.get(f"/v1/invoices/{overdue['id']}")).json()["total"] == 12345


async def test_late_fees_never_exceed_the_cap(svc, org, publish, wait_for):
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        overdue = await issued(client, customer["id"], 10000)
        setting = {"percentage": "1", "fixed_amount": 50, "cap": 400, "recurrence": "monthly"}
        for period in (1, 2, 3, 4):
            await handled(svc, publish, wait_for, late_fee_due(organization_id, overdue["id"], period, **setting))
        fees = await fee_invoices(client, customer["id"])
        # 100 + 50 = 150 a period: 150, 150, then the 100 left under the cap, then nothing
        assert [(f["late_fee_for"]["period"], f["total"]) for f in fees] == [(1, 150), (2, 150), (3, 100)]


@pytest.mark.parametrize("state", ["paid", "void", "uncollectible"])
async def test_no_late_fee_on_an_invoice_that_owes_nothing_or_is_closed(svc, org, publish, wait_for, state):
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        overdue = await issued(client, customer["id"], 10000)
        if state == "paid":
            await handled(svc, publish, wait_for, payment_envelope(overdue, organization_id,
                                                                   f"pay_{overdue['id']}", 10000))
        else:
            action = {"void": "void", "uncollectible": "mark_uncollectible"}[state]
            assert (await client.post(f"/v1/invoices/{overdue['id']}/{action}")).status_code == 200
        await handled(svc, publish, wait_for, late_fee_due(organization_id, overdue["id"], 1, fixed_amount=500))
        assert await fee_invoices(client, customer["id"]) == []
        assert await svc.count(LateFeeInvoice, LateFeeInvoice.invoice_id == overdue["id"]) == 0


async def test_two_replicas_racing_on_one_period_issue_one_fee(svc, org):
    """Two deliveries of the same period (different event ids) processed at the same moment, as two replicas
    would: the overdue invoice's row lock and the (invoice, period) key leave exactly one fee invoice."""
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        overdue = await issued(client, customer["id"], 10000)
        deliveries = [late_fee_due(organization_id, overdue["id"], 1, fixed_amount=700) for _ in range(4)]
        outcomes = await asyncio.gather(*(svc.runtime.consumers.process(d.type, d.to_bytes()) for d in deliveries))
        assert outcomes == ["processed"] * 4
        fees = await fee_invoices(client, customer["id"])
        assert [f["total"] for f in fees] == [700]
        assert await svc.count(Invoice, Invoice.customer_id == customer["id"]) == 2


# --- POST /internal/invoices/states --------------------------------------------------------------------------------

async def test_invoice_states_in_one_call(svc, org, publish, wait_for):
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        subscription = (await client.post("/v1/subscriptions", json={"customer_id": customer["id"]})).json()
        open_invoice = await issued(client, customer["id"], 3000, subscription_id=subscription["id"])
        paid = await issued(client, customer["id"], 2000)
        await handled(svc, publish, wait_for, payment_envelope(paid, organization_id, f"pay_{paid['id']}", 2000))
        draft = (await client.post("/v1/invoices", json={"customer_id": customer["id"], "currency": "usd",
                                                         "lines": [{"description": "D", "quantity": 1,
                                                                    "unit_amount": 1}]})).json()
    ids = [open_invoice["id"], paid["id"], draft["id"], "in_does_not_exist"]
    headers = {INTERNAL_HEADER: svc.settings.internal_secret}
    async with svc.client() as internal:
        response = await internal.post("/internal/invoices/states", json={"invoice_ids": ids}, headers=headers)
        assert response.status_code == 200, response.text
        states = {s["id"]: s for s in response.json()["states"]}
        assert set(states) == set(ids[:3])
        assert states[open_invoice["id"]] == {
            "id": open_invoice["id"], "organization_id": organization_id, "status": "issued", "amount_due": 3000,
            "version": open_invoice["version"], "subscription_id": subscription["id"], "customer_id": customer["id"]}
        assert (states[paid["id"]]["status"], states[paid["id"]]["amount_due"]) == ("paid", 0)
        assert states[draft["id"]]["status"] == "draft" and states[draft["id"]]["subscription_id"] is None

        # Without the internal secret: refused; bad bodies: 400 naming the field.
        assert (await internal.post("/internal/invoices/states", json={"invoice_ids": ids})).status_code in (401, 403)
        for body, param in (({"invoice_ids": []}, "invoice_ids"), ({"invoice_ids": ["x"] * 501}, "invoice_ids"),
                            ({}, "invoice_ids"), ({"invoice_ids": [""]}, "invoice_ids[0]")):
            bad = await internal.post("/internal/invoices/states", json=body, headers=headers)
            assert bad.status_code == 400 and bad.json()["error"]["param"] == param, bad.text

    # 500 ids: one SELECT on invoices, not one per id.
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        if "invoices.amount_due" in statement:
            statements.append(statement)
    event.listen(svc.runtime.db.engine.sync_engine, "before_cursor_execute", seen)
    try:
        async with svc.client() as internal:
            response = await internal.post("/internal/invoices/states", headers=headers, json={
                "invoice_ids": ids[:3] + [f"in_missing_{i}" for i in range(497)]})
        assert response.status_code == 200 and len(response.json()["states"]) == 3
    finally:
        event.remove(svc.runtime.db.engine.sync_engine, "before_cursor_execute", seen)
    assert len(statements) == 1, statements

    # The runtime's client: batches of 500, unknown ids left out; an unreachable invoicing is InvoicingUnavailable.
    invoicing = InvoicingClient(svc.url, svc.settings.internal_secret)
    try:
        many = ids + [f"in_missing_{i}" for i in range(600)]
        states = await invoicing.invoice_states(many)
        assert sorted(s["id"] for s in states) == sorted(ids[:3])
        assert await invoicing.invoice_states([]) == []
    finally:
        await invoicing.close()
    wrong = InvoicingClient(svc.url, "not-the-secret")
    unreachable = InvoicingClient("http://127.0.0.1:9", svc.settings.internal_secret, timeout_s=1)
    try:
        for client in (wrong, unreachable):
            with pytest.raises(InvoicingUnavailable):
                await client.invoice_states([open_invoice["id"]])
    finally:
        await wrong.close()
        await unreachable.close()
