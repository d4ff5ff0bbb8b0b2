"""The status machine, whole: every (status, action) pair, and payments through the real consumer.

draft → issued → paid; issued → past_due once; void only before any payment;
uncollectible from issued or past_due; a payment completing an open or
uncollectible invoice makes it paid; everything else is a 409.
"""

from __future__ import annotations

import asyncio

import pytest

from duely_invoicing.domain import status as st

from tests.invoicing.helpers import create_customer, create_draft, issued_invoice, overdue_envelope, payment_envelope
from tests.invoicing.pricing_helpers import assert_error

LEGAL = {
    # status: (approve, void unpaid, void after a payment, mark uncollectible, become past due, accept payment)
    st.DRAFT: (True, False, False, False, False, False),
    st.ISSUED: (False, True, False, True, True, True),
    st.PAST_DUE: (False, True, False, True, False, True),
    st.UNCOLLECTIBLE: (False, False, False, False, False, True),
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


async def test_uncollectible_then_paid_and_overpayment_never_goes_negative(svc, org, publish, wait_for):
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        invoice = await issued_invoice(client)
        written_off = (await client.post(f"/v1/invoices/{invoice['id']}/mark_uncollectible")).json()
        assert written_off["status"] == "uncollectible"
        await publish(payment_envelope(invoice, organization_id, f"pay_over_{invoice['id']}", invoice["total"] + 5))
        paid = await _until(client, wait_for, invoice["id"], lambda b: b["status"] == "paid")
        assert (paid["amount_paid"], paid["amount_due"]) == (invoice["total"] + 5, 0)


async def test_a_payment_on_a_void_invoice_is_recorded_but_it_stays_void(svc, org, publish, wait_for):
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        invoice = await issued_invoice(client)
        assert (await client.post(f"/v1/invoices/{invoice['id']}/void")).json()["status"] == "void"
        await publish(payment_envelope(invoice, organization_id, f"pay_void_{invoice['id']}", 100))
        after = await _until(client, wait_for, invoice["id"], lambda b: b["amount_paid"] == 100)
        assert after["status"] == "void" and after["amount_due"] == invoice["total"] - 100
        await publish(overdue_envelope(invoice, organization_id))
        await asyncio.sleep(1.5)
        assert (await client.get(f"/v1/invoices/{invoice['id']}")).json()["status"] == "void"


async def test_a_draft_cannot_be_voided_written_off_or_paid(svc, org):
    _, api_key = org
    async with svc.client(api_key) as client:
        draft = await create_draft(client, (await create_customer(client))["id"])
        for action, code in (("void", "invoice_not_voidable"), ("mark_uncollectible", "invoice_not_open")):
            assert_error(await client.post(f"/v1/invoices/{draft['id']}/{action}"), 409, code, None)
