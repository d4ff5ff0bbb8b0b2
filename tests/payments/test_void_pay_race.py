"""A void racing a pay, many times, with every real part: invoicing and payments on Postgres, the
broker, the sandbox gateway. Every round must end in one of two ways: the invoice paid (and not
void), or void with no money kept (no succeeded charge, or one refunded in the sandbox and
announced by `payment.refunded`)."""

from __future__ import annotations

import asyncio
import collections

import httpx

# When the void is sent relative to the pay (negative: the pay waits): from before the charge
# starts, through the gateway call, to after the outcome is recorded.
OFFSETS_S = [-0.15, -0.03, 0.0, 0.01, 0.02, 0.035, 0.05, 0.07, 0.1, 0.14, 0.2, 0.3, 0.45]
ROUNDS = 2 * len(OFFSETS_S)


async def after(delay_s: float, request):
    await asyncio.sleep(max(0.0, delay_s))
    return await request


async def settle(invoicing_client: httpx.AsyncClient, sandbox_gateway, invoice_id: str, wait_for) -> dict:
    """Wait until the round is over: the invoice paid, or void with every succeeded charge refunded."""
    async def over():
        invoice = (await invoicing_client.get(f"/v1/invoices/{invoice_id}")).json()
        if invoice["status"] == "paid":
            return invoice
        if invoice["status"] == "void" and all(refunded(sandbox_gateway, pi) for pi in succeeded(sandbox_gateway,
                                                                                                  invoice_id)):
            return invoice
        return None
    try:
        return await wait_for(over, timeout=30)
    except AssertionError:
        invoice = (await invoicing_client.get(f"/v1/invoices/{invoice_id}")).json()
        charges = [(pi.id, pi.amount, refunded(sandbox_gateway, pi)) for pi in succeeded(sandbox_gateway, invoice_id)]
        raise AssertionError(f"invoice {invoice['status']} (paid {invoice['amount_paid']}) with charges "
                             f"(id, amount, refunded) {charges}: money kept for an invoice that is not paid") from None


def succeeded(sandbox_gateway, invoice_id: str) -> list:
    return [pi for pi in sandbox_gateway.intents_for(invoice_id) if pi.status == "succeeded"]


def refunded(sandbox_gateway, intent) -> int:
    refunds = sandbox_gateway.client().v1.refunds.list(params={"payment_intent": intent.id, "limit": 10})
    return sum(r.amount for r in refunds.data)


async def test_void_racing_pay_never_keeps_money_for_a_void_invoice(
        payments, invoicing, issue_invoice, org, sandbox_gateway, read_events, wait_for):
    seen = collections.Counter()
    refunded_invoices = []
    async with httpx.AsyncClient(base_url=payments.url, headers=org.headers, timeout=30) as payer, \
            httpx.AsyncClient(base_url=invoicing.url, headers=org.headers, timeout=30) as merchant:
        for round_number in range(ROUNDS):
            offset = OFFSETS_S[round_number % len(OFFSETS_S)]
            # wait=False: payments may not have heard of the invoice yet (it learns it from the reservation).
            invoice = await issue_invoice(org, wait=round_number % 2 == 0)
            pay, void = await asyncio.gather(
                after(-offset, payer.post(f"/v1/invoices/{invoice['id']}/pay", json={"payment_method": "pm_card_visa"})),
                after(offset, merchant.post(f"/v1/invoices/{invoice['id']}/void")))
            assert pay.status_code in (200, 409), pay.text
            assert void.status_code in (200, 409), void.text
            final = await settle(merchant, sandbox_gateway, invoice["id"], wait_for)
            charges = succeeded(sandbox_gateway, invoice["id"])
            if final["status"] == "paid":
                assert void.status_code == 409, (round_number, void.text)
                code = void.json()["error"]["code"]
                assert code in ("invoice_payment_in_progress", "invoice_not_voidable"), code
                seen["void refused: charge in flight" if code == "invoice_payment_in_progress" else "void refused: paid"] += 1
                assert [pi.amount for pi in charges] == [invoice["amount_due"]]
                assert refunded(sandbox_gateway, charges[0]) == 0
                assert (final["amount_paid"], final["amount_due"]) == (invoice["total"], 0)
            else:
                assert final["status"] == "void" and void.status_code == 200
                assert final["amount_paid"] == 0  # nothing counted: any money taken went back
                for intent in charges:
                    assert refunded(sandbox_gateway, intent) == intent.amount
                if charges:
                    refunded_invoices.append(invoice["id"])
                    seen["void won, charge refunded"] += 1
                else:
                    assert pay.status_code == 409 and pay.json()["error"]["code"] == "invoice_not_payable", pay.text
                    seen["void won, no charge"] += 1
    # The rounds did race: some voids came first, some met a charge in flight.
    assert seen["void won, no charge"] + seen["void won, charge refunded"] >= 1, seen
    assert seen["void refused: charge in flight"] >= 1, seen
    if refunded_invoices:
        events = await read_events("payment.refunded", timeout=5, quiet_s=1)
        assert set(refunded_invoices) <= {e.aggregate_id for e in events}
