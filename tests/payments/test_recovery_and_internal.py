"""Crash safety (the recovery worker), the internal pay route, and paying an invoice we have not heard of."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest

from tests.payments.conftest import RunningPayments, payments_settings
from duely_payments.domain.charging import attempt_idempotency_key
from duely_runtime.kit.ids import new_id
from duely_payments.main import build
from duely_payments.models import PaymentAttempt
from duely_payments.service import facts_of
from duely_payments.config import Settings
from duely_runtime.auth import INTERNAL_HEADER
from duely_runtime.config import EMBEDDED_SECRET
from sqlalchemy.ext.asyncio import create_async_engine


async def events_about(read_events, topic: str, invoice_id: str) -> list:
    return [e for e in await read_events(topic, timeout=3, quiet_s=0.5) if e.aggregate_id == invoice_id]


def stuck_attempt(org_id: str, invoice: dict, payment_method: str, number: int = 1) -> PaymentAttempt:
    """An attempt as the first transaction leaves it, written as if the process then died."""
    long_ago = datetime.now(timezone.utc) - timedelta(seconds=30)
    return PaymentAttempt(
        id=new_id("payatt"), organization_id=org_id, invoice_id=invoice["id"], attempt_number=number,
        status="processing", amount=invoice["amount_due"], currency=invoice["currency"], payment_method=payment_method,
        gateway_idempotency_key=attempt_idempotency_key(invoice["id"], number), correlation_id="corr-crashed",
        gateway_checks=0, next_check_at=long_ago + timedelta(seconds=10), created_at=long_ago)


async def test_worker_finishes_a_charged_attempt_without_charging_again(
        payments, issue_invoice, org, sandbox_gateway, read_events, wait_for):
    invoice = await issue_invoice(org)
    attempt = stuck_attempt(org.id, invoice, "pm_card_visa")
    # The dead process got as far as charging the card with the attempt's key...
    first = await payments.app.state.charging.card_gateway.charge(facts_of(attempt))
    assert first.succeeded
    assert len(sandbox_gateway.intents_for(invoice["id"])) == 1
    # ...but never recorded the outcome.
    async with payments.session() as session:
        session.add(attempt)

    async def finished():
        rows = await payments.attempts(invoice["id"])
        return rows[0] if rows and rows[0].status != "processing" else None
    done = await wait_for(finished)
    assert done.status == "succeeded" and done.gateway_reference == first.gateway_reference
    intents = sandbox_gateway.intents_for(invoice["id"])
    assert [(pi.id, pi.status) for pi in intents] == [(first.gateway_reference, "succeeded")]
    assert [p.attempt_id for p in await payments.payments(invoice["id"])] == [attempt.id]
    events = await wait_for(lambda: events_about(read_events, "payment.succeeded", invoice["id"]))
    assert len(events) == 1 and events[0].data["payment_id"] == done.payment_id
    assert events[0].correlation_id == "corr-crashed"  # the journey continues where it stopped
    # And the invoice cannot be charged again.
    async with httpx.AsyncClient(base_url=payments.url, headers=org.headers) as client:
        again = await client.post(f"/v1/invoices/{invoice['id']}/pay", json={"payment_method": "pm_card_visa"})
    assert again.status_code == 409
    assert len(sandbox_gateway.intents_for(invoice["id"])) == 1


async def test_worker_finishes_an_attempt_that_never_reached_the_gateway(
        payments, issue_invoice, org, sandbox_gateway, read_events, wait_for):
    invoice = await issue_invoice(org)
    async with payments.session() as session:
        session.add(stuck_attempt(org.id, invoice, "pm_card_chargeDeclined"))
    events = await wait_for(lambda: events_about(read_events, "invoice.payment_failed", invoice["id"]))
    assert [(e.data["attempt_number"], e.data["failure_code"]) for e in events] == [(1, "card_declined")]
    [attempt] = await payments.attempts(invoice["id"])
    assert (attempt.status, attempt.failure_code) == ("failed", "card_declined")
    assert [pi.status for pi in sandbox_gateway.intents_for(invoice["id"])] == ["requires_payment_method"]


async def test_an_attempt_in_flight_blocks_another(payments, issue_invoice, org):
    invoice = await issue_invoice(org)
    attempt = stuck_attempt(org.id, invoice, "pm_card_visa")
    attempt.next_check_at = datetime.now(timezone.utc) + timedelta(hours=1)  # keep the worker away
    async with payments.session() as session:
        session.add(attempt)
    async with httpx.AsyncClient(base_url=payments.url, headers=org.headers) as client:
        response = await client.post(f"/v1/invoices/{invoice['id']}/pay", json={"payment_method": "pm_card_visa"})
        assert response.status_code == 409 and response.json()["error"]["code"] == "payment_in_progress"
        listed = (await client.get(f"/v1/invoices/{invoice['id']}/payment_attempts")).json()["data"]
    assert [(a["attempt_number"], a["status"]) for a in listed] == [(1, "processing")]


async def test_internal_route_reports_failures_as_attempts(payments, issue_invoice, org, other_org):
    invoice = await issue_invoice(org)
    url = f"/internal/invoices/{invoice['id']}/pay"
    async with httpx.AsyncClient(base_url=payments.url) as client:
        forbidden = await client.post(url, json={"organization_id": org.id, "payment_method": "pm_card_visa"})
        assert forbidden.status_code == 403
        client.headers[INTERNAL_HEADER] = EMBEDDED_SECRET
        foreign = await client.post(url, json={"organization_id": other_org.id, "payment_method": "pm_card_visa"})
        assert foreign.status_code == 404
        declined = await client.post(url, json={"organization_id": org.id, "payment_method": "pm_card_chargeDeclined"})
        assert declined.status_code == 200, declined.text
        body = declined.json()
        assert (body["status"], body["failure_code"], body["attempt_number"]) == ("failed", "card_declined", 1)
        paid = await client.post(url, json={"organization_id": org.id, "payment_method": "pm_card_visa"})
        assert paid.status_code == 200
        assert (paid.json()["status"], paid.json()["attempt_number"]) == ("succeeded", 2)
        assert paid.json()["payment_id"].startswith("pay_")


async def test_an_invoice_not_yet_in_the_read_model_is_fetched_from_invoicing(
        serve, settings_env, database_url, sandbox_gateway, invoicing, issue_invoice, org, other_org):
    """A payments instance whose consumers lag (here: none at all) asks invoicing while the person waits."""
    db_url = await database_url("payments_lagging")
    app = build(payments_settings(settings_env, db_url, sandbox_gateway, invoicing.url))
    app.state.runtime.consumers.routes.clear()
    engine = create_async_engine(db_url)
    async with serve(app) as url:
        lagging = RunningPayments(url, app, engine)
        invoice = await issue_invoice(org, wait=False)
        async with httpx.AsyncClient(base_url=url, headers=other_org.headers) as theirs:
            foreign = await theirs.post(f"/v1/invoices/{invoice['id']}/pay", json={"payment_method": "pm_card_visa"})
            assert foreign.status_code == 404
        async with httpx.AsyncClient(base_url=url, headers=org.headers) as client:
            response = await client.post(f"/v1/invoices/{invoice['id']}/pay", json={"payment_method": "pm_card_visa"})
            assert response.status_code == 200, response.text
            assert response.json()["amount"] == invoice["amount_due"]
            row = await lagging.invoice(invoice["id"])
            assert (row.number, row.organization_id, row.version) == (invoice["number"], org.id, invoice["version"])
            missing = await client.post("/v1/invoices/in_unknown/pay", json={"payment_method": "pm_card_visa"})
            assert missing.status_code == 404
    await engine.dispose()


def test_production_mode_needs_an_explicit_stripe_key(monkeypatch):
    monkeypatch.setenv("DUELY_MODE", "production")
    monkeypatch.setenv("DUELY_INTERNAL_SECRET", "s1" * 16)
    monkeypatch.setenv("DUELY_HOSTED_LINK_SECRET", "s2" * 16)
    with pytest.raises(RuntimeError, match="STRIPE_API_KEY"):
        Settings().check_production_secrets()
    monkeypatch.setenv("DUELY_PAYMENTS_STRIPE_API_KEY", "sk_live_from_env")
    with pytest.raises(RuntimeError, match="DUELY_PAYMENTS_STRIPE_WEBHOOK_SECRET"):
        Settings().check_production_secrets()
    monkeypatch.setenv("DUELY_PAYMENTS_STRIPE_WEBHOOK_SECRET", "whsec_from_env")
    settings = Settings()
    settings.check_production_secrets()
    assert settings.stripe_api_key == "sk_live_from_env"


def test_embedded_defaults_point_at_the_sandbox():
    settings = Settings()
    assert (settings.stripe_api_key, settings.stripe_api_base, settings.http_port) == (
        "sk_test_sandbox", "http://127.0.0.1:8420", 8002)


async def test_a_gateway_outage_leaves_the_attempt_processing_until_the_gateway_answers(
        serve, settings_env, database_url, invoicing, issue_invoice, org, tmp_path, wait_for):
    from tests.payments.conftest import PORT_RANGE, SandboxGateway, start_sandbox
    from duely_devstack.net import free_port
    down = SandboxGateway(f"http://127.0.0.1:{free_port(*PORT_RANGE)}")  # nothing listens there yet
    db_url = await database_url("payments_outage")
    app = build(payments_settings(settings_env, db_url, down, invoicing.url, stale_attempt_after_s=1.0))
    engine = create_async_engine(db_url)
    async with serve(app) as url:
        instance = RunningPayments(url, app, engine)
        invoice = await issue_invoice(org, wait=False)
        async with httpx.AsyncClient(base_url=url, headers=org.headers, timeout=30) as client:
            response = await client.post(f"/v1/invoices/{invoice['id']}/pay", json={"payment_method": "pm_card_visa"})
            assert response.status_code == 202, response.text
            assert response.json()["status"] == "processing"
            blocked = await client.post(f"/v1/invoices/{invoice['id']}/pay", json={"payment_method": "pm_card_visa"})
            assert blocked.status_code == 409 and blocked.json()["error"]["code"] == "payment_in_progress"
        # The charge may yet take money: invoicing holds the invoice, so the merchant cannot void it meanwhile.
        async with httpx.AsyncClient(base_url=invoicing.url, headers=org.headers) as merchant:
            for action in ("void", "mark_uncollectible"):
                refused = await merchant.post(f"/v1/invoices/{invoice['id']}/{action}")
                assert refused.status_code == 409, refused.text
                assert refused.json()["error"]["code"] == "invoice_payment_in_progress"
        with start_sandbox(int(down.url.rsplit(":", 1)[1]), tmp_path / "sandbox"):
            async def finished():
                rows = await instance.attempts(invoice["id"])
                return rows[0] if rows and rows[0].status != "processing" else None
            attempt = await wait_for(finished, timeout=30)
            assert attempt.status == "succeeded" and attempt.gateway_checks >= 1
            assert [pi.status for pi in down.intents_for(invoice["id"])] == ["succeeded"]
        async with httpx.AsyncClient(base_url=invoicing.url, headers=org.headers) as merchant:
            async def paid():
                body = (await merchant.get(f"/v1/invoices/{invoice['id']}")).json()
                return body if body["status"] == "paid" else None
            await wait_for(paid, timeout=30)
    await engine.dispose()
