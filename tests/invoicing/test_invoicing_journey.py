"""Issue → pay, past due, void, uncollectible: on real Postgres and the real broker."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from duely_contracts.events import InvoiceIssued, InvoicePaid, InvoicePastDue
from duely_contracts.models import InvoiceSnapshot
from duely_runtime.auth import INTERNAL_HEADER
from duely_invoicing.models import InvoicePayment

from tests.invoicing.helpers import create_customer, create_draft, issued_invoice, overdue_envelope, payment_envelope


async def events_for(read_events, topic: str, aggregate_id: str, expected: int = 1, wait_for=None):
    async def matching():
        found = [e for e in await read_events(topic, timeout=3) if e.aggregate_id == aggregate_id]
        return found if len(found) >= expected else None
    return await wait_for(matching, timeout=30)


async def test_approve_publishes_a_full_snapshot_and_a_payment_makes_it_paid_once(svc, org, read_events, publish,
                                                                               wait_for):
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        draft = await create_draft(client, customer["id"])
        assert draft["status"] == "draft" and draft["number"] is None and draft["object"] == "invoice"
        assert (draft["subtotal"], draft["tax"], draft["total"], draft["amount_due"]) == (20997, 1732, 22729, 22729)
        assert draft["currency"] == "usd"
        assert [line["amount"] for line in draft["lines"]] == [5997, 15000]
        assert draft["lines"][1]["quantity"] == "1.5"
        assert draft["tax_breakdown"] == [{"display_name": "CA sales tax", "percentage": "8.25", "inclusive": False,
                                           "taxable_amount": 20997, "tax_amount": 1732, "category": None,
                                           "exemption_reason": None, "exemption_reason_code": None}]

        approved = (await client.post(f"/v1/invoices/{draft['id']}/approve")).json()
        assert approved["status"] == "issued"
        assert approved["number"] == f"INV-{date.today().year}-00001"
        assert approved["version"] == 2
        issued_on = date.fromisoformat(approved["issued_at"][:10])
        assert approved["due_date"] == (issued_on + timedelta(days=30)).isoformat()
        assert approved["hosted_invoice_url"].startswith(svc.settings.public_base_url + "/i/")

        [envelope] = await events_for(read_events, "invoice.issued", draft["id"], wait_for=wait_for)
        assert (envelope.organization_id, envelope.aggregate_version) == (organization_id, 2)
        snapshot = InvoiceIssued.model_validate(envelope.data).invoice
        assert snapshot.number == approved["number"] and snapshot.total == 22729
        assert snapshot.organization_name.startswith("Org ")
        assert snapshot.customer.email == "jane@example.com"
        assert snapshot.customer.cc_emails == ["finance@example.com"]
        assert [line.description for line in snapshot.lines] == ["Widgets", "Consulting"]
        assert snapshot.hosted_invoice_url == approved["hosted_invoice_url"]

        # Other services fetch the same snapshot when a person is waiting.
        response = await client.get(f"/internal/invoices/{draft['id']}", params={"organization_id": organization_id},
                                    headers={INTERNAL_HEADER: svc.settings.internal_secret})
        assert InvoiceSnapshot.model_validate(response.json()) == snapshot

        # The same payment three times: twice the same envelope, once re-sent under a new event id.
        first = payment_envelope(approved, organization_id, "pay_journey_1", approved["total"])
        resent = payment_envelope(approved, organization_id, "pay_journey_1", approved["total"])
        for envelope in (first, first, resent):
            await publish(envelope)

        async def paid():
            body = (await client.get(f"/v1/invoices/{draft['id']}")).json()
            return body if body["status"] == "paid" else None
        invoice = await wait_for(paid, timeout=30)
        # v3: invoice.payment_succeeded (the payment counted), v4: invoice.paid (issue #9: one version per event)
        assert (invoice["amount_paid"], invoice["amount_due"], invoice["version"]) == (22729, 0, 4)

    paid_events = await events_for(read_events, "invoice.paid", draft["id"], wait_for=wait_for)
    await asyncio.sleep(2)  # give a wrongly applied duplicate time to show up
    paid_events = [e for e in await read_events("invoice.paid") if e.aggregate_id == draft["id"]]
    assert len(paid_events) == 1
    paid_event = InvoicePaid.model_validate(paid_events[0].data)
    assert paid_event.payment_id == "pay_journey_1" and paid_event.invoice.status == "paid"
    assert await svc.count(InvoicePayment, InvoicePayment.invoice_id == draft["id"]) == 1


async def test_partial_payments_keep_the_balance_and_the_last_one_pays(svc, org, publish, wait_for):
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        invoice = await issued_invoice(client)
        await publish(payment_envelope(invoice, organization_id, f"pay_part1_{invoice['id']}", 10000))

        async def balance(expected_paid):
            async def check():
                body = (await client.get(f"/v1/invoices/{invoice['id']}")).json()
                return body if body["amount_paid"] == expected_paid else None
            return await wait_for(check, timeout=30)
        partly = await balance(10000)
        assert (partly["status"], partly["amount_due"]) == ("issued", invoice["total"] - 10000)
        # Voiding is only allowed before any payment.
        response = await client.post(f"/v1/invoices/{invoice['id']}/void")
        assert response.status_code == 409 and response.json()["error"]["code"] == "invoice_not_voidable"

        await publish(payment_envelope(invoice, organization_id, f"pay_part2_{invoice['id']}",
                                       invoice["total"] - 10000))
        done = await balance(invoice["total"])
        assert (done["status"], done["amount_due"]) == ("paid", 0)


async def test_overdue_notice_marks_past_due_once(svc, org, publish, read_events, wait_for):
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        invoice = await issued_invoice(client, payment_terms="due_on_receipt")
        assert invoice["due_date"] == invoice["issued_at"][:10]
        await publish(overdue_envelope(invoice, organization_id))
        await publish(overdue_envelope(invoice, organization_id))  # a second notice: no second event

        async def past_due():
            body = (await client.get(f"/v1/invoices/{invoice['id']}")).json()
            return body if body["status"] == "past_due" else None
        await wait_for(past_due, timeout=30)
        await asyncio.sleep(2)
        events = [e for e in await read_events("invoice.past_due") if e.aggregate_id == invoice["id"]]
        assert len(events) == 1
        assert InvoicePastDue.model_validate(events[0].data).invoice.status == "past_due"

        voided = await client.post(f"/v1/invoices/{invoice['id']}/void")
        assert voided.status_code == 200 and voided.json()["status"] == "void"
        assert len(await events_for(read_events, "invoice.voided", invoice["id"], wait_for=wait_for)) == 1


async def test_illegal_transitions_are_conflicts(svc, org, read_events, wait_for):
    _, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        draft = await create_draft(client, customer["id"])
        for action in ("void", "mark_uncollectible"):
            response = await client.post(f"/v1/invoices/{draft['id']}/{action}")
            assert response.status_code == 409, response.text
            assert response.json()["error"]["type"] == "conflict_error"

        await client.post(f"/v1/invoices/{draft['id']}/approve")
        again = await client.post(f"/v1/invoices/{draft['id']}/approve")
        assert again.status_code == 409
        assert again.json()["error"]["code"] == "invoice_not_draft"

        written_off = await client.post(f"/v1/invoices/{draft['id']}/mark_uncollectible")
        assert written_off.status_code == 200 and written_off.json()["status"] == "uncollectible"
        assert (await client.post(f"/v1/invoices/{draft['id']}/void")).status_code == 409
        assert (await client.post(f"/v1/invoices/{draft['id']}/mark_uncollectible")).status_code == 409
        assert len(await events_for(read_events, "invoice.marked_uncollectible", draft["id"],
                                    wait_for=wait_for)) == 1


async def test_other_services_read_a_customer_of_the_organization_only(svc, org):
    organization_id, api_key = org
    other_organization_id, _ = await svc.create_org("Another org")
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        headers = {INTERNAL_HEADER: svc.settings.internal_secret}
        response = await client.get(f"/internal/customers/{customer['id']}",
                                    params={"organization_id": organization_id}, headers=headers)
        assert response.status_code == 200
        assert (response.json()["id"], response.json()["email"]) == (customer["id"], customer["email"])
        other = await client.get(f"/internal/customers/{customer['id']}",
                                 params={"organization_id": other_organization_id}, headers=headers)
        assert other.status_code == 404 and other.json()["error"]["code"] == "resource_missing"
        unsigned = await client.get(f"/internal/customers/{customer['id']}", params={"organization_id": organization_id})
        assert unsigned.status_code in (401, 403)
