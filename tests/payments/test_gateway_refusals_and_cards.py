"""What the gateway refuses as invalid is the caller's 400, not a payment failure; what it declines is
a failure with a customer-safe reason; either way the attempt knows the card's brand and last4."""

from __future__ import annotations


from duely_runtime.auth import INTERNAL_HEADER
from duely_runtime.config import EMBEDDED_SECRET
from tests.payments.test_pay_invoice import api, events_about

INSUFFICIENT_FUNDS = "pm_card_visa_chargeDeclinedInsufficientFunds"  # Stripe's test id, declined when charged


async def test_a_payment_method_the_gateway_does_not_know_is_a_400_and_not_a_failure(
        payments, issue_invoice, org, sandbox_gateway, read_events, wait_for):
    invoice = await issue_invoice(org)
    async with api(payments, org) as client:
        for unknown in ("pm_card_doesnotexist", "not-a-payment-method"):  # unknown; malformed
            response = await client.post(f"/v1/invoices/{invoice['id']}/pay", json={"payment_method": unknown})
            assert response.status_code == 400, response.text
            error = response.json()["error"]
            assert (error["type"], error["code"], error["param"]) == (
                "invalid_request_error", "payment_method_invalid", "payment_method")
            assert f"'{unknown}'" in error["message"] and "Nothing was charged" in error["message"]
            assert "payment_attempt" not in error
        # The portal's route says the same (it shows its customer "this payment method can't be used").
        internal = await client.post(f"/internal/invoices/{invoice['id']}/pay", headers={INTERNAL_HEADER: EMBEDDED_SECRET},
                                     json={"organization_id": org.id, "payment_method": "pm_card_doesnotexist"})
        assert internal.status_code == 400 and internal.json()["error"]["code"] == "payment_method_invalid"

        assert (await client.get(f"/v1/invoices/{invoice['id']}/payment_attempts")).json()["data"] == []
        # Kept as `invalid` (never listed) so their attempt numbers and gateway keys are never reused.
        assert [a.status for a in await payments.attempts(invoice["id"])] == ["invalid"] * 3

        # The charge reservation was released: a good card pays at once, not 409 payment_in_progress.
        paid = await client.post(f"/v1/invoices/{invoice['id']}/pay", json={"payment_method": "pm_card_visa"})
        assert paid.status_code == 200, paid.text
        attempt = paid.json()
        assert (attempt["status"], attempt["attempt_number"]) == ("succeeded", 4)
        assert attempt["card"] == {"brand": "visa", "last4": "4242"} and attempt["failure_reason"] is None
        listed = (await client.get(f"/v1/invoices/{invoice['id']}/payment_attempts")).json()["data"]
        assert [(a["attempt_number"], a["status"]) for a in listed] == [(4, "succeeded")]

    succeeded = await wait_for(lambda: events_about(read_events, "payment.succeeded", invoice["id"]))
    # The first payments event about this invoice: the refusals published nothing before it.
    assert [e.aggregate_version for e in succeeded] == [1]
    assert succeeded[0].data["card"] == {"brand": "visa", "last4": "4242"}
    assert await events_about(read_events, "invoice.payment_failed", invoice["id"]) == []
    assert [pi.status for pi in sandbox_gateway.intents_for(invoice["id"])] == ["succeeded"]


async def test_a_decline_carries_the_card_and_a_reason_the_customer_may_read(
        payments, issue_invoice, org, read_events, wait_for):
    invoice = await issue_invoice(org)
    async with api(payments, org) as client:
        response = await client.post(f"/v1/invoices/{invoice['id']}/pay", json={"payment_method": INSUFFICIENT_FUNDS})
        assert response.status_code == 402, response.text
        error = response.json()["error"]
        assert (error["type"], error["code"]) == ("card_error", "card_declined")
        attempt = error["payment_attempt"]
        assert attempt["failure_reason"] == "insufficient_funds"
        assert attempt["card"] == {"brand": "visa", "last4": "9995"}
        declined = await client.post(f"/v1/invoices/{invoice['id']}/pay", json={"payment_method": "pm_card_chargeDeclined"})
        assert declined.json()["error"]["payment_attempt"]["failure_reason"] == "card_declined"  # generic_decline

    failed = await wait_for(lambda: _two(events_about(read_events, "invoice.payment_failed", invoice["id"])))
    by_number = {e.data["attempt_number"]: e.data for e in failed}
    assert by_number[1]["failure_reason"] == "insufficient_funds" and by_number[1]["failure_code"] == "card_declined"
    assert by_number[1]["card"] == {"brand": "visa", "last4": "9995"}
    assert by_number[2]["failure_reason"] == "card_declined" and by_number[2]["card"]["last4"] == "0341"


async def _two(awaitable):
    found = await awaitable
    return found if len(found) >= 2 else None
