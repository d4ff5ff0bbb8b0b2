"""Refunds asked for through the API (POST /v1/payments/{id}/refunds): manual payments' recorded at once,
card payments' through the sandbox gateway by the refund worker; never more than the payment.

Invoicing's side of a refund (reopening the balance) is not asserted here: these tests look at payments'
API, its rows, the gateway and the events on the broker."""

from __future__ import annotations

import asyncio


from tests.payments.test_manual_payments import TOTAL, api, counted, events_about, invoicing_invoice


def refunds_in_sandbox(sandbox_gateway, intent_id: str) -> list:
    return list(sandbox_gateway.client().v1.refunds.list(params={"payment_intent": intent_id, "limit": 10}).data)


async def manual_payment(payments, invoicing, org, invoice: dict, wait_for, amount: int = TOTAL) -> dict:
    async with api(payments, org) as client:
        response = await client.post(f"/v1/invoices/{invoice['id']}/payments",
                                     json={"method": "wire_transfer", "amount": amount})
        assert response.status_code == 201, response.text
    await wait_for(counted(invoicing, org, invoice["id"], amount))
    return response.json()


async def test_a_manual_payment_is_refunded_in_full_at_once(
        payments, invoicing, issue_invoice, org, read_events, wait_for):
    invoice = await issue_invoice(org)
    payment = await manual_payment(payments, invoicing, org, invoice, wait_for)
    async with api(payments, org) as client:
        response = await client.post(f"/v1/payments/{payment['id']}/refunds")
        assert response.status_code == 201, response.text
        refund = response.json()
        assert refund["object"] == "refund" and refund["id"].startswith("refund_")
        assert (refund["payment_id"], refund["invoice_id"], refund["amount"], refund["currency"]) == (
            payment["id"], invoice["id"], TOTAL, "usd")
        assert (refund["status"], refund["manual"], refund["reason"]) == ("succeeded", True, "requested_by_customer")

        again = await client.post(f"/v1/payments/{payment['id']}/refunds", json={"amount": 1})
        assert again.status_code == 409 and again.json()["error"]["code"] == "payment_fully_refunded"

        shown = (await client.get(f"/v1/payments/{payment['id']}")).json()
        assert shown["amount_refunded"] == TOTAL and [r["id"] for r in shown["refunds"]] == [refund["id"]]
        listed = (await client.get(f"/v1/payments/{payment['id']}/refunds")).json()
        assert listed["object"] == "list" and listed["data"] == [refund]

    [event] = await wait_for(lambda: events_about(read_events, "payment.refunded", invoice["id"]))
    data = event.data
    assert (data["refund_id"], data["payment_id"], data["amount"], data["manual"], data["reason"]) == (
        refund["id"], payment["id"], TOTAL, True, "requested_by_customer")
    assert data["gateway_reference"] is None and event.organization_id == org.id


async def test_a_manual_payment_is_refunded_in_parts_never_beyond_it(
        payments, invoicing, issue_invoice, org, read_events, wait_for):
    invoice = await issue_invoice(org)
    payment = await manual_payment(payments, invoicing, org, invoice, wait_for, amount=10000)
    async with api(payments, org) as client:
        first = await client.post(f"/v1/payments/{payment['id']}/refunds", json={"amount": 2500, "reason": "duplicate"})
        assert first.status_code == 201, first.text
        assert (first.json()["amount"], first.json()["reason"]) == (2500, "duplicate")

        too_much = await client.post(f"/v1/payments/{payment['id']}/refunds", json={"amount": 7501})
        assert too_much.status_code == 400
        error = too_much.json()["error"]
        assert error["param"] == "amount" and "7500" in error["message"]
        for body, param in (({"amount": 0}, "amount"), ({"amount": 1.5}, "amount"), ({"reason": "whim"}, "reason"),
                            ({"amount": 10, "extra": True}, "extra")):
            bad = await client.post(f"/v1/payments/{payment['id']}/refunds", json=body)
            assert bad.status_code == 400 and bad.json()["error"]["param"] == param, (body, bad.text)

        rest = await client.post(f"/v1/payments/{payment['id']}/refunds", json={"reason": "other"})
        assert rest.status_code == 201 and rest.json()["amount"] == 7500

        listed = (await client.get(f"/v1/payments/{payment['id']}/refunds")).json()["data"]
        assert [(r["amount"], r["status"]) for r in listed] == [(2500, "succeeded"), (7500, "succeeded")]
        shown = (await client.get(f"/v1/invoices/{invoice['id']}/payments")).json()["data"][0]
        assert shown["amount_refunded"] == 10000 and len(shown["refunds"]) == 2
        missing = await client.post("/v1/payments/pay_nosuchpayment/refunds", json={})
        assert missing.status_code == 404
    events = await wait_for(lambda: events_about(read_events, "payment.refunded", invoice["id"]))
    assert sorted((e.data["amount"], e.data["reason"]) for e in events) == [(2500, "duplicate"), (7500, "other")]


