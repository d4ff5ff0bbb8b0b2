"""Bank debits: the gateway accepts them `processing`; the outcome comes days later (here: the sandbox's
settlement delay) as a signed event POSTed to payments' /webhooks/stripe."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid

import httpx

from tests.conftest import wait_for
from tests.payments.conftest import SANDBOX_SETTLEMENT_DELAY_S
from tests.payments.test_autopay import about, charge_due, save
from tests.payments.test_payment_methods import ACH_TEXT, MANDATE, ach_method, sepa_method


def signed(secret: str, payload: bytes, at: int | None = None) -> str:
    at = at or int(time.time())
    mac = hmac.new(secret.encode(), f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


async def accept_bank_debits(invoicing, org) -> None:
    """The organization accepts ACH and SEPA debits (the default accepts fewer: invoicing's setting)."""
    async with httpx.AsyncClient(base_url=invoicing.url, headers=org.headers) as api:
        response = await api.patch("/v1/settings/invoicing", json={
            "accepted_payment_methods": ["card", "ach_debit", "sepa_debit"]})
    assert response.status_code == 200, response.text


async def invoice_status(invoicing, org, invoice_id: str) -> dict:
    async with httpx.AsyncClient(base_url=invoicing.url, headers=org.headers) as api:
        return (await api.get(f"/v1/invoices/{invoice_id}")).json()


async def test_an_ach_debit_processes_then_succeeds_through_the_signed_event(
        payments, invoicing, issue_invoice, org, publish, read_events, sandbox_gateway):
    await accept_bank_debits(invoicing, org)
    invoice = await issue_invoice(org)
    method = await save(payments.url, org, invoice["customer_id"], ach_method(sandbox_gateway), mandate=MANDATE,
                        authorization_text=ACH_TEXT)
    # The debit stays processing until told to settle, however slow the machine is.
    sandbox_gateway.set_settlement_delay(600)
    try:
        await publish(charge_due(org.id, invoice["id"]))
        [processing] = await wait_for(lambda: about(read_events, "payment.processing", invoice["id"]), timeout=30)
    finally:
        sandbox_gateway.set_settlement_delay(SANDBOX_SETTLEMENT_DELAY_S)
    assert processing.data["method_type"] == "us_bank_account" and processing.data["autopay"] is True
    assert processing.data["payment_method"] == method["id"]
    [attempt] = await payments.attempts(invoice["id"])
    assert attempt.status == "processing" and attempt.gateway_reference.startswith("pi_")
    assert await payments.payments(invoice["id"]) == []  # never counted before it settles
    # Meanwhile the invoice is held: no other charge, no void.
    async with httpx.AsyncClient(base_url=payments.url, headers=org.headers) as api:
        busy = await api.post(f"/v1/invoices/{invoice['id']}/pay", json={"payment_method": "pm_card_visa"})
    assert busy.status_code == 409 and busy.json()["error"]["code"] == "payment_in_progress"
    async with httpx.AsyncClient(base_url=invoicing.url, headers=org.headers) as api:
        assert (await api.post(f"/v1/invoices/{invoice['id']}/void")).status_code == 409
    assert sandbox_gateway.settle_now(attempt.gateway_reference) == 1

    [succeeded] = await wait_for(lambda: about(read_events, "payment.succeeded", invoice["id"]), timeout=60)
    assert succeeded.data["method_type"] == "us_bank_account" and succeeded.data["autopay"] is True
    assert succeeded.data["card"] is None and succeeded.data["amount"] == invoice["amount_due"]
    [attempt] = await payments.attempts(invoice["id"])
    assert attempt.status == "succeeded" and attempt.settling_since is not None
    [payment] = await payments.payments(invoice["id"])
    assert payment.attempt_id == attempt.id
    paid = await wait_for(lambda: _status(invoicing, org, invoice["id"], "paid"), timeout=30)
    assert paid["amount_due"] == 0
    assert await about(read_events, "invoice.payment_failed", invoice["id"]) == []


async def issue_in_euros(invoicing, payments, org) -> dict:
    async with httpx.AsyncClient(base_url=invoicing.url, headers=org.headers) as api:
        customer = await api.post("/v1/customers", json={"name": "Emmy Noether", "email": "emmy@example.com"})
        draft = await api.post("/v1/invoices", json={
            "customer_id": customer.json()["id"], "currency": "eur", "payment_terms": "net_30",
            "lines": [{"description": "Beratung", "quantity": "1", "unit_amount": 9000}]})
        assert draft.status_code == 201, draft.text
        issued = await api.post(f"/v1/invoices/{draft.json()['id']}/approve")
        assert issued.status_code == 200, issued.text
    await wait_for(lambda: payments.invoice(issued.json()["id"]))
    return issued.json()


async def test_a_sepa_debit_that_fails_late_frees_the_invoice(
        payments, invoicing, org, publish, read_events, sandbox_gateway):
    await accept_bank_debits(invoicing, org)
    invoice = await issue_in_euros(invoicing, payments, org)
    await save(payments.url, org, invoice["customer_id"], sepa_method(sandbox_gateway, "DE62370400440532013001"),
               mandate=MANDATE)
    await publish(charge_due(org.id, invoice["id"]))
    await wait_for(lambda: about(read_events, "payment.processing", invoice["id"]), timeout=30)

    [failed] = await wait_for(lambda: about(read_events, "invoice.payment_failed", invoice["id"]), timeout=60)
    assert failed.data["late"] is True and failed.data["autopay"] is True
    assert failed.data["method_type"] == "sepa_debit" and failed.data["failure_code"]
    assert failed.data["hard_decline"] is False
    [attempt] = await payments.attempts(invoice["id"])
    assert attempt.status == "failed"
    assert await about(read_events, "payment.succeeded", invoice["id"]) == []
    # Payable again at once: the reservation was released.
    async with httpx.AsyncClient(base_url=payments.url, headers=org.headers) as api:
        paid = await api.post(f"/v1/invoices/{invoice['id']}/pay", json={"payment_method": "pm_card_visa"})
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "succeeded" and paid.json()["attempt_number"] == 2


async def test_a_closed_account_is_a_hard_decline(
        payments, invoicing, issue_invoice, org, publish, read_events, sandbox_gateway):
    await accept_bank_debits(invoicing, org)
    invoice = await issue_invoice(org)
    await save(payments.url, org, invoice["customer_id"], ach_method(sandbox_gateway, "000111111113"),
               mandate=MANDATE, authorization_text=ACH_TEXT)
    await publish(charge_due(org.id, invoice["id"]))
    [failed] = await wait_for(lambda: about(read_events, "invoice.payment_failed", invoice["id"]), timeout=60)
    assert (failed.data["failure_code"], failed.data["hard_decline"], failed.data["late"]) == (
        "account_closed", True, True)


async def test_webhook_signatures_unknown_events_and_redeliveries(payments):
    secret = payments.app.state.runtime.settings.stripe_webhook_secret
    unknown = json.dumps({"id": f"evt_{uuid.uuid4().hex}", "object": "event", "type": "customer.created",
                          "data": {"object": {"id": "cus_x", "object": "customer"}}}).encode()
    foreign = json.dumps({"id": f"evt_{uuid.uuid4().hex}", "object": "event", "type": "payment_intent.succeeded",
                          "data": {"object": {"id": "pi_not_ours", "object": "payment_intent", "status": "succeeded",
                                              "metadata": {}}}}).encode()
    async with httpx.AsyncClient(base_url=payments.url) as client:
        post = lambda body, signature: client.post(  # noqa: E731
            "/webhooks/stripe", content=body, headers={"Stripe-Signature": signature,
                                                       "Content-Type": "application/json"})
        bad = await post(unknown, signed("whsec_wrong", unknown))
        assert bad.status_code == 400 and bad.json()["error"]["param"] == "Stripe-Signature"
        assert (await post(unknown, "")).status_code == 400
        stale = await post(unknown, signed(secret, unknown, at=int(time.time()) - 3600))
        assert stale.status_code == 400
        ok = await post(unknown, signed(secret, unknown))
        assert ok.status_code == 200 and ok.json()["outcome"] == "ignored"
        again = await post(unknown, signed(secret, unknown))
        assert again.status_code == 200 and again.json()["outcome"] == "duplicate"
        ignored = await post(foreign, signed(secret, foreign))
        assert ignored.status_code == 200 and ignored.json()["outcome"] == "ignored"


async def _status(invoicing, org, invoice_id: str, status: str):
    body = await invoice_status(invoicing, org, invoice_id)
    return body if body["status"] == status else None


async def test_a_debit_in_the_wrong_currency_is_skipped(
        payments, invoicing, issue_invoice, org, publish, read_events, sandbox_gateway):
    await accept_bank_debits(invoicing, org)
    invoice = await issue_invoice(org)  # in USD
    await save(payments.url, org, invoice["customer_id"], sepa_method(sandbox_gateway), mandate=MANDATE)
    await publish(charge_due(org.id, invoice["id"]))
    [skipped] = await wait_for(lambda: about(read_events, "invoice.autopay_skipped", invoice["id"]), timeout=30)
    assert skipped.data["reason"] == "payment_method_not_accepted" and "EUR" in skipped.data["message"]
    assert sandbox_gateway.intents_for(invoice["id"]) == []


async def test_a_debit_whose_event_never_arrives_is_settled_by_polling(
        serve, settings_env, database_url, sandbox_gateway, invoicing, issue_invoice, org, read_events):
    """This payments instance is registered nowhere for the gateway's events: its recovery worker asks the
    gateway about the processing debit (rarely in production; every second here) and settles it."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from duely_payments.main import build
    from duely_payments.models import AutopayRequest
    from tests.payments.conftest import RunningPayments, payments_settings
    from datetime import datetime, timezone

    await accept_bank_debits(invoicing, org)
    db_url = await database_url("payments_debit_poll")
    app = build(payments_settings(settings_env, db_url, sandbox_gateway, invoicing.url, debit_poll_interval_s=1.0))
    app.state.runtime.consumers.routes.clear()  # the session's payments consumes the broker
    engine = create_async_engine(db_url)
    invoice = await issue_invoice(org)
    async with serve(app) as url:
        running = RunningPayments(url, app, engine)
        await save(url, org, invoice["customer_id"], ach_method(sandbox_gateway), mandate=MANDATE,
                   authorization_text=ACH_TEXT)
        async with running.session() as session:  # as the consumer writes it
            now = datetime.now(timezone.utc)
            session.add(AutopayRequest(id=f"apreq_{uuid.uuid4().hex[:12]}", timer_id=f"tmr_{uuid.uuid4().hex}",
                                       organization_id=org.id, invoice_id=invoice["id"], status="pending", tries=0,
                                       next_check_at=now, created_at=now))

        async def settled():
            rows = await running.attempts(invoice["id"])
            return rows if rows and rows[0].status != "processing" else None
        [attempt] = await wait_for(settled, timeout=60)
        assert attempt.status == "succeeded" and attempt.settling_since and attempt.gateway_polled_at
        assert attempt.gateway_checks >= 1
    [event] = await wait_for(lambda: about(read_events, "payment.succeeded", invoice["id"]), timeout=30)
    assert event.data["method_type"] == "us_bank_account"
    await engine.dispose()


async def test_an_ach_account_verified_later_becomes_active(
        payments, invoicing, issue_invoice, org, read_events, sandbox_gateway):
    """Stripe leaves an account to verify by micro-deposits `pending_verification` (the sandbox verifies at
    once, so the row is put back to that state); the gateway's setup_intent.succeeded activates it."""
    from sqlalchemy import update

    from duely_payments.models import SavedPaymentMethod

    invoice = await issue_invoice(org)
    method = await save(payments.url, org, invoice["customer_id"], ach_method(sandbox_gateway), mandate=MANDATE,
                        authorization_text=ACH_TEXT)
    async with payments.session() as session:
        await session.execute(update(SavedPaymentMethod).where(SavedPaymentMethod.id == method["id"])
                              .values(status="pending_verification"))
        setup_intent = (await session.get(SavedPaymentMethod, method["id"])).gateway_setup_intent
    base = f"/v1/customers/{invoice['customer_id']}/payment_methods/{method['id']}"
    secret = payments.app.state.runtime.settings.stripe_webhook_secret
    event = json.dumps({"id": f"evt_{uuid.uuid4().hex}", "object": "event", "type": "setup_intent.succeeded",
                        "data": {"object": {"id": setup_intent, "object": "setup_intent", "status": "succeeded",
                                            "metadata": {"duely_organization_id": org.id}}}}).encode()
    async with httpx.AsyncClient(base_url=payments.url) as client:
        assert (await client.get(base, headers=org.headers)).json()["status"] == "pending_verification"
        response = await client.post("/webhooks/stripe", content=event,
                                     headers={"Stripe-Signature": signed(secret, event)})
        assert response.status_code == 200 and response.json()["outcome"] == "handled"
        assert (await client.get(base, headers=org.headers)).json()["status"] == "active"

    async def updated():
        return [e for e in await read_events("payment_method.updated", timeout=3, quiet_s=0.5)
                if e.aggregate_id == method["id"]]
    [event] = await wait_for(updated, timeout=20)
    assert event.data["payment_method"]["status"] == "active" and event.aggregate_version == 2


async def test_autopay_never_debits_a_sepa_account_its_invoice_did_not_prenotify(
        payments, invoicing, org, publish, read_events, sandbox_gateway):
    """AutoPay on the due date; the customer had no saved method when the invoice was issued, so its email
    pre-notified no SEPA debit (plan without a method, prenotified false, charge day not moved by the
    pre-notification period). A SEPA account saved later becomes the default: AutoPay must not debit it when
    the day comes (the SEPA rulebook wants amount and date notified ahead), it says why instead."""
    await accept_bank_debits(invoicing, org)
    async with httpx.AsyncClient(base_url=invoicing.url, headers=org.headers) as api:
        response = await api.patch("/v1/settings/invoicing", json={
            "autopay": {"enabled": True, "timing": "on_due_date"}})
        assert response.status_code == 200, response.text
    try:
        invoice = await issue_in_euros(invoicing, payments, org)
    finally:
        async with httpx.AsyncClient(base_url=invoicing.url, headers=org.headers) as api:
            await api.patch("/v1/settings/invoicing", json={"autopay": {"enabled": False, "timing": "on_issue"}})
    plan = invoice["autopay"]
    assert plan and plan["enabled"] and plan["payment_method"] is None and plan["prenotified"] is False
    await save(payments.url, org, invoice["customer_id"], sepa_method(sandbox_gateway), mandate=MANDATE)
    await publish(charge_due(org.id, invoice["id"]))  # dunning names no method: the plan had none

    [skipped] = await wait_for(lambda: about(read_events, "invoice.autopay_skipped", invoice["id"]), timeout=30)
    assert skipped.data["reason"] == "payment_method_not_accepted" and "pre-notif" in skipped.data["message"]
    assert await payments.attempts(invoice["id"]) == []
    assert sandbox_gateway.intents_for(invoice["id"]) == []


async def test_a_debit_outcome_that_overtakes_its_processing_record_is_asked_again(payments):
    """The gateway's settle event can arrive before payments recorded the debit as processing: it is not
    kept (a redelivery must not be dropped as a duplicate) and the gateway is told to retry."""
    secret = payments.app.state.runtime.settings.stripe_webhook_secret
    event = json.dumps({"id": f"evt_{uuid.uuid4().hex}", "object": "event", "type": "payment_intent.succeeded",
                        "data": {"object": {"id": f"pi_{uuid.uuid4().hex}", "object": "payment_intent",
                                            "status": "succeeded", "payment_method_types": ["sepa_debit"],
                                            "metadata": {"duely_invoice_id": "in_not_recorded_yet",
                                                         "duely_organization_id": "org_x"}}}}).encode()
    card = json.dumps({"id": f"evt_{uuid.uuid4().hex}", "object": "event", "type": "payment_intent.succeeded",
                       "data": {"object": {"id": f"pi_{uuid.uuid4().hex}", "object": "payment_intent",
                                           "status": "succeeded", "payment_method_types": ["card"],
                                           "metadata": {"duely_invoice_id": "in_card"}}}}).encode()
    async with httpx.AsyncClient(base_url=payments.url) as client:
        async def post(body):
            return await client.post("/webhooks/stripe", content=body, headers={
                "Stripe-Signature": signed(secret, body), "Content-Type": "application/json"})
        first = await post(event)
        assert first.status_code == 503 and first.json()["error"]["code"] == "not_ready"
        again = await post(event)  # not remembered: still asked again, never "duplicate"
        assert again.status_code == 503
        # A card payment's event needs nothing from us: answered and ignored, never retried.
        ignored = await post(card)
        assert ignored.status_code == 200 and ignored.json()["outcome"] == "ignored"
