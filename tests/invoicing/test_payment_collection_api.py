"""Counting payments (issue #9) on real Postgres and the real broker: every counted payment publishes
invoice.payment_succeeded with the new balance, invoice.paid once at zero; an allowed overpayment becomes the
customer's credit and pays their next invoice at approval; a refund of a counted payment reopens the balance
(invoice.reopened), once per refund id."""

from __future__ import annotations

import asyncio

from duely_contracts.events import InvoiceIssued, InvoicePaid, InvoicePaymentApplied, InvoiceReopened

from tests.invoicing.collection_helpers import payment_envelope, refund_envelope
from tests.invoicing.helpers import create_customer, create_draft

TOTAL = 22729  # helpers.invoice_body's total


async def events_of(read_events, wait_for, topic: str, invoice_id: str, expected: int):
    async def found():
        matching = [e for e in await read_events(topic, timeout=3) if e.aggregate_id == invoice_id]
        return matching if len(matching) >= expected else None
    return await wait_for(found, timeout=30)


async def approve(client, customer_id: str, **overrides) -> dict:
    draft = await create_draft(client, customer_id, **overrides)
    response = await client.post(f"/v1/invoices/{draft['id']}/approve")
    assert response.status_code == 200, response.text
    return response.json()


async def until(client, wait_for, invoice_id: str, **expected) -> dict:
    async def check():
        body = (await client.get(f"/v1/invoices/{invoice_id}")).json()
        return body if all(body[k] == v for k, v in expected.items()) else None
    return await wait_for(check, timeout=30)


async def test_partial_payments_each_publish_the_new_balance_and_paid_comes_once(svc, org, publish, read_events,
                                                                                 wait_for):
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        invoice = await approve(client, customer["id"])
        iid = invoice["id"]
        await publish(payment_envelope(invoice, organization_id, f"pay_a_{iid}", 10000, method_type="wire_transfer",
                                       manual=True))
        await until(client, wait_for, iid, amount_paid=10000)
        await publish(payment_envelope(invoice, organization_id, f"pay_b_{iid}", 10000, method_type="check",
                                       manual=True))
        await until(client, wait_for, iid, amount_paid=20000)
        last = payment_envelope(invoice, organization_id, f"pay_c_{iid}", TOTAL - 20000)
        await publish(last)
        await publish(last)  # redelivered: counted once
        await publish(payment_envelope(invoice, organization_id, f"pay_c_{iid}", TOTAL - 20000))  # re-sent
        body = await until(client, wait_for, iid, status="paid")
        assert (body["amount_paid"], body["amount_due"]) == (TOTAL, 0)
        assert [(p["amount"], p["method_type"]) for p in body["payments"]] == [
            (10000, "wire_transfer"), (10000, "check"), (TOTAL - 20000, "card")]

    applied = await events_of(read_events, wait_for, "invoice.payment_succeeded", iid, 3)
    await asyncio.sleep(1.5)  # a wrongly counted duplicate would show up by now
    applied = [e for e in await read_events("invoice.payment_succeeded") if e.aggregate_id == iid]
    events = [InvoicePaymentApplied.model_validate(e.data) for e in applied]
    assert [(e.amount, e.invoice.amount_due, e.method_type) for e in events] == [
        (10000, TOTAL - 10000, "wire_transfer"), (10000, TOTAL - 20000, "check"), (TOTAL - 20000, 0, "card")]
    assert [e.invoice.status for e in events] == ["issued", "issued", "paid"]
    assert all(e.credit_added == 0 and e.currency == "usd" for e in events)
    [paid] = await events_of(read_events, wait_for, "invoice.paid", iid, 1)
    assert InvoicePaid.model_validate(paid.data).payment_id == f"pay_c_{iid}"
    # one version per event, in order: issued 2, payments 3 4 5, paid 6
    assert [e.aggregate_version for e in applied] == [3, 4, 5] and paid.aggregate_version == 6


