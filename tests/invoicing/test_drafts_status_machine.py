"""The status machine, whole: every (status, action) pair, and payments through the real consumer.

draft → issued → paid; issued → past_due once; void only before any payment;
uncollectible from issued or past_due; a payment completing an open or written-off
invoice makes it paid, a payment landing on a void or paid one is rejected, never
counted, and announced for a refund; everything else is a 409.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timezone

import pytest

from duely_contracts import Envelope
from duely_contracts.events import PaymentRefunded
from duely_contracts.models import CustomerRef, InvoiceSummary
from duely_invoicing.domain import status as st
from duely_invoicing.models import InvoicePayment

from tests.invoicing.helpers import create_customer, create_draft, issued_invoice, overdue_envelope, payment_envelope
from tests.invoicing.pricing_helpers import assert_error

LEGAL = {
    # status: (approve, void unpaid, void after a payment, mark uncollectible, become past due, accept payment)
    st.DRAFT: (True, False, False, False, False, False),
    st.ISSUED: (False, True, False, True, True, True),
    st.PAST_DUE: (False, True, False, True, False, True),
    st.UNCOLLECTIBLE: (False, False, False, False, False, True),  # a written-off invoice may still be paid
    st.PAID: (False, False, False, False, False, False),
    st.VOID: (False, False, False, False, False, False),
}


@pytest.mark.parametrize("status", st.STATUSES)
def test_every_transition_of_every_status(status):
    approve, void_unpaid, void_paid, uncollectible, past_due, payment = LEGAL[status]
    assert st.can_approve(status) is approve
    assert st.can_void(status, 0) is void_unpaid
    assert st.can_void(status, 1) is void_paid
    assert st.can_mark_uncollectible(status) is uncollectible
    assert st.can_become_past_due(status, amount_due=100) is past_due
    assert st.can_become_past_due(status, amount_due=0) is False  # nothing owed: never past due
    assert st.can_accept_payment(status) is payment


async def _until(client, wait_for, invoice_id: str, check):
    async def probe():
        body = (await client.get(f"/v1/invoices/{invoice_id}")).json()
        return body if check(body) else None
    return await wait_for(probe, timeout=30)


async def test_partial_payments_on_a_past_due_discounted_invoice(svc, org, publish, wait_for):
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        invoice = await issued_invoice(client, payment_terms="due_on_receipt", discounts=[{"percentage": "10"}])
        # 20997 − 2100 (10% = 2099.7 → 2100) = 18897; 8.25% = 1559.0025 → 1559; total 20456
        assert (invoice["total_discount"], invoice["tax"], invoice["total"]) == (2100, 1559, 20456)
        await publish(overdue_envelope(invoice, organization_id))
        await _until(client, wait_for, invoice["id"], lambda b: b["status"] == "past_due")

        await publish(payment_envelope(invoice, organization_id, f"pay_a_{invoice['id']}", 456))
        partly = await _until(client, wait_for, invoice["id"], lambda b: b["amount_paid"] == 456)
        assert (partly["status"], partly["amount_due"]) == ("past_due", 20000)
        assert [p["payment_id"] for p in partly["payments"]] == [f"pay_a_{invoice['id']}"]
        assert partly["payments"][0]["amount"] == 456 and partly["payments"][0]["currency"] == "usd"
        assert_error(await client.post(f"/v1/invoices/{invoice['id']}/void"), 409, "invoice_not_voidable", None)

        # A second overdue notice changes nothing; the invoice was made past due once.
        await publish(overdue_envelope(invoice, organization_id))
        await publish(payment_envelope(invoice, organization_id, f"pay_b_{invoice['id']}", 20000))
        paid = await _until(client, wait_for, invoice["id"], lambda b: b["status"] == "paid")
        assert (paid["amount_paid"], paid["amount_due"], len(paid["payments"])) == (20456, 0, 2)
        for action in ("void", "mark_uncollectible", "approve"):
            response = await client.post(f"/v1/invoices/{invoice['id']}/{action}")
            assert response.status_code == 409 and response.json()["error"]["type"] == "conflict_error"


async def test_overpayment_never_makes_the_balance_negative(svc, org, publish, wait_for):
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        invoice = await issued_invoice(client)
        await publish(payment_envelope(invoice, organization_id, f"pay_over_{invoice['id']}", invoice["total"] + 5))
        paid = await _until(client, wait_for, invoice["id"], lambda b: b["status"] == "paid")
        # The invoice counts its total; the 5 beyond it is the customer's credit (issue #9), not lost.
        assert (paid["amount_paid"], paid["amount_due"]) == (invoice["total"], 0)
        customer = (await client.get(f"/v1/customers/{invoice['customer_id']}")).json()
        assert customer["credit_balance"] == {invoice["currency"].lower(): 5}


async def _rejected(read_events, wait_for, invoice_id: str, expected: int = 1) -> list:
    async def found():
        events = [e for e in await read_events("invoice.payment_rejected", timeout=3, quiet_s=0.5)
                  if e.aggregate_id == invoice_id]
        return events if len(events) >= expected else None
    return await wait_for(found, timeout=30)


@pytest.mark.parametrize("close", ["void"])
async def test_a_payment_on_a_closed_invoice_is_rejected_not_counted_and_announced_for_a_refund(
        svc, org, publish, read_events, wait_for, close):
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        invoice = await issued_invoice(client)
        closed = (await client.post(f"/v1/invoices/{invoice['id']}/{close}")).json()
        payment = payment_envelope(invoice, organization_id, f"pay_late_{invoice['id']}", invoice["total"])
        await publish(payment)
        [event] = await _rejected(read_events, wait_for, invoice["id"])
        reason = {"void": "invoice_void"}[close]
        assert (event.data["payment_id"], event.data["amount"], event.data["reason"]) == (
            f"pay_late_{invoice['id']}", invoice["total"], reason)
        assert event.data["invoice"]["status"] == closed["status"] and event.data["invoice"]["amount_paid"] == 0
        after = (await client.get(f"/v1/invoices/{invoice['id']}")).json()
        assert (after["status"], after["amount_paid"], after["amount_due"]) == (
            closed["status"], 0, closed["amount_due"])
        assert after["payments"] == []
        # The same payment again (a redelivery with a new event id) is recorded once, announced once.
        await publish(payment.model_copy(update={"id": str(uuid.uuid4())}))
        await publish(overdue_envelope(invoice, organization_id))
        await asyncio.sleep(1.5)
        assert len(await _rejected(read_events, wait_for, invoice["id"])) == 1
        assert (await client.get(f"/v1/invoices/{invoice['id']}")).json()["status"] == closed["status"]
        assert await svc.count(InvoicePayment, InvoicePayment.invoice_id == invoice["id"],
                               InvoicePayment.status == "rejected") == 1


async def test_a_payment_on_a_written_off_invoice_makes_it_paid(svc, org, publish, wait_for):
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        invoice = await issued_invoice(client)
        assert (await client.post(f"/v1/invoices/{invoice['id']}/mark_uncollectible")).status_code == 200
        await publish(payment_envelope(invoice, organization_id, f"pay_late_{invoice['id']}", invoice["total"]))
        paid = await _until(client, wait_for, invoice["id"], lambda b: b["status"] == "paid")
        assert (paid["amount_paid"], paid["amount_due"]) == (invoice["total"], 0)


async def test_a_second_payment_on_a_paid_invoice_is_rejected_then_marked_refunded(
        svc, org, publish, read_events, wait_for):
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        invoice = await issued_invoice(client)
        await publish(payment_envelope(invoice, organization_id, f"pay_first_{invoice['id']}", invoice["total"]))
        await _until(client, wait_for, invoice["id"], lambda b: b["status"] == "paid")
        second = f"pay_second_{invoice['id']}"
        await publish(payment_envelope(invoice, organization_id, second, invoice["total"]))
        [event] = await _rejected(read_events, wait_for, invoice["id"])
        assert (event.data["payment_id"], event.data["reason"]) == (second, "invoice_already_paid")
        paid = (await client.get(f"/v1/invoices/{invoice['id']}")).json()
        assert (paid["amount_paid"], paid["amount_due"]) == (invoice["total"], 0)
        assert [p["payment_id"] for p in paid["payments"]] == [f"pay_first_{invoice['id']}"]

        # Payments says the money went back: the row says so; the totals never counted it.
        await publish(refund_envelope(invoice, organization_id, second))

        async def refunded():
            return await svc.count(InvoicePayment, InvoicePayment.payment_id == second,
                                   InvoicePayment.status == "refunded")
        await wait_for(refunded, timeout=30)
        after = (await client.get(f"/v1/invoices/{invoice['id']}")).json()
        assert (after["amount_paid"], after["amount_due"], after["status"]) == (invoice["total"], 0, "paid")


def refund_envelope(invoice: dict, organization_id: str, payment_id: str) -> Envelope:
    customer = invoice["customer"]
    event = PaymentRefunded(
        refund_id=f"refund_{payment_id}", payment_id=payment_id, invoice_id=invoice["id"], amount=invoice["total"],
        currency=invoice["currency"], reason="invoice_already_paid", gateway_reference="re_test",
        refunded_at=datetime.now(timezone.utc),
        invoice=InvoiceSummary(id=invoice["id"], number=invoice["number"], organization_name="Org",
                               currency=invoice["currency"], total=invoice["total"], amount_due=0,
                               customer=CustomerRef(id=customer["id"], name=customer["name"], email=customer["email"])))
    return Envelope(type="payment.refunded", organization_id=organization_id, aggregate_id=invoice["id"],
                    aggregate_version=1, correlation_id=str(uuid.uuid4()), data=event.model_dump(mode="json"))


async def test_a_draft_cannot_be_voided_written_off_or_paid(svc, org):
    _, api_key = org
    async with svc.client(api_key) as client:
        draft = await create_draft(client, (await create_customer(client))["id"])
        for action, code in (("void", "invoice_not_voidable"), ("mark_uncollectible", "invoice_not_open")):
            assert_error(await client.post(f"/v1/invoices/{draft['id']}/{action}"), 409, code, None)
