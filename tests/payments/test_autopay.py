"""AutoPay executed by payments: dunning's request (`dunning.autopay_charge_due`, published on the real broker)
→ one charge of the saved method through the real sandbox, or `invoice.autopay_skipped` with the reason."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timezone

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import create_async_engine

from duely_contracts import Envelope
from duely_contracts.events import AutopayChargeDue
from duely_payments.main import build
from duely_payments.models import AutopayRequest, SavedPaymentMethod
from tests.conftest import wait_for
from tests.payments.conftest import RunningPayments, payments_settings


def charge_due(org_id: str, invoice_id: str, timer_id: str | None = None,
               payment_method_id: str | None = None) -> Envelope:
    now = datetime.now(timezone.utc)
    event = AutopayChargeDue(invoice_id=invoice_id, timer_id=timer_id or f"tmr_{uuid.uuid4().hex[:12]}",
                             payment_method_id=payment_method_id, scheduled_for=now, fired_at=now)
    return Envelope(type="dunning.autopay_charge_due", organization_id=org_id, aggregate_id=invoice_id,
                    aggregate_version=1, correlation_id=str(uuid.uuid4()), data=event.model_dump(mode="json"))


async def save(url: str, org, customer_id: str, payment_method: str, **extra) -> dict:
    async with httpx.AsyncClient(base_url=url, headers=org.headers) as api:
        response = await api.post(f"/v1/customers/{customer_id}/payment_methods",
                                  json={"payment_method": payment_method, **extra})
    assert response.status_code == 201, response.text
    return response.json()


async def about(read_events, topic: str, invoice_id: str) -> list:
    return [e for e in await read_events(topic, timeout=3, quiet_s=0.5) if e.aggregate_id == invoice_id]


async def requests_for(payments, invoice_id: str) -> list[AutopayRequest]:
    async with payments.session() as session:
        query = select(AutopayRequest).where(AutopayRequest.invoice_id == invoice_id)
        return list((await session.execute(query)).scalars())


async def test_autopay_charges_the_default_card_once_however_often_asked(
        payments, issue_invoice, org, publish, read_events, sandbox_gateway):
    invoice = await issue_invoice(org)
    card = await save(payments.url, org, invoice["customer_id"], "pm_card_visa")
    due = charge_due(org.id, invoice["id"], timer_id=f"tmr_{uuid.uuid4().hex[:12]}")
    await publish(due)
    await publish(due)  # redelivered: the inbox drops it
    again = charge_due(org.id, invoice["id"], timer_id=due.data["timer_id"])  # a new event, the same timer
    await publish(again)

    [event] = await wait_for(lambda: about(read_events, "payment.succeeded", invoice["id"]), timeout=30)
    assert event.data["autopay"] is True and event.data["method_type"] == "card"
    assert event.data["payment_method"] == card["id"] and event.data["amount"] == invoice["amount_due"]
    assert event.data["card"] == {"brand": "visa", "last4": "4242"}
    await asyncio.sleep(1.5)
    [attempt] = await payments.attempts(invoice["id"])
    assert (attempt.status, attempt.autopay, attempt.payment_method) == ("succeeded", True, card["id"])
    [intent] = sandbox_gateway.intents_for(invoice["id"])
    assert intent.payment_method == card["id"] and intent.customer and intent.status == "succeeded"
    [request] = await requests_for(payments, invoice["id"])
    assert (request.status, request.attempt_id) == ("charged", attempt.id)
    assert await about(read_events, "invoice.autopay_skipped", invoice["id"]) == []


async def test_a_second_timer_for_a_paid_invoice_charges_nothing(
        payments, issue_invoice, org, publish, read_events, sandbox_gateway):
    invoice = await issue_invoice(org)
    await save(payments.url, org, invoice["customer_id"], "pm_card_visa")
    await publish(charge_due(org.id, invoice["id"]))
    await wait_for(lambda: about(read_events, "payment.succeeded", invoice["id"]), timeout=30)
    await publish(charge_due(org.id, invoice["id"]))  # e.g. a days_before_due timer and a retry
    [skipped] = await wait_for(lambda: about(read_events, "invoice.autopay_skipped", invoice["id"]), timeout=30)
    assert skipped.data["reason"] in ("invoice_not_payable", "payment_in_progress")
    assert len(await payments.attempts(invoice["id"])) == 1
    assert len(sandbox_gateway.intents_for(invoice["id"])) == 1


async def test_skips_without_a_usable_method_and_says_why(
        payments, issue_invoice, org, publish, read_events, sandbox_gateway):
    nothing = await issue_invoice(org)  # its customer has no method at all
    await publish(charge_due(org.id, nothing["id"]))

    expired = await issue_invoice(org)
    old_card = await save(payments.url, org, expired["customer_id"], "pm_card_visa")
    async with payments.session() as session:  # time passed: the card's expiry month is behind us
        await session.execute(update(SavedPaymentMethod).where(SavedPaymentMethod.id == old_card["id"])
                              .values(exp_month=1, exp_year=2021))
    await publish(charge_due(org.id, expired["id"]))

    removed = await issue_invoice(org)
    gone = await save(payments.url, org, removed["customer_id"], "pm_card_visa")
    async with httpx.AsyncClient(base_url=payments.url, headers=org.headers) as api:
        assert (await api.delete(f"/v1/customers/{removed['customer_id']}/payment_methods/{gone['id']}")
                ).status_code == 200
    await publish(charge_due(org.id, removed["id"], payment_method_id=gone["id"]))

    for invoice, reason, method in ((nothing, "no_payment_method", None),
                                    (expired, "payment_method_expired", old_card["id"]),
                                    (removed, "payment_method_not_active", gone["id"])):
        [event] = await wait_for(lambda: about(read_events, "invoice.autopay_skipped", invoice["id"]), timeout=30)
        assert event.data["reason"] == reason, event.data
        assert event.data["payment_method_id"] == method and event.data["message"]
        assert event.data["timer_id"] and event.data["invoice"]["id"] == invoice["id"]
        assert event.aggregate_type == "invoice_payments"
        assert await payments.attempts(invoice["id"]) == []
        assert sandbox_gateway.intents_for(invoice["id"]) == []
    async with payments.session() as session:
        statuses = (await session.execute(select(AutopayRequest.status, AutopayRequest.skip_reason).where(
            AutopayRequest.invoice_id == expired["id"]))).all()
    assert [tuple(s) for s in statuses] == [("skipped", "payment_method_expired")]
    # Still payable by hand.
    async with httpx.AsyncClient(base_url=payments.url, headers=org.headers) as api:
        paid = await api.post(f"/v1/invoices/{nothing['id']}/pay", json={"payment_method": "pm_card_visa"})
    assert paid.status_code == 200 and paid.json()["status"] == "succeeded"


async def test_a_type_the_invoice_does_not_accept_is_not_charged(
        payments, invoicing, issue_invoice, org, publish, read_events, sandbox_gateway):
    async with httpx.AsyncClient(base_url=invoicing.url, headers=org.headers) as api:
        changed = await api.patch("/v1/settings/invoicing", json={"accepted_payment_methods": ["ach_debit"]})
        assert changed.status_code == 200, changed.text
    try:
        invoice = await issue_invoice(org)
        snapshot = await payments.app.state.charging.invoicing.fetch_invoice(org.id, invoice["id"])
        if snapshot.accepted_payment_methods is None:
            pytest.skip("invoicing does not put accepted_payment_methods on snapshots yet (invoicing-9)")
        await save(payments.url, org, invoice["customer_id"], "pm_card_visa")
        await publish(charge_due(org.id, invoice["id"]))
        [event] = await wait_for(lambda: about(read_events, "invoice.autopay_skipped", invoice["id"]), timeout=30)
        assert event.data["reason"] == "payment_method_not_accepted"
        assert sandbox_gateway.intents_for(invoice["id"]) == []
    finally:
        async with httpx.AsyncClient(base_url=invoicing.url, headers=org.headers) as api:
            await api.patch("/v1/settings/invoicing", json={"accepted_payment_methods": ["card"]})


async def test_a_restart_resumes_the_request_with_the_same_attempt(
        serve, settings_env, database_url, sandbox_gateway, invoicing, issue_invoice, org, wait_for):
    """The process died after choosing the attempt id and taking invoicing's reservation, before the attempt
    existed. Each restart's worker finishes the request: one attempt, one charge, whatever the restarts."""
    db_url = await database_url("payments_autopay_restart")
    settings = payments_settings(settings_env, db_url, sandbox_gateway, invoicing.url)
    engine = create_async_engine(db_url)
    invoice = await issue_invoice(org)

    def app():
        built = build(settings)
        built.state.runtime.consumers.routes.clear()  # the session's payments consumes the broker
        return built

    first = app()
    async with serve(first) as url:
        running = RunningPayments(url, first, engine)
        card = await save(url, org, invoice["customer_id"], "pm_card_visa")
        attempt_id = f"payatt_{uuid.uuid4().hex[:20]}"
        async with running.session() as session:
            now = datetime.now(timezone.utc)
            session.add(AutopayRequest(
                id=f"apreq_{uuid.uuid4().hex[:12]}", timer_id=f"tmr_{uuid.uuid4().hex[:12]}",
                organization_id=org.id, invoice_id=invoice["id"], payment_method_id=None, status="started",
                attempt_id=attempt_id, correlation_id="corr-autopay-crash", tries=1,
                next_check_at=now.replace(year=now.year + 1), created_at=now))  # leased by the dead process
        await first.state.charging.invoicing.reserve_charge(org.id, invoice["id"], attempt_id)
    async with running.session() as session:  # the lease lapses while it is down
        await session.execute(update(AutopayRequest).where(AutopayRequest.attempt_id == attempt_id)
                              .values(next_check_at=datetime.now(timezone.utc)))

    for restart in range(2):
        again = app()
        async with serve(again) as url:
            running = RunningPayments(url, again, engine)

            async def charged():
                rows = await running.attempts(invoice["id"])
                return rows if rows and rows[0].status == "succeeded" else None
            [attempt] = await wait_for(charged, timeout=30)
            assert attempt.id == attempt_id and attempt.payment_method == card["id"] and attempt.autopay
            await asyncio.sleep(1.0)
            async with running.session() as session:
                [request] = (await session.execute(select(AutopayRequest).where(
                    AutopayRequest.invoice_id == invoice["id"]))).scalars().all()
            assert (request.status, request.attempt_id) == ("charged", attempt_id)
    assert len(sandbox_gateway.intents_for(invoice["id"])) == 1
    await engine.dispose()