async def test_an_overpayment_becomes_credit_that_pays_the_next_invoice(svc, org, publish, read_events, wait_for):
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        cid = customer["id"]
        first = await approve(client, cid)
        await publish(payment_envelope(first, organization_id, f"pay_over_{first['id']}", 30000,
                                       method_type="wire_transfer", manual=True, allow_overpayment=True))
        body = await until(client, wait_for, first["id"], status="paid")
        assert (body["amount_paid"], body["amount_due"]) == (TOTAL, 0)  # counted up to the balance
        assert body["payments"][0]["amount_applied"] == TOTAL and body["payments"][0]["credit_added"] == 30000 - TOTAL
        [event] = await events_of(read_events, wait_for, "invoice.payment_succeeded", first["id"], 1)
        event = InvoicePaymentApplied.model_validate(event.data)
        assert (event.amount, event.credit_added, event.invoice.amount_due) == (TOTAL, 30000 - TOTAL, 0)
        assert (await client.get(f"/v1/customers/{cid}")).json()["credit_balance"] == {"usd": 30000 - TOTAL}

        # an invoice in another currency does not take it
        euro = await approve(client, cid, currency="EUR")
        assert (euro["credit_applied"], euro["amount_due"]) == (0, TOTAL)

        # the next USD invoice does, at approval
        second = await approve(client, cid)
        credit = 30000 - TOTAL
        assert (second["status"], second["credit_applied"]) == ("issued", credit)
        assert (second["amount_paid"], second["amount_due"]) == (credit, TOTAL - credit)
        issued = InvoiceIssued.model_validate(
            (await events_of(read_events, wait_for, "invoice.issued", second["id"], 1))[0].data).invoice
        assert (issued.credit_applied, issued.amount_paid, issued.amount_due) == (credit, credit, TOTAL - credit)
        listed = (await client.get("/v1/customers")).json()["data"]
        assert next(c for c in listed if c["id"] == cid)["credit_balance"] is None  # all used

        # credit covering a whole invoice: issued, then paid, in that order, no AutoPay plan
        third = await approve(client, cid)
        await publish(payment_envelope(third, organization_id, f"pay_big_{third['id']}", TOTAL * 3,
                                       method_type="check", manual=True, allow_overpayment=True))
        await until(client, wait_for, third["id"], status="paid")
        assert (await client.get(f"/v1/customers/{cid}")).json()["credit_balance"] == {"usd": TOTAL * 2}
        fourth = await approve(client, cid)
        assert (fourth["status"], fourth["credit_applied"], fourth["amount_due"]) == ("paid", TOTAL, 0)
        assert fourth["autopay"] is None and fourth["paid_at"] is not None
        [issued_env] = await events_of(read_events, wait_for, "invoice.issued", fourth["id"], 1)
        [paid_env] = await events_of(read_events, wait_for, "invoice.paid", fourth["id"], 1)
        assert (issued_env.aggregate_version, paid_env.aggregate_version) == (2, 3)
        assert InvoiceIssued.model_validate(issued_env.data).invoice.amount_due == 0
        paid = InvoicePaid.model_validate(paid_env.data)
        assert paid.payment_id is None and paid.invoice.credit_applied == TOTAL and paid.invoice.status == "paid"
        assert (await client.get(f"/v1/customers/{cid}")).json()["credit_balance"] == {"usd": TOTAL}


async def test_a_refund_reopens_a_paid_invoice_once_per_refund(svc, org, publish, read_events, wait_for):
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        invoice = await approve(client, customer["id"])
        iid = invoice["id"]
        payment_id = f"pay_full_{iid}"
        await publish(payment_envelope(invoice, organization_id, payment_id, TOTAL))
        paid = await until(client, wait_for, iid, status="paid")

        refund = refund_envelope(invoice, organization_id, payment_id, f"re_1_{iid}", 5000)
        await publish(refund)
        reopened = await until(client, wait_for, iid, status="issued")
        assert (reopened["amount_paid"], reopened["amount_due"], reopened["paid_at"]) == (TOTAL - 5000, 5000, None)
        assert reopened["version"] == paid["version"] + 1
        assert reopened["payments"][0]["amount_refunded"] == 5000

        # the same refund again (redelivered, and re-sent under a new event id): nothing changes
        await publish(refund)
        await publish(refund_envelope(invoice, organization_id, payment_id, f"re_1_{iid}", 5000))
        # a second, partial refund of the now open invoice raises the balance again
        await publish(refund_envelope(invoice, organization_id, payment_id, f"re_2_{iid}", 1000, manual=True))
        body = await until(client, wait_for, iid, amount_due=6000)
        assert (body["status"], body["amount_paid"], body["version"]) == ("issued", TOTAL - 6000, paid["version"] + 2)

    events = await events_of(read_events, wait_for, "invoice.reopened", iid, 2)
    await asyncio.sleep(1.5)
    events = [InvoiceReopened.model_validate(e.data)
              for e in await read_events("invoice.reopened") if e.aggregate_id == iid]
    assert [(e.amount, e.refund_id, e.invoice.amount_due, e.invoice.status) for e in events] == [
        (5000, f"re_1_{iid}", 5000, "issued"), (1000, f"re_2_{iid}", 6000, "issued")]
    assert all(e.reason == "payment_refunded" and e.payment_id == payment_id for e in events)


async def test_refunding_an_overpayment_takes_the_credit_back_first(svc, org, publish, read_events, wait_for):
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        invoice = await approve(client, customer["id"])
        iid = invoice["id"]
        payment_id = f"pay_over_{iid}"
        await publish(payment_envelope(invoice, organization_id, payment_id, TOTAL + 1000, manual=True,
                                       method_type="wire_transfer", allow_overpayment=True))
        await until(client, wait_for, iid, status="paid")
        assert (await client.get(f"/v1/customers/{customer['id']}")).json()["credit_balance"] == {"usd": 1000}

        # 1500 back: the 1000 of credit first, then 500 off the invoice
        await publish(refund_envelope(invoice, organization_id, payment_id, f"re_over_{iid}", 1500, manual=True))
        body = await until(client, wait_for, iid, status="issued")
        assert (body["amount_paid"], body["amount_due"]) == (TOTAL - 500, 500)
        assert (await client.get(f"/v1/customers/{customer['id']}")).json()["credit_balance"] is None
    [event] = await events_of(read_events, wait_for, "invoice.reopened", iid, 1)
    assert InvoiceReopened.model_validate(event.data).amount == 500


