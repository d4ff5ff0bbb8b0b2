"""A one-off bank debit from the hosted page (the internal pay route): a PaymentMethod the customer's browser
created at the gateway with the publishable key, and the mandate they accepted, as `mandate_data`."""

from __future__ import annotations

import httpx

from duely_payments.domain.charging import payment_intent_params
from duely_payments.service import facts_of
from duely_runtime.auth import INTERNAL_HEADER
from duely_runtime.config import EMBEDDED_SECRET
from tests.conftest import wait_for
from tests.payments.test_autopay import about
from tests.payments.test_bank_debits import accept_bank_debits, invoice_status

ACCEPTANCE = {"customer_acceptance": {"type": "online", "accepted_at": 1_790_000_000,
                                      "online": {"ip_address": "203.0.113.9", "user_agent": "Mozilla/5.0 (test)"}}}


def browser_payment_method(sandbox, **form) -> str:
    """What the hosted page's script does: POST /v1/payment_methods with the publishable key."""
    response = httpx.post(f"{sandbox.url}/v1/payment_methods", data=form,
                          headers={"Authorization": "Bearer pk_test_sandbox"})
    assert response.status_code == 200, response.text
    return response.json()["id"]


def ach(sandbox, account: str = "000123456789") -> str:
    return browser_payment_method(sandbox, **{
        "type": "us_bank_account", "us_bank_account[routing_number]": "110000000",
        "us_bank_account[account_number]": account, "us_bank_account[account_holder_type]": "individual",
        "billing_details[name]": "Jane Buyer"})


def sepa(sandbox, iban: str = "DE89370400440532013000") -> str:
    return browser_payment_method(sandbox, **{
        "type": "sepa_debit", "sepa_debit[iban]": iban, "billing_details[name]": "Jane Buyer",
        "billing_details[email]": "jane@example.com"})


async def pay(payments, org, invoice_id: str, **body) -> httpx.Response:
    async with httpx.AsyncClient(base_url=payments.url, headers={INTERNAL_HEADER: EMBEDDED_SECRET}) as client:
        return await client.post(f"/internal/invoices/{invoice_id}/pay", json={"organization_id": org.id, **body},
                                 timeout=30)


async def test_an_ach_debit_from_the_page_processes_under_its_mandate_then_is_paid(
        payments, invoicing, issue_invoice, org, sandbox_gateway, read_events):
    await accept_bank_debits(invoicing, org)
    invoice = await issue_invoice(org)  # USD
    pm = ach(sandbox_gateway)
    answer = await pay(payments, org, invoice["id"], payment_method=pm, payment_method_type="us_bank_account",
                 mandate_data=ACCEPTANCE)
    assert answer.status_code == 202, answer.text
    assert answer.json()["status"] == "processing"
    [attempt] = await payments.attempts(invoice["id"])
    assert attempt.method_type == "us_bank_account" and attempt.autopay is False
    # A recovery repeats the very request: the mandate data is the attempt's.
    params = payment_intent_params(facts_of(attempt))
    assert params["payment_method_types"] == ["us_bank_account"] and params["mandate_data"] == ACCEPTANCE
    [intent] = sandbox_gateway.intents_for(invoice["id"])
    assert intent.payment_method_types == ["us_bank_account"] and intent.mandate
    mandate = sandbox_gateway.client().v1.mandates.retrieve(intent.mandate)
    assert mandate.customer_acceptance.online.ip_address == "203.0.113.9"
    assert mandate.customer_acceptance.accepted_at == 1_790_000_000

    [processing] = await wait_for(lambda: about(read_events, "payment.processing", invoice["id"]), timeout=30)
    assert processing.data["method_type"] == "us_bank_account"
    await wait_for(lambda: about(read_events, "payment.succeeded", invoice["id"]), timeout=60)

    async def paid():
        return (await invoice_status(invoicing, org, invoice["id"]))["status"] == "paid" or None
    await wait_for(paid, timeout=30)


async def test_a_debit_the_invoice_does_not_accept_or_in_the_wrong_currency_is_refused(
        payments, invoicing, issue_invoice, org, sandbox_gateway):
    invoice = await issue_invoice(org)  # USD; the organization accepts cards only (the default)
    refused = await pay(payments, org, invoice["id"], payment_method=ach(sandbox_gateway),
                  payment_method_type="us_bank_account", mandate_data=ACCEPTANCE)
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert error["code"] == "payment_method_not_accepted" and error["param"] == "payment_method_type"

    await accept_bank_debits(invoicing, org)
    usd = await issue_invoice(org)
    mismatch = await pay(payments, org, usd["id"], payment_method=sepa(sandbox_gateway), payment_method_type="sepa_debit",
                   mandate_data=ACCEPTANCE)
    assert mismatch.status_code == 400, mismatch.text
    assert mismatch.json()["error"]["code"] == "payment_method_currency_mismatch"
    assert "EUR" in mismatch.json()["error"]["message"]

    no_mandate = await pay(payments, org, usd["id"], payment_method=ach(sandbox_gateway),
                     payment_method_type="us_bank_account")
    assert no_mandate.status_code == 400 and no_mandate.json()["error"]["param"] == "mandate_data"
    # Nothing was tried, and the invoice is free: a card still pays it.
    assert await payments.attempts(usd["id"]) == []
    assert (await pay(payments, org, usd["id"], payment_method="pm_card_visa")).json()["status"] == "succeeded"
