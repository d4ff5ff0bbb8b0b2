"""One invoice's whole journey through the running platform: issue, email, hosted page,
pay (success and decline), receipt, webhooks — all through the real parts."""

from __future__ import annotations

import uuid

import httpx

from tests.e2e.conftest import body_text
from tests.conftest import wait_for

async def create_invoice(api, *, email: str, cc: list[str] | None = None) -> dict:
    customer = await api.post("/v1/customers", json={"name": "Ada Lovelace", "email": email, "cc_emails": cc or []})
    assert customer.status_code in (200, 201), customer.text
    invoice = await api.post("/v1/invoices", json={
        "customer_id": customer.json()["id"], "currency": "usd", "payment_terms": "net_30",
        "memo": "Thanks for your business",
        "lines": [
            {"description": "Consulting hours", "quantity": "1.5", "unit_amount": 20000,
             "tax_rates": [{"display_name": "Sales tax", "percentage": "8.25", "inclusive": False}]},
            {"description": "Support plan", "quantity": 1, "unit_amount": 5000},
        ]})
    assert invoice.status_code in (200, 201), invoice.text
    assert invoice.json()["status"] == "draft"
    assert invoice.json()["number"] is None
    return invoice.json()


async def invoice_status(api, invoice_id: str) -> dict:
    response = await api.get(f"/v1/invoices/{invoice_id}")
    assert response.status_code == 200, response.text
    return response.json()


async def test_invoice_is_issued_emailed_viewed_paid_and_receipted(api, endpoint, webhook_receiver, mailbox):
    email = f"ada+{uuid.uuid4().hex[:8]}@example.com"
    draft = await create_invoice(api, email=email, cc=["finance@example.com"])

    approved = await api.post(f"/v1/invoices/{draft['id']}/approve", headers={"Idempotency-Key": uuid.uuid4().hex})
    assert approved.status_code == 200, approved.text
    invoice = approved.json()
    assert invoice["status"] == "issued"
    assert invoice["number"].startswith("INV-")
    # 1.5 × 200.00 = 300.00 taxed at 8.25% = 24.75; plus 50.00 untaxed.
    assert (invoice["subtotal"], invoice["tax"], invoice["total"]) == (35000, 2475, 37475)
    assert invoice["amount_due"] == 37475 and invoice["amount_paid"] == 0
    assert invoice["due_date"] and invoice["hosted_invoice_url"]
    assert {"display_name": "Sales tax", "taxable_amount": 30000, "tax_amount": 2475}.items() <= \
        invoice["tax_breakdown"][0].items()

    # The customer (and the cc) get an email with the total, due date, lines and a Review link.
    issued_mail = await wait_for(lambda: _async(mailbox(subject_contains=invoice["number"], to=email)))
    assert len(issued_mail) == 1
    message = issued_mail[0]
    assert "ready" in message["Subject"].lower()
    assert "finance@example.com" in str(message["Cc"])
    text = body_text(message)
    assert "$374.75" in text and "Consulting hours" in text and "Support plan" in text
    assert "Review invoice" in text and invoice["hosted_invoice_url"] in text

    # The hosted page needs no login; the first open publishes invoice.viewed.
    async with httpx.AsyncClient() as anonymous:
        page = await anonymous.get(invoice["hosted_invoice_url"])
        await anonymous.get(invoice["hosted_invoice_url"])
        forged = await anonymous.get(invoice["hosted_invoice_url"][:-4] + "AAAA")
    assert page.status_code == 200
    for expected in ("$374.75", "Consulting hours", "Support plan", "Sales tax", "8.25", invoice["number"]):
        assert expected in page.text
    assert forged.status_code == 404

    paid = await api.post(f"/v1/invoices/{invoice['id']}/pay", json={"payment_method": "pm_card_visa"},
                          headers={"Idempotency-Key": uuid.uuid4().hex})
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "succeeded"

    final = await wait_for(lambda: _paid(api, invoice["id"]))
    assert final["amount_paid"] == 37475 and final["amount_due"] == 0
    receipt = await wait_for(lambda: _async(mailbox(subject_contains="Receipt", to=email)))
    assert len(receipt) == 1 and invoice["number"] in receipt[0]["Subject"]

    for event_type in ("invoice.issued", "invoice.viewed", "invoice.paid"):
        delivered = await wait_for(lambda: _async(webhook_receiver.events(event_type, invoice["id"])))
        assert len({d["id"] for d in delivered}) == 1, f"one {event_type} delivery"
    issued_hook = webhook_receiver.events("invoice.issued", invoice["id"])[0]["body"]
    assert issued_hook["data"]["invoice"]["total"] == 37475
    assert webhook_receiver.rejected == 0