async def test_concurrent_refunds_never_exceed_the_payment(
        payments, invoicing, issue_invoice, org, read_events, wait_for):
    invoice = await issue_invoice(org)
    payment = await manual_payment(payments, invoicing, org, invoice, wait_for, amount=9000)
    async with api(payments, org) as client:
        answers = await asyncio.gather(*[
            client.post(f"/v1/payments/{payment['id']}/refunds", json={"amount": 2000}) for _ in range(8)])
        assert sorted(a.status_code for a in answers) == [201] * 4 + [400] * 4, [a.text for a in answers]
        shown = (await client.get(f"/v1/payments/{payment['id']}")).json()
        assert shown["amount_refunded"] == 8000 and len(shown["refunds"]) == 4
        # And racing for the rest: one gets it, the others find nothing left.
        answers = await asyncio.gather(*[client.post(f"/v1/payments/{payment['id']}/refunds") for _ in range(4)])
        assert sorted(a.status_code for a in answers) == [201, 409, 409, 409], [a.text for a in answers]
        assert (await client.get(f"/v1/payments/{payment['id']}")).json()["amount_refunded"] == 9000
    events = await wait_for(lambda: events_about(read_events, "payment.refunded", invoice["id"]))
    assert sum(e.data["amount"] for e in events) == 9000 and len(events) == 5


async def test_a_card_payment_is_refunded_through_the_gateway_in_parts(
        payments, invoicing, issue_invoice, org, sandbox_gateway, read_events, wait_for):
    invoice = await issue_invoice(org)
    async with api(payments, org) as client:
        paid = await client.post(f"/v1/invoices/{invoice['id']}/pay", json={"payment_method": "pm_card_visa"})
        assert paid.status_code == 200, paid.text
        payment_id = paid.json()["payment_id"]
        await wait_for(counted(invoicing, org, invoice["id"], TOTAL))
        [intent] = sandbox_gateway.intents_for(invoice["id"])

        first = await client.post(f"/v1/payments/{payment_id}/refunds", json={"amount": 5000})
        assert first.status_code == 201, first.text
        assert (first.json()["status"], first.json()["manual"], first.json()["amount"]) == ("pending", False, 5000)

        async def refunds_done(expected: int):
            body = (await client.get(f"/v1/payments/{payment_id}/refunds")).json()["data"]
            done = [r for r in body if r["status"] == "succeeded"]
            return body if len(done) == expected else None
        [refund] = await wait_for(lambda: refunds_done(1), timeout=30)
        [at_gateway] = refunds_in_sandbox(sandbox_gateway, intent.id)
        assert (at_gateway.amount, at_gateway.status) == (5000, "succeeded")
        assert refund["gateway_reference"] == at_gateway.id

        over = await client.post(f"/v1/payments/{payment_id}/refunds", json={"amount": TOTAL - 5000 + 1})
        assert over.status_code == 400 and over.json()["error"]["param"] == "amount"
        rest = await client.post(f"/v1/payments/{payment_id}/refunds", json={"reason": "fraudulent"})
        assert rest.status_code == 201 and rest.json()["amount"] == TOTAL - 5000
        refunds = await wait_for(lambda: refunds_done(2), timeout=30)
        assert sorted(r["amount"] for r in refunds_in_sandbox(sandbox_gateway, intent.id)) == sorted(
            [5000, TOTAL - 5000])
        assert len({r["gateway_reference"] for r in refunds}) == 2
        shown = (await client.get(f"/v1/payments/{payment_id}")).json()
        assert shown["amount_refunded"] == TOTAL and shown["manual"] is False and shown["method_type"] == "card"
        full = await client.post(f"/v1/payments/{payment_id}/refunds")
        assert full.status_code == 409

    events = await wait_for(lambda: events_about(read_events, "payment.refunded", invoice["id"]))
    assert sorted((e.data["amount"], e.data["reason"], e.data["manual"]) for e in events) == sorted(
        [(5000, "requested_by_customer", False), (TOTAL - 5000, "fraudulent", False)])
    assert {e.data["gateway_reference"] for e in events} == {r["gateway_reference"] for r in refunds}
    assert len(refunds_in_sandbox(sandbox_gateway, intent.id)) == 2


