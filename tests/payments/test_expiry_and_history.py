"""Expiring cards (`dunning.payment_method_expiry_due` → `payment_method.expiring` once) and payment history
per customer (`GET /v1/payments?customer_id=`)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta, timezone

import httpx

from duely_contracts import Envelope
from duely_contracts.events import PaymentMethodExpiryDue
from duely_runtime.links import verify_payment_method_update_token
from tests.conftest import wait_for
from tests.payments.test_autopay import save


def expiry_due(org_id: str, method: dict, exp_month: int, exp_year: int) -> Envelope:
    event = PaymentMethodExpiryDue(payment_method_id=method["id"], customer_id=method["customer_id"],
                                   exp_month=exp_month, exp_year=exp_year, fired_at=datetime.now(timezone.utc))
    return Envelope(type="dunning.payment_method_expiry_due", organization_id=org_id, aggregate_id=method["id"],
                    aggregate_version=1, correlation_id=str(uuid.uuid4()), data=event.model_dump(mode="json"))


async def warnings_for(read_events, method_id: str) -> list:
    return [e for e in await read_events("payment_method.expiring", timeout=3, quiet_s=0.5)
            if e.aggregate_id == method_id]


async def test_an_expiring_card_is_warned_about_once(payments, issue_invoice, org, publish, read_events):
    invoice = await issue_invoice(org)  # its customer, and the organization's name as the invoice gives it
    card = await save(payments.url, org, invoice["customer_id"], "pm_card_visa")
    month, year = card["card"]["exp_month"], card["card"]["exp_year"]
    due = expiry_due(org.id, card, month, year)
    await publish(due)
    await publish(due)  # redelivered
    await publish(expiry_due(org.id, card, month, year))  # asked again (e.g. a re-planned check)
    await publish(expiry_due(org.id, card, 1, 2020))  # a check for an expiry the card no longer has

    [warning] = await wait_for(lambda: warnings_for(read_events, card["id"]), timeout=30)
    await asyncio.sleep(2)
    assert len(await warnings_for(read_events, card["id"])) == 1
    data = warning.data
    assert (data["payment_method_id"], data["brand"], data["last4"], data["exp_month"], data["exp_year"]) == (
        card["id"], "visa", "4242", month, year)
    assert data["customer"]["id"] == invoice["customer_id"] and data["customer"]["email"] == "jane@example.com"
    assert data["organization_name"] == "Acme Payments Test"
    # The link is signed and short-lived: it names this organization, customer and card, for 30 days.
    base, token = data["update_url"].rsplit("/", 1)
    assert base == f"{payments.app.state.runtime.settings.portal_url()}/portal/payment_methods/update"
    link = verify_payment_method_update_token(payments.app.state.runtime.settings.hosted_link_secret, token)
    assert (link.organization_id, link.customer_id, link.payment_method_id) == (org.id, invoice["customer_id"],
                                                                                card["id"])
    assert timedelta(days=29) < link.expires_at - datetime.now(timezone.utc) <= timedelta(days=30)
    assert verify_payment_method_update_token("another secret", token) is None
    assert warning.aggregate_type == "payment_method" and warning.organization_id == org.id


async def test_a_detached_card_is_not_warned_about(payments, issue_invoice, org, publish, read_events):
    invoice = await issue_invoice(org)
    card = await save(payments.url, org, invoice["customer_id"], "pm_card_mastercard")
    async with httpx.AsyncClient(base_url=payments.url, headers=org.headers) as api:
        await api.delete(f"/v1/customers/{invoice['customer_id']}/payment_methods/{card['id']}")
    await publish(expiry_due(org.id, card, card["card"]["exp_month"], card["card"]["exp_year"]))
    await asyncio.sleep(3)
    assert await warnings_for(read_events, card["id"]) == []


async def test_payments_listed_by_customer(payments, issue_invoice, org, other_org):
    first, second = await issue_invoice(org), await issue_invoice(org)
    async with httpx.AsyncClient(base_url=payments.url, headers=org.headers) as api:
        for invoice in (first, second):
            paid = await api.post(f"/v1/invoices/{invoice['id']}/pay", json={"payment_method": "pm_card_visa"})
            assert paid.status_code == 200, paid.text
        listed = (await api.get("/v1/payments", params={"customer_id": first["customer_id"]})).json()["data"]
        assert [p["invoice_id"] for p in listed] == [first["id"]]
        assert (await api.get("/v1/payments", params={"customer_id": "cus_nobody"})).json()["data"] == []
    async with httpx.AsyncClient(base_url=payments.url, headers=other_org.headers) as theirs:
        assert (await theirs.get("/v1/payments", params={"customer_id": first["customer_id"]})).json()["data"] == []
