"""Recording payments made outside the gateway (POST /v1/invoices/{id}/payments): full, partial, overpaid,
idempotent, validated and isolated. Real parts: invoicing and payments on Postgres, the broker."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta, timezone

import httpx

from duely_runtime.auth import INTERNAL_HEADER
from duely_runtime.config import EMBEDDED_SECRET

TOTAL = 27063  # 2 × 125.00 + 8.25% tax, as issue_invoice makes it


def api(payments, org) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=payments.url, headers=org.headers, timeout=30)


async def events_about(read_events, topic: str, invoice_id: str) -> list:
    return [e for e in await read_events(topic, timeout=3, quiet_s=0.5) if e.aggregate_id == invoice_id]


async def invoicing_invoice(invoicing, org, invoice_id: str) -> dict:
    async with httpx.AsyncClient(base_url=invoicing.url, headers=org.headers) as merchant:
        response = await merchant.get(f"/v1/invoices/{invoice_id}")
        assert response.status_code == 200, response.text
        return response.json()


async def invoicing_customer(invoicing, org, customer_id: str) -> dict:
    async with httpx.AsyncClient(base_url=invoicing.url, headers=org.headers) as merchant:
        response = await merchant.get(f"/v1/customers/{customer_id}")
        assert response.status_code == 200, response.text
        return response.json()


def counted(invoicing, org, invoice_id: str, amount_paid: int):
    """wait_for(counted(...)): the invoice once invoicing has counted `amount_paid` (and so ended the hold)."""
    async def check():
        body = await invoicing_invoice(invoicing, org, invoice_id)
        return body if body["amount_paid"] == amount_paid else None
    return check


async def test_a_full_manual_payment_is_announced_and_pays_the_invoice(
        payments, invoicing, issue_invoice, org, read_events, wait_for):
    invoice = await issue_invoice(org)
    paid_at = (datetime.now(timezone.utc) - timedelta(days=2)).replace(microsecond=0)
    async with api(payments, org) as client:
        response = await client.post(f"/v1/invoices/{invoice['id']}/payments", json={
            "method": "wire_transfer", "reference": "WIRE-7781", "note": "Received at First Bank",
            "paid_at": paid_at.isoformat()})
        assert response.status_code == 201, response.text
        payment = response.json()
        assert payment["object"] == "payment" and payment["id"].startswith("pay_")
        assert (payment["invoice_id"], payment["amount"], payment["currency"]) == (invoice["id"], TOTAL, "usd")
        assert (payment["manual"], payment["method_type"], payment["payment_method"]) == (
            True, "wire_transfer", "wire_transfer")
        assert (payment["reference"], payment["note"]) == ("WIRE-7781", "Received at First Bank")
        assert payment["paid_at"] == paid_at.isoformat().replace("+00:00", "Z")
        assert (payment["attempt_id"], payment["attempt_number"], payment["gateway_reference"]) == (None, 1, None)
        assert (payment["amount_refunded"], payment["refunds"]) == (0, [])

        [event] = await wait_for(lambda: events_about(read_events, "payment.succeeded", invoice["id"]))
        data = event.data
        assert event.organization_id == org.id
        assert (data["payment_id"], data["amount"], data["currency"]) == (payment["id"], TOTAL, "usd")
        assert (data["manual"], data["method_type"], data["reference"], data["allow_overpayment"]) == (
            True, "wire_transfer", "WIRE-7781", False)
        assert data["attempt_id"].startswith("payrec_") and data["attempt_number"] == 1
        assert data["succeeded_at"] == payment["paid_at"]
        assert (data["invoice"]["number"], data["invoice"]["amount_due"]) == (invoice["number"], TOTAL)

        # Invoicing counts it (and so ends the reservation the payment took): the invoice is paid.
        after = await wait_for(counted(invoicing, org, invoice["id"], TOTAL))
        assert (after["status"], after["amount_due"]) == ("paid", 0)
        again = await client.post(f"/v1/invoices/{invoice['id']}/payments", json={"method": "check"})
        assert again.status_code == 409 and again.json()["error"]["code"] == "invoice_not_payable"

        for listed in ((await client.get(f"/v1/invoices/{invoice['id']}/payments")).json(),
                       (await client.get("/v1/payments", params={"invoice_id": invoice["id"]})).json(),
                       (await client.get("/v1/payments", params={"customer_id": invoice["customer_id"]})).json()):
            assert [p["id"] for p in listed["data"]] == [payment["id"]]
            assert listed["data"][0]["manual"] is True and listed["data"][0]["reference"] == "WIRE-7781"
        assert (await client.get(f"/v1/payments/{payment['id']}")).json() == payment
    assert len(await payments.payments(invoice["id"])) == 1


async def test_partial_manual_payments_reduce_the_balance_until_it_is_paid(
        payments, invoicing, issue_invoice, org, read_events, wait_for):
    invoice = await issue_invoice(org)
    async with api(payments, org) as client:
        first = await client.post(f"/v1/invoices/{invoice['id']}/payments",
                                  json={"method": "check", "amount": 10000, "reference": "CHK 1001"})
        assert first.status_code == 201, first.text
        assert first.json()["amount"] == 10000
        open_ = await wait_for(counted(invoicing, org, invoice["id"], 10000))
        assert (open_["status"], open_["amount_due"]) == ("issued", TOTAL - 10000)

        # No amount: the rest of the balance, as invoicing says it is now.
        second = await client.post(f"/v1/invoices/{invoice['id']}/payments", json={"method": "cash"})
        assert second.status_code == 201, second.text
        assert (second.json()["amount"], second.json()["attempt_number"]) == (TOTAL - 10000, 2)
        paid = await wait_for(counted(invoicing, org, invoice["id"], TOTAL))
        assert (paid["status"], paid["amount_due"]) == ("paid", 0)

        listed = (await client.get(f"/v1/invoices/{invoice['id']}/payments")).json()["data"]
        assert [p["id"] for p in listed] == [second.json()["id"], first.json()["id"]]  # newest first
        assert [p["method_type"] for p in listed] == ["cash", "check"]
    events = await wait_for(lambda: events_about(read_events, "payment.succeeded", invoice["id"]))
    assert sorted(e.data["amount"] for e in events) == sorted([10000, TOTAL - 10000])
    assert sorted(e.aggregate_version for e in events) == [1, 2]


async def test_overpayment_is_refused_without_the_flag_and_nothing_is_held(
        payments, invoicing, issue_invoice, org, read_events, wait_for):
    invoice = await issue_invoice(org)
    async with api(payments, org) as client:
        over = await client.post(f"/v1/invoices/{invoice['id']}/payments",
                                 json={"method": "wire_transfer", "amount": TOTAL + 1})
        assert over.status_code == 400, over.text
        error = over.json()["error"]
        assert (error["code"], error["param"]) == ("parameter_invalid", "amount")
        assert str(TOTAL) in error["message"] and "allow_overpayment" in error["message"]
        assert await payments.payments(invoice["id"]) == []

        # The reservation was released: a correct request goes through at once.
        right = await client.post(f"/v1/invoices/{invoice['id']}/payments",
                                  json={"method": "wire_transfer", "amount": TOTAL - 63})
        assert right.status_code == 201, right.text
        await wait_for(counted(invoicing, org, invoice["id"], TOTAL - 63))

        # With the flag, more than the balance is recorded and announced as such.
        flagged = await client.post(f"/v1/invoices/{invoice['id']}/payments",
                                    json={"method": "wire_transfer", "amount": 100, "allow_overpayment": True})
        assert flagged.status_code == 201, flagged.text
        assert flagged.json()["amount"] == 100
    events = await wait_for(lambda: events_about(read_events, "payment.succeeded", invoice["id"]))
    assert [(e.data["amount"], e.data["allow_overpayment"]) for e in sorted(events, key=lambda e: e.aggregate_version)
            ] == [(TOTAL - 63, False), (100, True)]
    # Invoicing counts up to the balance and keeps the other 37 as the customer's credit.
    paid = await wait_for(counted(invoicing, org, invoice["id"], TOTAL))
    assert paid["status"] == "paid" and paid["amount_due"] == 0
    customer = await invoicing_customer(invoicing, org, paid["customer_id"])
    assert customer["credit_balance"] == {paid["currency"]: 37}


async def test_an_idempotency_key_replays_the_same_payment_once(
        payments, invoicing, issue_invoice, org, read_events, wait_for):
    invoice = await issue_invoice(org)
    key = {"Idempotency-Key": f"manual-{uuid.uuid4()}"}
    body = {"method": "wire_transfer", "amount": 5000, "reference": "W-1"}
    async with api(payments, org) as client:
        first = await client.post(f"/v1/invoices/{invoice['id']}/payments", json=body, headers=key)
        assert first.status_code == 201, first.text
        replay = await client.post(f"/v1/invoices/{invoice['id']}/payments", json=body, headers=key)
        assert replay.status_code == 201 and replay.json() == first.json()
        await wait_for(counted(invoicing, org, invoice["id"], 5000))
        again = await client.post(f"/v1/invoices/{invoice['id']}/payments", json=body, headers=key)
        assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert [p.id for p in await payments.payments(invoice["id"])] == [first.json()["id"]]
    events = await wait_for(lambda: events_about(read_events, "payment.succeeded", invoice["id"]))
    assert [e.data["payment_id"] for e in events] == [first.json()["id"]]
    assert (await invoicing_invoice(invoicing, org, invoice["id"]))["amount_paid"] == 5000


async def test_bad_input_names_the_field_and_records_nothing(payments, issue_invoice, org):
    invoice = await issue_invoice(org)
    future = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
    cases = [
        ({}, "method"),
        ({"method": "bitcoin"}, "method"),
        ({"method": "check", "amount": 0}, "amount"),
        ({"method": "check", "amount": -5}, "amount"),
        ({"method": "check", "amount": 10.5}, "amount"),
        ({"method": "check", "amount": "100"}, "amount"),
        ({"method": "check", "reference": "x" * 201}, "reference"),
        ({"method": "check", "reference": "CHK 1001\nsecond line"}, "reference"),  # printed on one line
        ({"method": "check", "note": "x" * 1001}, "note"),
        ({"method": "check", "paid_at": future}, "paid_at"),
        ({"method": "check", "paid_at": "yesterday"}, "paid_at"),
        ({"method": "check", "surprise": 1}, "surprise"),
    ]
    async with api(payments, org) as client:
        for body, param in cases:
            response = await client.post(f"/v1/invoices/{invoice['id']}/payments", json=body)
            assert response.status_code == 400, (body, response.text)
            error = response.json()["error"]
            assert error["param"] == param, (body, error)
            assert error["type"] == "invalid_request_error" and error["message"]
        assert await payments.payments(invoice["id"]) == []
        # Nothing was left holding the invoice.
        ok = await client.post(f"/v1/invoices/{invoice['id']}/payments", json={"method": "other", "amount": 1})
        assert ok.status_code == 201, ok.text


async def test_a_charge_in_flight_or_an_unknown_invoice_is_refused(payments, invoicing, issue_invoice, org):
    invoice = await issue_invoice(org)
    async with httpx.AsyncClient(base_url=invoicing.url, headers={INTERNAL_HEADER: EMBEDDED_SECRET}) as internal:
        held = await internal.post(f"/internal/invoices/{invoice['id']}/charge_reservation",
                                   json={"organization_id": org.id, "attempt_id": "payatt_someone_else"})
        assert held.status_code == 200, held.text
        async with api(payments, org) as client:
            busy = await client.post(f"/v1/invoices/{invoice['id']}/payments", json={"method": "check"})
            assert busy.status_code == 409 and busy.json()["error"]["code"] == "payment_in_progress"
            released = await internal.post(f"/internal/invoices/{invoice['id']}/charge_reservation/release",
                                           json={"organization_id": org.id, "attempt_id": "payatt_someone_else"})
            assert released.json()["released"] is True
            missing = await client.post("/v1/invoices/in_nosuchinvoice/payments", json={"method": "check"})
            assert missing.status_code == 404
            assert (await client.get("/v1/invoices/in_nosuchinvoice/payments")).status_code == 404
    assert await payments.payments(invoice["id"]) == []


async def test_another_organization_sees_and_records_nothing(
        payments, invoicing, issue_invoice, org, other_org, wait_for):
    invoice = await issue_invoice(org)
    async with api(payments, org) as owner, api(payments, other_org) as stranger:
        foreign = await stranger.post(f"/v1/invoices/{invoice['id']}/payments", json={"method": "check"})
        assert foreign.status_code == 404, foreign.text
        assert await payments.payments(invoice["id"]) == []
        mine = await owner.post(f"/v1/invoices/{invoice['id']}/payments", json={"method": "check", "amount": 700})
        assert mine.status_code == 201, mine.text
        payment_id = mine.json()["id"]
        assert (await stranger.get(f"/v1/invoices/{invoice['id']}/payments")).status_code == 404
        assert (await stranger.get(f"/v1/payments/{payment_id}")).status_code == 404
        assert (await stranger.get("/v1/payments", params={"invoice_id": invoice["id"]})).json()["data"] == []
        assert (await stranger.get("/v1/payments", params={"customer_id": invoice["customer_id"]})).json()["data"] == []
        assert (await stranger.post(f"/v1/payments/{payment_id}/refunds", json={})).status_code == 404
        assert (await stranger.get(f"/v1/payments/{payment_id}/refunds")).status_code == 404
        assert (await owner.get(f"/v1/payments/{payment_id}/refunds")).json()["data"] == []


async def test_concurrent_manual_payments_on_one_invoice_record_one(payments, invoicing, issue_invoice, org):
    invoice = await issue_invoice(org)
    async with api(payments, org) as client:
        answers = await asyncio.gather(*[
            client.post(f"/v1/invoices/{invoice['id']}/payments", json={"method": "cash", "amount": 1000})
            for _ in range(4)])
    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(201) == 1 and set(statuses) == {201, 409}, [a.text for a in answers]
    assert len(await payments.payments(invoice["id"])) == 1