async def test_declined_card_fails_then_invoice_stays_payable(api, endpoint, webhook_receiver, mailbox):
    email = f"bob+{uuid.uuid4().hex[:8]}@example.com"
    draft = await create_invoice(api, email=email)
    invoice = (await api.post(f"/v1/invoices/{draft['id']}/approve")).json()

    declined = await api.post(f"/v1/invoices/{invoice['id']}/pay",
                              json={"payment_method": "pm_card_chargeDeclined"})
    assert declined.status_code == 402, declined.text
    assert declined.json()["error"]["code"] == "card_declined"

    failed_hooks = await wait_for(lambda: _async(webhook_receiver.events("invoice.payment_failed", invoice["id"])))
    data = failed_hooks[0]["body"]["data"]
    assert data["failure_code"] == "card_declined" and data["attempt_number"] == 1
    failed_mail = await wait_for(lambda: _async(mailbox(subject_contains="failed", to=email)))
    assert len(failed_mail) == 1
    assert (await invoice_status(api, invoice["id"]))["status"] == "issued"

    paid = await api.post(f"/v1/invoices/{invoice['id']}/pay", json={"payment_method": "pm_card_visa"})
    assert paid.status_code == 200 and paid.json()["attempt_number"] == 2
    await wait_for(lambda: _paid(api, invoice["id"]))


async def test_bad_input_is_a_clear_error_and_writes_nothing(api, platform):
    before = (await api.get("/v1/invoices", params={"limit": 100})).json()["data"]
    customer = (await api.post("/v1/customers", json={"name": "Eve", "email": "eve@example.com"})).json()
    line = {"description": "x", "quantity": 1, "unit_amount": 100}
    cases = [
        ({"customer_id": "cus_unknown", "currency": "usd", "lines": [line]}, "customer_id"),
        ({"customer_id": customer["id"], "currency": "usd", "lines": []}, "lines"),
        ({"customer_id": customer["id"], "currency": "usd", "lines": [{**line, "quantity": -1}]}, "lines[0].quantity"),
        ({"customer_id": customer["id"], "currency": "zzz", "lines": [line]}, "currency"),
    ]
    for body, param in cases:
        response = await api.post("/v1/invoices", json=body)
        assert 400 <= response.status_code < 500, (body, response.text)
        error = response.json()["error"]
        assert error["param"] == param and error["message"] and error["type"]
    malformed = await api.post("/v1/invoices", content=b"{not json", headers={"Content-Type": "application/json"})
    assert malformed.status_code == 400 and malformed.json()["error"]["code"] == "invalid_json"
    async with httpx.AsyncClient(base_url=platform.config.url("gateway")) as anonymous:
        missing = await anonymous.get("/v1/invoices")
        wrong = await anonymous.get("/v1/invoices", headers={"Authorization": "Bearer sk_live_nope"})
    assert missing.status_code == 401 and missing.json()["error"]["type"] == "authentication_error"
    assert wrong.status_code == 401
    after = (await api.get("/v1/invoices", params={"limit": 100})).json()["data"]
    assert len(after) == len(before)


async def test_another_organizations_key_sees_nothing(api, platform):
    draft = await create_invoice(api, email="carol@example.com")
    other = await _org_client(platform, "Other Org")
    async with other:
        assert (await other.get(f"/v1/invoices/{draft['id']}")).status_code == 404
        assert (await other.post(f"/v1/invoices/{draft['id']}/approve")).status_code == 404
        listed = (await other.get("/v1/invoices")).json()["data"]
        assert draft["id"] not in [i["id"] for i in listed]
    assert (await invoice_status(api, draft["id"]))["status"] == "draft"


async def _org_client(platform, name: str) -> httpx.AsyncClient:
    response = httpx.post(platform.config.url("invoicing") + "/internal/organizations", json={"name": name},
                          headers={"X-Duely-Internal-Secret": "embedded-dev-secret-not-for-production"})
    response.raise_for_status()
    return httpx.AsyncClient(base_url=platform.config.url("gateway"),
                             headers={"Authorization": f"Bearer {response.json()['api_key']}"})


async def _paid(api, invoice_id: str):
    invoice = await invoice_status(api, invoice_id)
    return invoice if invoice["status"] == "paid" else None


async def _async(value):
    return value
