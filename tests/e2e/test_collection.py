"""Payment collection through the running platform: saved methods, AutoPay driven by the test clock,
bank debits settled by the sandbox's signed events, manual and partial payments, refunds, expiring cards.
Every organization here is its own (its clock moves without touching anyone else's invoices)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta

import stripe

from tests.conftest import wait_for
from tests.e2e.conftest import body_text

MANDATE = {"ip_address": "203.0.113.7", "user_agent": "Mozilla/5.0 (e2e)"}


async def customer_with(api, *, autopay: dict | None = None, accepted: list[str] | None = None) -> dict:
    body = {"name": "Grace Hopper", "email": f"grace+{uuid.uuid4().hex[:8]}@example.com"}
    if autopay is not None:
        body["autopay"] = autopay
    if accepted is not None:
        body["accepted_payment_methods"] = accepted
    response = await api.post("/v1/customers", json=body)
    assert response.status_code in (200, 201), response.text
    return response.json()


async def save_method(api, customer_id: str, payment_method: str, **extra) -> dict:
    response = await api.post(f"/v1/customers/{customer_id}/payment_methods",
                              json={"payment_method": payment_method, **extra},
                              headers={"Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code in (200, 201), response.text
    return response.json()


async def known_to_invoicing(api, customer_id: str, method_id: str, autopay: dict) -> None:
    """Name the saved method in the customer's AutoPay: invoicing accepts it once payment_method.attached
    reached it (its read model fixes each invoice's AutoPay plan at approval)."""
    async def named():
        response = await api.patch(f"/v1/customers/{customer_id}",
                                   json={"autopay": {**autopay, "payment_method_id": method_id}})
        return response if response.status_code == 200 else None
    await wait_for(named, timeout=30)


async def issue(api, customer_id: str, *, amount: int = 10000, currency: str = "usd", terms: str = "net_30",
                subscription_id: str | None = None) -> dict:
    body = {"customer_id": customer_id, "currency": currency, "payment_terms": terms,
            "lines": [{"description": "Plan", "quantity": 1, "unit_amount": amount}]}
    if subscription_id:
        body["subscription_id"] = subscription_id
    draft = await api.post("/v1/invoices", json=body)
    assert draft.status_code in (200, 201), draft.text
    approved = await api.post(f"/v1/invoices/{draft.json()['id']}/approve")
    assert approved.status_code == 200, approved.text
    return approved.json()


async def advance(api, days: int) -> dict:
    response = await api.post("/v1/test_clocks/advance", json={"days": days})
    assert response.status_code == 200, response.text
    return response.json()


async def attempts(api, invoice_id: str) -> list[dict]:
    response = await api.get(f"/v1/invoices/{invoice_id}/payment_attempts")
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def invoice(api, invoice_id: str) -> dict:
    return (await api.get(f"/v1/invoices/{invoice_id}")).json()


async def until_status(api, invoice_id: str, status: str, timeout: float = 60) -> dict:
    async def reached():
        body = await invoice(api, invoice_id)
        return body if body["status"] == status else None
    return await wait_for(reached, timeout=timeout)


def sandbox(platform) -> stripe.StripeClient:
    return stripe.StripeClient("sk_test_sandbox", base_addresses={"api": f"http://127.0.0.1:{platform.config.stripe_port}"})


async def test_autopay_on_due_date_charges_on_the_day_not_before_and_once(fresh_org):
    api = fresh_org
    customer = await customer_with(api, autopay={"enabled": True, "timing": "on_due_date"})
    method = await save_method(api, customer["id"], "pm_card_visa")
    assert (method["type"], method["status"], method["is_default"]) == ("card", "active", True)
    assert method["card"]["last4"] == "4242"

    issued = await issue(api, customer["id"], terms="net_30")
    assert issued["autopay"]["enabled"] is True and issued["autopay"]["charge_date"] == issued["due_date"]

    async def planned():
        response = await api.get(f"/v1/invoices/{issued['id']}/collection")
        entries = [e for e in response.json().get("entries", []) if e["kind"] == "autopay_charge"] \
            if response.status_code == 200 else []
        return entries or None
    [entry] = await wait_for(planned, timeout=30)
    assert entry["status"] == "planned" and entry["due_at"].startswith(issued["due_date"])

    due = date.fromisoformat(issued["due_date"])
    today = date.fromisoformat(issued["issued_at"][:10])
    await advance(api, (due - today).days - 1)  # the day before: nothing
    await asyncio.sleep(2)
    assert await attempts(api, issued["id"]) == []
    assert (await invoice(api, issued["id"]))["status"] == "issued"

    await advance(api, 1)  # the day itself
    paid = await until_status(api, issued["id"], "paid")
    assert paid["amount_due"] == 0
    [attempt] = await attempts(api, issued["id"])
    assert attempt["status"] == "succeeded" and attempt["card"]["last4"] == "4242"

    await advance(api, 3)  # later days: still one charge
    await asyncio.sleep(2)
    assert len(await attempts(api, issued["id"])) == 1
    timeline = (await api.get(f"/v1/invoices/{issued['id']}/collection")).json()
    [entry] = [e for e in timeline["entries"] if e["kind"] == "autopay_charge"]
    assert entry["status"] == "done"
    assert any(h["type"] == "invoice.paid" for h in timeline["history"])


async def test_a_subscriptions_autopay_beats_the_customers(fresh_org):
    api = fresh_org
    customer = await customer_with(api, autopay={"enabled": True, "timing": "on_due_date"})
    await save_method(api, customer["id"], "pm_card_visa")
    subscription = await api.post("/v1/subscriptions", json={
        "customer_id": customer["id"], "description": "Monthly plan",
        "settings": {"autopay": {"enabled": True, "timing": "on_issue"}}})
    assert subscription.status_code in (200, 201), subscription.text
    issued = await issue(api, customer["id"], subscription_id=subscription.json()["id"])
    assert issued["autopay"]["timing"] == "on_issue"
    await until_status(api, issued["id"], "paid")
    assert len(await attempts(api, issued["id"])) == 1

    settings = (await api.get(f"/v1/invoices/{issued['id']}/settings")).json()["settings"]
    assert settings["autopay"]["source"] == "subscription"


async def test_no_usable_method_means_no_charge_and_the_merchant_is_told_why(fresh_org):
    api = fresh_org
    customer = await customer_with(api, autopay={"enabled": True, "timing": "on_issue"})
    issued = await issue(api, customer["id"])

    async def skipped():
        timeline = (await api.get(f"/v1/invoices/{issued['id']}/collection")).json()
        found = [h for h in timeline.get("history", []) if h["type"] == "invoice.autopay_skipped"]
        return found or None
    [event] = await wait_for(skipped, timeout=30)
    assert event["detail"]["reason"] == "no_payment_method"
    assert await attempts(api, issued["id"]) == []
    assert (await invoice(api, issued["id"]))["status"] == "issued"


async def test_ach_debit_processes_then_settles_paid(fresh_org, platform):
    api = fresh_org
    customer = await customer_with(api, autopay={"enabled": True, "timing": "on_issue"},
                                   accepted=["card", "ach_debit"])
    pm = await asyncio.to_thread(sandbox(platform).v1.payment_methods.create, params={
        "type": "us_bank_account", "billing_details": {"name": "Grace Hopper"},
        "us_bank_account": {"routing_number": "110000000", "account_number": "000123456789",
                            "account_holder_type": "individual"}})
    method = await save_method(api, customer["id"], pm.id, mandate=MANDATE,
                               authorization_text="I authorize Collect Co to debit my account.")
    assert method["type"] == "us_bank_account" and method["us_bank_account"]["last4"] == "6789"
    assert method["mandate"]["ip_address"] == MANDATE["ip_address"]

    issued = await issue(api, customer["id"])

    async def processing():
        found = await attempts(api, issued["id"])
        return found if found and found[0]["status"] in ("processing", "succeeded") else None
    await wait_for(processing, timeout=30)
    await until_status(api, issued["id"], "paid", timeout=90)
    [attempt] = await attempts(api, issued["id"])
    assert attempt["status"] == "succeeded"


async def test_sepa_debit_waits_for_the_prenotification_and_a_late_failure_reopens_collection(fresh_org, platform,
                                                                                              mailbox):
    api = fresh_org
    customer = await customer_with(api, autopay={"enabled": True, "timing": "on_issue"},
                                   accepted=["card", "sepa_debit"])
    pm = await asyncio.to_thread(sandbox(platform).v1.payment_methods.create, params={
        "type": "sepa_debit", "billing_details": {"name": "Grace Hopper", "email": customer["email"]},
        "sepa_debit": {"iban": "DE62370400440532013001"}})
    method = await save_method(api, customer["id"], pm.id, mandate=MANDATE)
    assert method["mandate"]["reference"]
    await known_to_invoicing(api, customer["id"], method["id"], {"enabled": True, "timing": "on_issue"})

    issued = await issue(api, customer["id"], currency="eur")
    today = date.fromisoformat(issued["issued_at"][:10])
    assert issued["autopay"]["charge_date"] == (today + timedelta(days=14)).isoformat()  # pre-notified 14 days ahead

    mail = await wait_for(lambda: _async(mailbox(subject_contains=issued["number"], to=customer["email"])))
    text = body_text(mail[0])
    assert method["mandate"]["reference"] in text and "3001" in text

    await advance(api, 13)
    await asyncio.sleep(2)
    assert await attempts(api, issued["id"]) == []
    await advance(api, 1)

    async def failed_late():
        found = await attempts(api, issued["id"])
        return found if found and found[0]["status"] == "failed" else None
    [attempt] = await wait_for(failed_late, timeout=90)
    body = await invoice(api, issued["id"])
    assert body["status"] in ("issued", "past_due") and body["amount_due"] == issued["total"]
    # Payable again by hand: a card payment now goes through.
    paid = await api.post(f"/v1/invoices/{issued['id']}/pay", json={"payment_method": "pm_card_visa"})
    assert paid.status_code == 200, paid.text


async def test_manual_partial_payments_reach_zero_with_a_receipt_each(fresh_org, mailbox):
    api = fresh_org
    customer = await customer_with(api)
    issued = await issue(api, customer["id"], amount=10000)

    too_much = await api.post(f"/v1/invoices/{issued['id']}/payments",
                              json={"amount": 10001, "method": "wire_transfer"})
    assert too_much.status_code == 400 and too_much.json()["error"]["param"] == "amount"

    first = await api.post(f"/v1/invoices/{issued['id']}/payments",
                           json={"amount": 4000, "method": "wire_transfer", "reference": "WIRE-1"},
                           headers={"Idempotency-Key": "first-" + issued["id"]})
    assert first.status_code == 201, first.text
    again = await api.post(f"/v1/invoices/{issued['id']}/payments",
                           json={"amount": 4000, "method": "wire_transfer", "reference": "WIRE-1"},
                           headers={"Idempotency-Key": "first-" + issued["id"]})
    assert again.json()["id"] == first.json()["id"]

    async def balance(expected):
        body = await invoice(api, issued["id"])
        return body if body["amount_due"] == expected else None
    partly = await wait_for(lambda: balance(6000), timeout=30)
    assert partly["status"] == "issued"

    second = await api.post(f"/v1/invoices/{issued['id']}/payments", json={"method": "check", "reference": "CHK-7"})
    assert second.status_code == 201 and second.json()["amount"] == 6000
    await until_status(api, issued["id"], "paid")

    receipts = await wait_for(lambda: _async(
        r if len(r := mailbox(subject_contains="Receipt", to=customer["email"])) >= 2 else None), timeout=60)
    assert len(receipts) == 2
    texts = [body_text(m) for m in receipts]
    assert any("$60.00" in t for t in texts) and any("$40.00" in t for t in texts)

    listed = (await api.get("/v1/payments", params={"invoice_id": issued["id"]})).json()["data"]
    assert sorted(p["amount"] for p in listed) == [4000, 6000]


async def test_a_refund_reopens_the_balance(fresh_org):
    api = fresh_org
    customer = await customer_with(api)
    issued = await issue(api, customer["id"], amount=5000)
    paid = await api.post(f"/v1/invoices/{issued['id']}/pay", json={"payment_method": "pm_card_visa"})
    assert paid.status_code == 200, paid.text
    await until_status(api, issued["id"], "paid")
    payment_id = paid.json()["payment_id"]

    refund = await api.post(f"/v1/payments/{payment_id}/refunds", json={"amount": 2000})
    assert refund.status_code in (200, 201), refund.text

    async def reopened():
        body = await invoice(api, issued["id"])
        return body if body["amount_due"] == 2000 else None
    body = await wait_for(reopened, timeout=60)
    assert body["status"] in ("issued", "past_due")
    over = await api.post(f"/v1/payments/{payment_id}/refunds", json={"amount": 3001})
    assert over.status_code == 400 and over.json()["error"]["param"] == "amount"


async def test_an_expiring_card_is_warned_about_once(fresh_org, platform, mailbox):
    api = fresh_org
    customer = await customer_with(api)
    today = date.today()
    next_month = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    pm = await asyncio.to_thread(sandbox(platform).v1.payment_methods.create, params={
        "type": "card", "card": {"number": "4242424242424242", "exp_month": next_month.month,
                                 "exp_year": next_month.year, "cvc": "123"}})
    await save_method(api, customer["id"], pm.id)

    warned = await wait_for(lambda: _async(mailbox(to=customer["email"]) or None), timeout=60)
    await advance(api, 3)
    await asyncio.sleep(3)
    assert len(mailbox(to=customer["email"])) == len(warned) == 1
    assert "4242" in body_text(warned[0])


async def _async(value):
    return value