async def test_an_automatic_refund_after_an_api_refund_gives_back_only_the_rest(
        payments, invoicing, issue_invoice, org, sandbox_gateway, read_events, publish, wait_for):
    """A payment partly refunded through the API and then rejected by invoicing: the automatic refund (its key
    still derived from the payment alone) takes what is left, so the two never exceed the payment."""
    from sqlalchemy import select

    from duely_contracts.events import InvoicePaymentRejected
    from duely_payments.models import Refund
    from tests.payments.conftest import envelope, snapshot

    invoice = await issue_invoice(org)
    async with api(payments, org) as client:
        paid = await client.post(f"/v1/invoices/{invoice['id']}/pay", json={"payment_method": "pm_card_visa"})
        assert paid.status_code == 200, paid.text
        payment_id = paid.json()["payment_id"]
        await wait_for(counted(invoicing, org, invoice["id"], TOTAL))
        first = await client.post(f"/v1/payments/{payment_id}/refunds", json={"amount": 4000})
        assert first.status_code == 201, first.text

        snap = snapshot(org.id, invoice_id=invoice["id"], status="paid", version=1, total=TOTAL, amount_due=0)
        await publish(envelope("invoice.payment_rejected", InvoicePaymentRejected(
            payment_id=payment_id, invoice_id=invoice["id"], amount=TOTAL, currency="usd",
            reason="invoice_already_paid", invoice=snap), snap))

        async def both_done():
            body = (await client.get(f"/v1/payments/{payment_id}/refunds")).json()["data"]
            return body if len(body) == 2 and all(r["status"] == "succeeded" for r in body) else None
        refunds = await wait_for(both_done, timeout=30)
    assert sorted((r["amount"], r["reason"]) for r in refunds) == sorted(
        [(4000, "requested_by_customer"), (TOTAL - 4000, "invoice_already_paid")])
    [intent] = sandbox_gateway.intents_for(invoice["id"])
    assert sorted(r.amount for r in refunds_in_sandbox(sandbox_gateway, intent.id)) == sorted([4000, TOTAL - 4000])
    async with payments.session() as session:
        keys = {r.reason: r.gateway_idempotency_key
                for r in (await session.execute(select(Refund).where(Refund.payment_id == payment_id))).scalars()}
    assert keys == {"invoice_already_paid": f"{payment_id}:refund",
                    "requested_by_customer": f"{payment_id}:refund:{first.json()['id']}"}


async def test_an_invoice_a_refund_reopened_can_be_paid_again_by_card(
        payments, invoicing, issue_invoice, org, wait_for):
    """A refund of a counted payment reopens a paid invoice at invoicing (invoice.reopened): the customer can then
    pay what is owed again, on the hosted page or through the API, rather than being told it is already paid."""
    invoice = await issue_invoice(org)
    payment = await manual_payment(payments, invoicing, org, invoice, wait_for)
    async with api(payments, org) as client:
        refund = await client.post(f"/v1/payments/{payment['id']}/refunds", json={"amount": 5000})
        assert refund.status_code == 201, refund.text

        async def reopened():
            body = await invoicing_invoice(invoicing, org, invoice["id"])
            return body if body["status"] == "issued" and body["amount_due"] == 5000 else None
        await wait_for(reopened)
        # Payments hears of the reopening too (its read model is what a pay request is first checked against).
        await wait_for(lambda: _read_model_status(payments, invoice["id"], "issued"))
        paid = await client.post(f"/v1/invoices/{invoice['id']}/pay", json={"payment_method": "pm_card_visa"})
        assert paid.status_code == 200, paid.text
        assert (paid.json()["status"], paid.json()["amount"]) == ("succeeded", 5000)
    await wait_for(counted(invoicing, org, invoice["id"], TOTAL))


async def _read_model_status(payments, invoice_id: str, status: str):
    invoice = await payments.invoice(invoice_id)
    return invoice if invoice is not None and invoice.status == status else None