async def test_a_manual_payment_ends_the_reservation_it_was_recorded_under(svc, org, publish, wait_for):
    """Payments records a manual payment under a reservation of its own (attempt_id = the reservation id)."""
    from duely_runtime.auth import INTERNAL_HEADER
    organization_id, api_key = org
    headers = {INTERNAL_HEADER: svc.settings.internal_secret}
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        invoice = await approve(client, customer["id"])
        iid = invoice["id"]
        reservation = f"mpres_{iid[-12:]}"
        reserve = await client.post(f"/internal/invoices/{iid}/charge_reservation", headers=headers,
                                    json={"organization_id": organization_id, "attempt_id": reservation})
        assert reserve.status_code == 200, reserve.text
        other = await client.post(f"/internal/invoices/{iid}/charge_reservation", headers=headers,
                                  json={"organization_id": organization_id, "attempt_id": "payatt_other"})
        assert other.status_code == 409  # held by the manual payment being recorded
        await publish(payment_envelope(invoice, organization_id, f"pay_manual_{iid}", 7000, manual=True,
                                       method_type="cash", attempt_id=reservation))
        await until(client, wait_for, iid, amount_paid=7000)
        again = await client.post(f"/internal/invoices/{iid}/charge_reservation", headers=headers,
                                  json={"organization_id": organization_id, "attempt_id": "payatt_other"})
        assert again.status_code == 200, again.text
        assert again.json()["invoice"]["amount_due"] == TOTAL - 7000


async def test_a_refund_after_the_due_date_reopens_it_past_due(svc, org, publish, read_events, wait_for):
    from datetime import date, timedelta

    from sqlalchemy import update

    from duely_invoicing.models import Invoice
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        invoice = await approve(client, customer["id"])
        iid = invoice["id"]
        await publish(payment_envelope(invoice, organization_id, f"pay_{iid}", TOTAL))
        await until(client, wait_for, iid, status="paid")
        async with svc.runtime.db.transaction() as session:  # its due date has passed since it was paid
            await session.execute(update(Invoice).where(Invoice.id == iid)
                                  .values(due_date=date.today() - timedelta(days=3)))
        await publish(refund_envelope(invoice, organization_id, f"pay_{iid}", f"re_{iid}", TOTAL))
        body = await until(client, wait_for, iid, status="past_due")
        assert (body["amount_paid"], body["amount_due"]) == (0, TOTAL)
    [event] = await events_of(read_events, wait_for, "invoice.reopened", iid, 1)
    assert InvoiceReopened.model_validate(event.data).invoice.status == "past_due"


async def test_voiding_an_invoice_paid_in_part_by_credit_gives_the_credit_back(svc, org, publish, wait_for):
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        first = await approve(client, customer["id"])
        await publish(payment_envelope(first, organization_id, f"pay_{first['id']}", TOTAL + 2500, manual=True,
                                       method_type="wire_transfer", allow_overpayment=True))
        await until(client, wait_for, first["id"], status="paid")
        second = await approve(client, customer["id"])
        assert second["credit_applied"] == 2500
        assert (await client.get(f"/v1/customers/{customer['id']}")).json()["credit_balance"] is None
        voided = await client.post(f"/v1/invoices/{second['id']}/void")
        assert voided.status_code == 200, voided.text
        assert (await client.get(f"/v1/customers/{customer['id']}")).json()["credit_balance"] == {"usd": 2500}


async def test_a_payment_beyond_the_balance_is_never_swallowed(svc, org, publish, read_events, wait_for):
    """Two payments taken against the same balance (the first not yet counted when the second was charged:
    invoicing lagged past the charge reservation) exceed the invoice. What the invoice did not need is the
    customer's credit, as an allowed overpayment's is, never counted into amount_paid beyond the total."""
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        invoice = await approve(client, customer["id"])
        iid = invoice["id"]
        await publish(payment_envelope(invoice, organization_id, f"pay_wire_{iid}", 10000,
                                       method_type="wire_transfer", manual=True))
        await until(client, wait_for, iid, amount_paid=10000)
        await publish(payment_envelope(invoice, organization_id, f"pay_card_{iid}", TOTAL))  # the stale balance
        body = await until(client, wait_for, iid, status="paid")
        assert (body["amount_paid"], body["amount_due"]) == (TOTAL, 0)
        assert (await client.get(f"/v1/customers/{customer['id']}")).json()["credit_balance"] == {"usd": 10000}
    events = await events_of(read_events, wait_for, "invoice.payment_succeeded", iid, 2)
    last = InvoicePaymentApplied.model_validate(events[-1].data)
    assert (last.amount, last.credit_added, last.invoice.amount_paid) == (TOTAL - 10000, 10000, TOTAL)
