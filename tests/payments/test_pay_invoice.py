"""Paying an invoice through the public API, against the sandbox gateway, the broker and invoicing."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timezone

import httpx

from tests.payments.conftest import envelope, issued_envelope, snapshot
from duely_contracts import Envelope
from duely_contracts.events import InvoiceOverdueDetected, InvoicePastDue, InvoiceVoided
from duely_runtime.auth import INTERNAL_HEADER
from duely_runtime.config import EMBEDDED_SECRET


async def events_about(read_events, topic: str, invoice_id: str) -> list:
    return [e for e in await read_events(topic, timeout=3, quiet_s=0.5) if e.aggregate_id == invoice_id]


def api(payments, org) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=payments.url, headers=org.headers, timeout=30)


async def test_visa_pays_the_invoice_exactly_once(payments, invoicing, issue_invoice, org, sandbox_gateway,
                                                  read_events, wait_for):
    invoice = await issue_invoice(org)
    async with api(payments, org) as client:
        response = await client.post(f"/v1/invoices/{invoice['id']}/pay", json={"payment_method": "pm_card_visa"})
        assert response.status_code == 200, response.text
        attempt = response.json()
        assert attempt["object"] == "payment_attempt" and attempt["status"] == "succeeded"
        assert (attempt["invoice_id"], attempt["attempt_number"]) == (invoice["id"], 1)
        assert (attempt["amount"], attempt["currency"]) == (invoice["amount_due"], "usd") and attempt["amount"] == 27063
        assert attempt["payment_method"] == "pm_card_visa" and attempt["payment_id"].startswith("pay_")

        # Paying again at once (before invoicing has said "paid") must not charge again.
        again = await client.post(f"/v1/invoices/{invoice['id']}/pay", json={"payment_method": "pm_card_visa"})
        assert again.status_code == 409 and again.json()["error"]["code"] == "invoice_not_payable"

        events = await wait_for(lambda: events_about(read_events, "payment.succeeded", invoice["id"]))
        assert len(events) == 1
        data = events[0].data
        assert data["payment_id"] == attempt["payment_id"] and data["attempt_number"] == 1
        assert data["amount"] == invoice["amount_due"] and data["payment_method"] == "pm_card_visa"
        assert data["invoice"]["number"] == invoice["number"]
        assert data["invoice"]["customer"]["email"] == "jane@example.com"
        assert data["invoice"]["hosted_invoice_url"] == invoice["hosted_invoice_url"]

        intents = sandbox_gateway.intents_for(invoice["id"])
        assert [(pi.status, pi.amount) for pi in intents] == [("succeeded", invoice["amount_due"])]
        assert data["gateway_reference"] == intents[0].id

        # Invoicing applies the payment; its invoice.paid reaches our read model.
        paid = await wait_for(lambda: _status_is(payments, invoice["id"], "paid"))
        assert paid.amount_due == 0
        still = await client.post(f"/v1/invoices/{invoice['id']}/pay", json={"payment_method": "pm_card_visa"})
        assert still.status_code == 409 and still.json()["error"]["code"] == "invoice_not_payable"

        listed = (await client.get("/v1/payments", params={"invoice_id": invoice["id"]})).json()
        assert listed["object"] == "list" and [p["id"] for p in listed["data"]] == [attempt["payment_id"]]
        payment = (await client.get(f"/v1/payments/{attempt['payment_id']}")).json()
        assert payment["object"] == "payment" and payment["amount"] == invoice["amount_due"]
        assert payment["attempt_id"] == attempt["id"] and payment["gateway_reference"] == intents[0].id
        attempts = (await client.get(f"/v1/invoices/{invoice['id']}/payment_attempts")).json()["data"]
        assert [(a["attempt_number"], a["status"]) for a in attempts] == [(1, "succeeded")]
    assert len(sandbox_gateway.intents_for(invoice["id"])) == 1


async def test_declines_are_recorded_numbered_and_leave_the_invoice_payable(
        payments, issue_invoice, org, sandbox_gateway, read_events, wait_for):
    invoice = await issue_invoice(org)
    async with api(payments, org) as client:
        for payment_method in ("pm_card_chargeDeclined", "pm_card_chargeCustomerFail"):
            response = await client.post(f"/v1/invoices/{invoice['id']}/pay", json={"payment_method": payment_method})
            assert response.status_code == 402, response.text
            error = response.json()["error"]
            assert (error["type"], error["code"], error["param"]) == ("card_error", "card_declined", "payment_method")
            assert error["message"]
            assert error["payment_attempt"]["status"] == "failed"

        failed = await wait_for(lambda: _at_least(events_about(read_events, "invoice.payment_failed", invoice["id"]), 2))
        assert sorted(e.data["attempt_number"] for e in failed) == [1, 2]
        assert {e.data["failure_code"] for e in failed} == {"card_declined"}
        assert {e.data["payment_method"] for e in failed} == {"pm_card_chargeDeclined", "pm_card_chargeCustomerFail"}
        assert all(e.data["invoice"]["number"] == invoice["number"] for e in failed)

        paid = await client.post(f"/v1/invoices/{invoice['id']}/pay", json={"payment_method": "pm_card_visa"})
        assert paid.status_code == 200 and paid.json()["attempt_number"] == 3
        attempts = (await client.get(f"/v1/invoices/{invoice['id']}/payment_attempts")).json()["data"]
        assert [(a["attempt_number"], a["status"], a["failure_code"]) for a in attempts] == [
            (1, "failed", "card_declined"), (2, "failed", "card_declined"), (3, "succeeded", None)]
    statuses = sorted(pi.status for pi in sandbox_gateway.intents_for(invoice["id"]))
    assert statuses == ["requires_payment_method", "requires_payment_method", "succeeded"]


async def test_another_organization_sees_nothing(payments, issue_invoice, org, other_org):
    invoice = await issue_invoice(org)
    async with api(payments, org) as mine:
        payment_id = (await mine.post(f"/v1/invoices/{invoice['id']}/pay",
                                      json={"payment_method": "pm_card_visa"})).json()["payment_id"]
    async with api(payments, other_org) as theirs:
        for response in (
            await theirs.post(f"/v1/invoices/{invoice['id']}/pay", json={"payment_method": "pm_card_visa"}),
            await theirs.get(f"/v1/payments/{payment_id}"),
            await theirs.get(f"/v1/invoices/{invoice['id']}/payment_attempts"),
        ):
            assert response.status_code == 404, response.text
            assert response.json()["error"]["code"] == "resource_missing"
        assert (await theirs.get("/v1/payments")).json()["data"] == []


async def test_bad_requests_get_one_clear_error_and_write_nothing(payments, issue_invoice, org):
    invoice = await issue_invoice(org)
    async with api(payments, org) as client:
        for body in (None, {}, {"payment_method": "  "}, {"payment_method": None}):
            response = await client.post(f"/v1/invoices/{invoice['id']}/pay", json=body)
            assert response.status_code == 400, response.text
            assert response.json()["error"]["param"] == "payment_method"
        unknown = await client.post("/v1/invoices/in_nope/pay", json={"payment_method": "pm_card_visa"})
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "resource_missing"
        unknown_field = await client.post(f"/v1/invoices/{invoice['id']}/pay", json={"payment_method": "pm_card_visa",
                                                                                     "amount": 1})
        assert unknown_field.status_code == 400 and unknown_field.json()["error"]["param"] == "amount"
    async with httpx.AsyncClient(base_url=payments.url) as anonymous:
        response = await anonymous.post(f"/v1/invoices/{invoice['id']}/pay", json={"payment_method": "pm_card_visa"})
        assert response.status_code == 401
    assert await payments.attempts(invoice["id"]) == []


async def test_concurrent_pay_requests_charge_once(payments, issue_invoice, org, sandbox_gateway):
    invoice = await issue_invoice(org)
    async with api(payments, org) as client:
        responses = await asyncio.gather(*[
            client.post(f"/v1/invoices/{invoice['id']}/pay", json={"payment_method": "pm_card_visa"})
            for _ in range(6)])
    codes = sorted(r.status_code for r in responses)
    assert codes.count(200) == 1 and set(codes) == {200, 409}, [r.text for r in responses]
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} <= {
        "payment_in_progress", "invoice_not_payable"}
    assert len(sandbox_gateway.intents_for(invoice["id"])) == 1
    assert len(await payments.payments(invoice["id"])) == 1


async def test_idempotency_key_replays_the_response_without_a_new_attempt(payments, issue_invoice, org,
                                                                            sandbox_gateway):
    invoice = await issue_invoice(org)
    async with api(payments, org) as client:
        headers = {"Idempotency-Key": f"pay-{invoice['id']}"}
        first = await client.post(f"/v1/invoices/{invoice['id']}/pay", json={"payment_method": "pm_card_chargeDeclined"},
                                  headers=headers)
        again = await client.post(f"/v1/invoices/{invoice['id']}/pay", json={"payment_method": "pm_card_chargeDeclined"},
                                  headers=headers)
    assert first.status_code == again.status_code == 402
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json() == first.json()
    assert len(await payments.attempts(invoice["id"])) == 1
    assert len(sandbox_gateway.intents_for(invoice["id"])) == 1


async def test_void_invoice_is_not_payable(payments, invoicing, issue_invoice, org, wait_for):
    invoice = await issue_invoice(org)
    async with httpx.AsyncClient(base_url=invoicing.url, headers=org.headers) as client:
        assert (await client.post(f"/v1/invoices/{invoice['id']}/void")).status_code == 200
    await wait_for(lambda: _status_is(payments, invoice["id"], "void"))
    async with api(payments, org) as client:
        response = await client.post(f"/v1/invoices/{invoice['id']}/pay", json={"payment_method": "pm_card_visa"})
    assert response.status_code == 409 and response.json()["error"]["code"] == "invoice_not_payable"


async def test_read_model_keeps_the_newest_version_and_a_replayed_issue_creates_nothing(
        payments, org, publish, wait_for):
    issued = snapshot(org.id, version=1)
    await publish(issued_envelope(issued))
    await wait_for(lambda: payments.invoice(issued.id))
    past_due = issued.model_copy(update={"status": "past_due", "version": 3})
    await publish(envelope("invoice.past_due", InvoicePastDue(invoice=past_due, days_overdue=2), past_due))
    await wait_for(lambda: _status_is(payments, issued.id, "past_due"))
    # Older news arriving late (another topic, or a replay with a new event id) changes nothing.
    stale_void = issued.model_copy(update={"status": "void", "version": 2})
    await publish(envelope("invoice.voided", InvoiceVoided(invoice=stale_void), stale_void))
    await publish(issued_envelope(issued))
    marker = snapshot(org.id)  # published after them on a topic we consume: once seen, the others were too
    await publish(issued_envelope(marker))
    await wait_for(lambda: payments.invoice(marker.id))
    await asyncio.sleep(0.5)
    row = await payments.invoice(issued.id)
    assert (row.status, row.version, row.amount_due) == ("past_due", 3, issued.amount_due)
    assert await payments.attempts(issued.id) == []
    assert row.customer["email"] == "jane@example.com" and row.organization_name == "Acme Payments Test"


async def test_past_due_invoice_can_be_paid_and_decline_names_the_attempt(payments, issue_invoice, org, publish,
                                                                           wait_for):
    # A real invoice, made past due by invoicing (dunning's overdue notice): invoicing must agree to the charge.
    invoice = await issue_invoice(org)
    overdue = InvoiceOverdueDetected(invoice_id=invoice["id"], due_date=invoice["due_date"],
                                     detected_at=datetime.now(timezone.utc))
    await publish(Envelope(type="dunning.invoice_overdue", organization_id=org.id, aggregate_id=invoice["id"],
                           aggregate_version=1, correlation_id=str(uuid.uuid4()), data=overdue.model_dump(mode="json")))
    await wait_for(lambda: _status_is(payments, invoice["id"], "past_due"))
    async with api(payments, org) as client:
        response = await client.post(f"/v1/invoices/{invoice['id']}/pay",
                                     json={"payment_method": "pm_card_chargeDeclined"})
        assert response.status_code == 402
        assert response.json()["error"]["payment_attempt"]["attempt_number"] == 1
        paid = await client.post(f"/v1/invoices/{invoice['id']}/pay", json={"payment_method": "pm_card_visa"})
        assert paid.status_code == 200 and paid.json()["attempt_number"] == 2


async def _status_is(payments, invoice_id: str, status: str):
    row = await payments.invoice(invoice_id)
    return row if row is not None and row.status == status else None


async def _at_least(awaitable, n: int):
    found = await awaitable
    return found if len(found) >= n else None


async def test_control_characters_in_a_body_are_a_400_naming_the_field_and_write_nothing(
        payments, issue_invoice, org, sandbox_gateway):
    """Postgres cannot store NUL (it was a 500 at the INSERT); no id or payment method holds a control character."""
    invoice = await issue_invoice(org)
    async with api(payments, org) as client:
        for value in ("pm_card_visa\x00", "pm_card\x1cvisa", "pm_card_visa\x85", "pm_card_visa\x7f"):
            response = await client.post(f"/v1/invoices/{invoice['id']}/pay", json={"payment_method": value})
            assert response.status_code == 400, response.text
            error = response.json()["error"]
            assert (error["type"], error["code"], error["param"]) == (
                "invalid_request_error", "parameter_invalid", "payment_method")
            assert "control characters" in error["message"]
    url = f"/internal/invoices/{invoice['id']}/pay"
    async with httpx.AsyncClient(base_url=payments.url, headers={INTERNAL_HEADER: EMBEDDED_SECRET}) as internal:
        for body, param in (({"organization_id": f"{org.id}\x00", "payment_method": "pm_card_visa"}, "organization_id"),
                            ({"organization_id": org.id, "payment_method": "pm_card_visa\x00"}, "payment_method")):
            response = await internal.post(url, json=body)
            assert response.status_code == 400, response.text
            assert response.json()["error"]["param"] == param
    assert await payments.attempts(invoice["id"]) == []
    assert sandbox_gateway.intents_for(invoice["id"]) == []
