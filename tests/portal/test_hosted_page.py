"""The hosted invoice page on real Postgres, the real broker and a real browser."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timezone

import httpx

from duely_contracts.events import (
    InvoicePaid, InvoicePastDue, InvoicePaymentFailed, InvoiceVoided, PaymentSucceeded,
)
from duely_contracts.models import InvoiceSummary, Issuer
from duely_portal import repository
from duely_runtime.links import invoice_token

from tests.portal.helpers import envelope_for, issued, make_snapshot


def token_for(portal, snapshot) -> str:
    return invoice_token(portal.state.runtime.settings.hosted_link_secret, snapshot.organization_id, snapshot.id)


async def cells(page, selector: str) -> list[list[str]]:
    return [[c.strip() for c in (await row.inner_text()).split("\t")] for row in await page.query_selector_all(selector)]


async def stored_version(portal, snapshot) -> int | None:
    async with portal.state.runtime.db.transaction() as session:
        row = await repository.get_invoice(session, snapshot.organization_id, snapshot.id)
    return row.version if row else None


async def views_published(read_events, invoice_id: str):
    return [e for e in await read_events("invoice.viewed") if e.aggregate_id == invoice_id]


async def test_hosted_page_shows_the_invoice_and_the_first_open_publishes_one_view(
        portal, publish, browser, read_events, wait_for):
    snapshot = make_snapshot(version=4)
    await publish(issued(snapshot))
    await publish(issued(snapshot))  # a transport duplicate changes nothing
    await wait_for(lambda: stored_version(portal, snapshot))

    page = await browser.new_page()
    try:
        response = await page.goto(f"{portal.state.url}/i/{token_for(portal, snapshot)}")
        assert response.status == 200
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert await page.get_attribute("html", "lang") == "en"  # the snapshot names no locale
        assert await page.inner_text("#company") == "Acme Analytics, Inc."
        assert await page.inner_text("#invoice-number") == "ACME-0042"
        assert await page.inner_text("#status") == "Open"
        assert await page.inner_text("#amount-due") == "$278.74"
        assert await page.inner_text("#due-text") == "Due December 27, 2026"
        rows = await cells(page, "#lines tr.line")
        assert rows == [["Pro plan seats (November)", "3", "$25.00", "8.25%", "$75.00"],
                        ["Onboarding workshop", "1.5", "$120.00", "8.25%, 1.5%", "$180.00"]]
        taxes = await cells(page, "#tax-breakdown tr.tax")
        assert taxes == [["CA Sales Tax", "8.25%", "$255.00", "$21.04"],
                         ["SF City Tax", "1.5%", "$180.00", "$2.70"]]
        assert await cells(page, "#totals tr") == [
            ["Subtotal", "$255.00"], ["CA Sales Tax 8.25%", "$21.04"], ["SF City Tax 1.5%", "$2.70"],
            ["Total", "$278.74"], ["Amount due", "$278.74"]]
        assert await cells(page, "#meta > div") == [
            ["Invoice number\nACME-0042"], ["Issue date\nNovember 27, 2026"], ["Due date\nDecember 27, 2026"],
            ["Payment terms\nNet 30 days"]]
        assert (await page.inner_text("#buyer")).splitlines() == ["BILL TO", "Globex Corporation", "ap@globex.example"]
        assert await page.inner_text("#memo") == "Thank you for your business <3"  # escaped, shown as text
        assert await page.inner_text("#pay-button") == "Pay $278.74"
        options = await page.eval_on_selector_all("#payment-method option", "els => els.map(e => [e.value, e.text])")
        assert options == [["pm_card_visa", "Visa •••• 4242"], ["pm_card_chargeDeclined", "Card that declines"]]
        assert await page.inner_text("#no-payments") == "No payments yet."
        assert (await page.query_selector("#paid-notice")) is None

        await page.reload()
        assert await page.inner_text("#amount-due") == "$278.74"
    finally:
        await page.close()

    async with httpx.AsyncClient() as client:  # a third open, without a browser
        assert (await client.get(f"{portal.state.url}/i/{token_for(portal, snapshot)}")).status_code == 200

    views = await wait_for(lambda: views_published(read_events, snapshot.id))
    await asyncio.sleep(1.0)  # let any wrongly emitted second view reach the broker
    views = await views_published(read_events, snapshot.id)
    assert len(views) == 1
    assert views[0].organization_id == snapshot.organization_id
    assert (views[0].aggregate_type, views[0].aggregate_version) == ("invoice_view", 1)  # its own count
    assert views[0].data["invoice_number"] == "ACME-0042"


async def test_forged_or_foreign_tokens_get_a_404_page(portal, publish, wait_for):
    snapshot = make_snapshot()
    await publish(issued(snapshot))
    await wait_for(lambda: stored_version(portal, snapshot))
    genuine = token_for(portal, snapshot)
    org, invoice, mac = genuine.split(".")
    other = make_snapshot(organization_id=org)
    forged = [
        f"{org}.{invoice}.{mac[:-2]}xx",                                  # tampered signature
        f"{org}.{other.id}.{mac}",                                         # another invoice, same signature
        invoice_token("some-other-secret", org, invoice),                  # signed with the wrong key
        "not-a-token",
    ]
    async with httpx.AsyncClient(base_url=portal.state.url) as client:
        assert (await client.get(f"/i/{genuine}")).status_code == 200
        for token in forged:
            response = await client.get(f"/i/{token}")
            assert response.status_code == 404, token
            assert "text/html" in response.headers["content-type"]
            assert "Invoice not found" in response.text
            assert (await client.post(f"/i/{token}/pay", data={"payment_method": "pm_card_visa"})).status_code == 404


async def test_newest_version_wins_and_payment_history_is_shown(portal, publish, wait_for, browser):
    snapshot = make_snapshot(version=2)
    paid = snapshot.model_copy(update={"status": "paid", "amount_paid": snapshot.total, "amount_due": 0,
                                       "version": 4})
    past_due = snapshot.model_copy(update={"status": "past_due", "version": 3})
    now = datetime(2026, 11, 28, 9, 30, tzinfo=timezone.utc)
    summary = InvoiceSummary(id=snapshot.id, number=snapshot.number, organization_name=snapshot.organization_name,
                             currency="usd", total=snapshot.total, amount_due=snapshot.total,
                             customer=snapshot.customer)
    failed = InvoicePaymentFailed(invoice_id=snapshot.id, attempt_number=1, failure_code="card_declined",
                                  failure_message="Your card was declined.", amount=snapshot.total, currency="usd",
                                  payment_method="pm_card_chargeDeclined", failed_at=now, invoice=summary)
    succeeded = PaymentSucceeded(payment_id="py_abc", invoice_id=snapshot.id, attempt_number=2,
                                 amount=snapshot.total, currency="usd", payment_method="pm_card_visa",
                                 succeeded_at=now.replace(minute=45), invoice=summary)

    await publish(issued(snapshot))
    await publish(envelope_for("invoice.paid", InvoicePaid(invoice=paid, payment_id="py_abc", paid_at=now), paid))
    await publish(envelope_for("invoice.payment_failed", failed, snapshot, version=3))
    await publish(envelope_for("invoice.payment_failed", failed, snapshot, version=3))  # a semantic duplicate
    await publish(envelope_for("payment.succeeded", succeeded, snapshot, version=4))
    await wait_for(lambda: _version_is(portal, snapshot, 4))
    # Older snapshots arriving late (another topic) must not win.
    await publish(envelope_for("invoice.past_due", InvoicePastDue(invoice=past_due, days_overdue=1), past_due))
    await publish(envelope_for("invoice.voided", InvoiceVoided(invoice=snapshot), snapshot, version=4))
    await publish(issued(snapshot))

    async def history_complete():
        async with portal.state.runtime.db.transaction() as session:
            return len(await repository.payment_history(session, snapshot.organization_id, snapshot.id)) == 2
    await wait_for(history_complete)
    await asyncio.sleep(1.5)  # give the stale events time to (not) apply
    assert await stored_version(portal, snapshot) == 4

    page = await browser.new_page()
    try:
        await page.goto(f"{portal.state.url}/i/{token_for(portal, snapshot)}")
        assert await page.inner_text("#status") == "Paid"
        assert await page.inner_text("#amount-due") == "$0.00"
        assert "Paid" in await page.inner_text("#paid-notice")
        assert await page.query_selector("#pay-form") is None
        history = await page.inner_text("#payments tbody")
        lines = history.splitlines()
        assert len(lines) == 2
        # Events without card details (older payments) still read as words, never as pm_… ids.
        assert "Card — declined on Nov 28, 2026" in lines[0] and "Failed" in lines[0]
        assert "Paid on Nov 28, 2026 with Card" in lines[1] and "$278.74" in lines[1] and "Succeeded" in lines[1]
        assert "pm_" not in await page.content()
    finally:
        await page.close()


async def _version_is(portal, snapshot, version: int) -> bool:
    return await stored_version(portal, snapshot) == version


async def test_page_asks_invoicing_when_the_read_model_lags(portal, upstream_stub, read_events, wait_for):
    snapshot = make_snapshot(version=1)
    upstream_stub.snapshots[snapshot.id] = snapshot  # invoicing knows it; no event has arrived yet
    draft = make_snapshot(organization_id=snapshot.organization_id, status="draft")
    upstream_stub.snapshots[draft.id] = draft
    broken = make_snapshot(invoice_id=f"in_broken_{uuid.uuid4().hex[:6]}")
    async with httpx.AsyncClient(base_url=portal.state.url) as client:
        response = await client.get(f"/i/{token_for(portal, snapshot)}")
        assert response.status_code == 200
        assert "$278.74" in response.text and "Onboarding workshop" in response.text
        assert await stored_version(portal, snapshot) == 1  # remembered for the next open
        assert (await client.get(f"/i/{token_for(portal, draft)}")).status_code == 404
        assert (await client.get(f"/i/{token_for(portal, make_snapshot())}")).status_code == 404
        unavailable = await client.get(f"/i/{token_for(portal, broken)}")
        assert unavailable.status_code == 503 and "temporarily unavailable" in unavailable.text
    assert len(await wait_for(lambda: views_published(read_events, snapshot.id))) == 1


async def test_paying_redirects_to_the_outcome(portal, publish, upstream_stub, browser, wait_for):
    snapshot = make_snapshot(version=1)
    await publish(issued(snapshot))
    await wait_for(lambda: stored_version(portal, snapshot))
    token = token_for(portal, snapshot)
    url = f"{portal.state.url}/i/{token}"

    page = await browser.new_page()
    try:
        await page.goto(url)
        await page.select_option("#payment-method", "pm_card_chargeDeclined")
        async with page.expect_navigation():
            await page.click("#pay-button")
        assert page.url == f"{url}?payment=failed&code=card_declined"
        assert "Your card was declined." in await page.inner_text("#payment-outcome")
        assert await page.inner_text("#pay-button") == "Pay $278.74"  # still payable

        await page.select_option("#payment-method", "pm_card_visa")
        async with page.expect_navigation():
            await page.click("#pay-button")
        assert page.url == f"{url}?payment=succeeded"
        # The charge succeeded but no invoice.paid has reached the read model: the page says so, and
        # nothing else (no "Payment received" beside an "Open" badge, no "Due ..." for a paid invoice).
        assert await page.inner_text("#status") == "Processing"
        assert "confirming it" in await page.inner_text("#processing-notice")
        assert await page.query_selector("#payment-outcome") is None
        assert await page.query_selector("#pay-form") is None
        assert "Due December 27, 2026" not in await page.inner_text("body")  # the meta keeps "Due date"
        refresh = await page.get_attribute("meta[http-equiv=refresh]", "content")
        assert refresh == f"2;url=/i/{token}?payment=succeeded&wait=1"

        # invoice.paid arrives: the page, reloading itself, now tells the whole story.
        paid = snapshot.model_copy(update={"status": "paid", "amount_paid": snapshot.total, "amount_due": 0,
                                           "version": 2})
        await publish(envelope_for("invoice.paid", InvoicePaid(invoice=paid, payment_id="py_1",
                                                               paid_at=datetime.now(timezone.utc)), paid))
        await page.wait_for_selector("#status.paid", timeout=20_000)
        assert await page.inner_text("#status") == "Paid"
        assert "Payment received" in await page.inner_text("#payment-outcome")
        assert await page.inner_text("#due-text") == "Paid in full"
        assert await page.inner_text("#amount-due") == "$0.00"
        assert ["Amount paid", "-$278.74"] in await cells(page, "#totals tr")
        assert "Due December 27, 2026" not in await page.inner_text("body")  # the meta keeps "Due date"
        assert await page.query_selector("meta[http-equiv=refresh]") is None
        assert await page.inner_text("#download-pdf") == "Download receipt"
    finally:
        await page.close()

    calls = [c for c in upstream_stub.pay_calls if c["invoice_id"] == snapshot.id]
    assert [c["body"] for c in calls] == [
        {"organization_id": snapshot.organization_id, "payment_method": "pm_card_chargeDeclined"},
        {"organization_id": snapshot.organization_id, "payment_method": "pm_card_visa"},
    ]
    keys = [c["idempotency_key"] for c in calls]
    assert all(k.startswith(f"portal-pay-{snapshot.id}-") for k in keys) and keys[0] != keys[1]



async def test_a_double_submitted_form_is_one_attempt(portal, publish, upstream_stub, wait_for):
    snapshot = make_snapshot(version=1)
    await publish(issued(snapshot))
    await wait_for(lambda: stored_version(portal, snapshot))
    token = token_for(portal, snapshot)
    # The same rendered form submitted twice carries the same key, so payments charges once.
    async with httpx.AsyncClient(base_url=portal.state.url) as client:
        form = {"payment_method": "pm_card_visa", "attempt_key": "k" * 22}
        first = await client.post(f"/i/{token}/pay", data=form)
        second = await client.post(f"/i/{token}/pay", data=form)
        assert first.status_code == second.status_code == 303
        assert first.headers["location"] == f"/i/{token}?payment=succeeded"
        keys = [c["idempotency_key"] for c in upstream_stub.pay_calls[-2:]]
        assert keys[0] == keys[1] == f"portal-pay-{snapshot.id}-{'k' * 22}"

        before = len(upstream_stub.pay_calls)
        bad_method = await client.post(f"/i/{token}/pay", data={"payment_method": "pm_other", "attempt_key": "k" * 22})
        assert bad_method.headers["location"] == f"/i/{token}?payment=failed&code=payment_method_invalid"
        assert len(upstream_stub.pay_calls) == before, "nothing reaches payments"


async def test_ops_endpoints_come_from_the_runtime(portal):
    async with httpx.AsyncClient(base_url=portal.state.url) as client:
        assert (await client.get("/healthz")).json()["status"] == "ok"
        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert "duely_events_consumed_total" in (await client.get("/metrics")).text


async def test_payment_instructions_follow_the_accepted_methods(portal, publish, upstream_stub, browser, wait_for):
    """No card accepted: no pay button (and a forged form charges nothing); a bank transfer with the
    invoice number as its reference; a check mailed to the seller's address."""
    snapshot = make_snapshot(version=1).model_copy(update={"issuer": Issuer.model_validate({
        "company_name": "Acme Analytics, Inc.", "accepted_payment_methods": ["wire_transfer", "check"],
        "address": {"lines": ["1 Market St", "Suite 400"], "city": "San Francisco", "region": "CA",
                    "postal_code": "94105", "country": "US"},
        "bank_details": {"account_name": "Acme Analytics, Inc.", "account_number": "000123456789",
                         "routing_number": "110000000", "bank_name": "Bank of Examples"}})})
    await publish(issued(snapshot))
    await wait_for(lambda: stored_version(portal, snapshot))
    token = token_for(portal, snapshot)
    page = await browser.new_page()
    try:
        await page.goto(f"{portal.state.url}/i/{token}")
        assert await page.query_selector("#pay-form") is None
        assert await cells(page, "#bank-transfer table tr") == [
            ["Account holder", "Acme Analytics, Inc."], ["Bank", "Bank of Examples"],
            ["Account number", "000123456789"], ["Routing number", "110000000"], ["Reference to quote", "ACME-0042"]]
        check = [line for line in (await page.inner_text("#check")).splitlines() if line]
        assert check == ["Check",
                         "Make your check for $278.74 payable to Acme Analytics, Inc. and write the invoice number "
                         "ACME-0042 on it.",
                         "Mail it to:", "Acme Analytics, Inc.", "1 Market St", "Suite 400", "San Francisco, CA 94105",
                         "United States"]
        assert await page.inner_text("#accepted-methods") == "Accepted payment methods: Bank transfer, Check"
    finally:
        await page.close()
    before = len(upstream_stub.pay_calls)
    async with httpx.AsyncClient(base_url=portal.state.url) as client:
        forged = await client.post(f"/i/{token}/pay", data={"payment_method": "pm_card_visa", "attempt_key": "k" * 22})
    assert forged.headers["location"] == f"/i/{token}?payment=failed&code=card_not_accepted"
    assert len(upstream_stub.pay_calls) == before, "nothing reaches payments"
