"""Issue #9 on the hosted page (real Postgres, the real broker, Chromium): the invoice's own accepted
methods, the AutoPay notice (paying now folded away), a bank debit in progress and its late failure, a
partial payment and the remaining balance, wire and check instructions. Screenshots at desktop and
phone width go to var/screenshots/collection-*.png."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone

import httpx

from duely_contracts.events import (
    InvoicePaymentApplied, InvoicePaymentFailed, InvoiceReopened, PaymentProcessing, PaymentSucceeded,
)
from duely_contracts.models import AutopayPlan, InvoiceSnapshot, InvoiceSummary, Issuer, PaymentMethodRef
from duely_portal import repository
from duely_runtime.links import invoice_token

from tests.portal.helpers import envelope_for, issued, make_snapshot
from tests.portal.invoices import DESKTOP, PHONE, SCREENSHOTS

ISSUER = {
    "company_name": "Acme Analytics, Inc.",
    "address": {"lines": ["1 Market St", "Suite 400"], "city": "San Francisco", "region": "CA",
                "postal_code": "94105", "country": "US"},
    "bank_details": {"account_name": "Acme Analytics, Inc.", "account_number": "000123456789",
                     "routing_number": "110000000", "bank_name": "Bank of Examples"},
    # The organization's list; each invoice below carries its own (the customer's override).
    "accepted_payment_methods": ["card", "wire_transfer", "check", "ach_debit"],
}
AT = datetime(2026, 11, 28, 9, 30, tzinfo=timezone.utc)


def invoice(methods: list[str] | None, **update) -> InvoiceSnapshot:
    return make_snapshot(version=1).model_copy(update={
        "issuer": Issuer.model_validate(ISSUER), "accepted_payment_methods": methods, **update})


def summary(snapshot: InvoiceSnapshot) -> InvoiceSummary:
    return InvoiceSummary(id=snapshot.id, number=snapshot.number, organization_name=snapshot.organization_name,
                          currency=snapshot.currency, total=snapshot.total, amount_due=snapshot.amount_due,
                          customer=snapshot.customer)


async def version_of(portal, snapshot) -> int | None:
    async with portal.state.runtime.db.transaction() as session:
        row = await repository.get_invoice(session, snapshot.organization_id, snapshot.id)
    return row.version if row else None


async def open_page(portal, browser, snapshot, viewport=DESKTOP):
    token = invoice_token(portal.state.runtime.settings.hosted_link_secret, snapshot.organization_id, snapshot.id)
    page = await browser.new_page(viewport=viewport)
    await page.goto(f"{portal.state.url}/i/{token}")
    return page


async def shoot(portal, browser, snapshot, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = await open_page(portal, browser, snapshot, viewport)
        try:
            await page.screenshot(path=str(SCREENSHOTS / f"collection-{name}-{label}.png"), full_page=True)
            # Nothing wider than the phone: no sideways scrolling.
            assert await page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        finally:
            await page.close()


async def rows(page, selector: str) -> list[list[str]]:
    return [[c.strip() for c in (await row.inner_text()).split("\t")] for row in await page.query_selector_all(selector)]


async def test_wire_and_check_instructions_follow_the_invoices_own_methods(portal, publish, upstream_stub, browser,
                                                                          wait_for):
    """The organization takes cards; this customer's invoice takes wire and check only: no card form
    (and a forged post charges nothing), bank details with the reference to quote, the check's payee,
    address and reference."""
    snapshot = invoice(["wire_transfer", "check"])
    await publish(issued(snapshot))
    await wait_for(lambda: version_of(portal, snapshot))
    page = await open_page(portal, browser, snapshot)
    try:
        assert await page.query_selector("#pay-form") is None and await page.query_selector("#debit") is None
        assert await rows(page, "#bank-transfer table tr") == [
            ["Account holder", "Acme Analytics, Inc."], ["Bank", "Bank of Examples"],
            ["Account number", "000123456789"], ["Routing number", "110000000"], ["Reference to quote", "ACME-0042"]]
        check = " ".join((await page.inner_text("#check")).split())
        assert "payable to Acme Analytics, Inc." in check and "ACME-0042" in check
        assert "1 Market St Suite 400 San Francisco, CA 94105 United States" in check
        assert await page.inner_text("#accepted-methods") == "Accepted payment methods: Bank transfer, Check"
    finally:
        await page.close()
    await shoot(portal, browser, snapshot, "wire-check")
    token = invoice_token(portal.state.runtime.settings.hosted_link_secret, snapshot.organization_id, snapshot.id)
    before = len(upstream_stub.pay_calls)
    async with httpx.AsyncClient(base_url=portal.state.url) as client:
        forged = await client.post(f"/i/{token}/pay", data={"payment_method": "pm_card_visa", "attempt_key": "k" * 22})
    assert forged.headers["location"].endswith("code=card_not_accepted")
    assert len(upstream_stub.pay_calls) == before


async def test_autopay_notice_replaces_the_pay_button(portal, publish, browser, wait_for):
    visa = PaymentMethodRef(id="pm_1", organization_id="org", customer_id="cus_123", type="card", brand="visa",
                            last4="4242", exp_month=12, exp_year=2030, status="active")
    plan = AutopayPlan(enabled=True, timing="on_due_date", charge_date=date(2026, 12, 27), payment_method=visa,
                       source="customer")
    snapshot = invoice(["card", "ach_debit"], autopay=plan)
    await publish(issued(snapshot))
    await wait_for(lambda: version_of(portal, snapshot))
    page = await open_page(portal, browser, snapshot)
    try:
        assert await page.inner_text("#autopay-notice") == (
            "This invoice will be charged automatically on December 27, 2026 to Visa •••• 4242. "
            "You don’t need to do anything.")
        # Paying now is still possible, folded away under "Pay now instead".
        assert not await page.is_visible("#pay-button")
        await page.click("#pay-now-instead summary")
        assert await page.is_visible("#pay-button")
        assert "ACH bank debit: set up automatic payment with Acme Analytics, Inc." in await page.inner_text("#debit")
    finally:
        await page.close()
    await shoot(portal, browser, snapshot, "autopay")


async def test_a_bank_debit_in_progress_then_its_late_failure(portal, publish, browser, wait_for):
    snapshot = invoice(["card", "sepa_debit"])
    await publish(issued(snapshot))
    await wait_for(lambda: version_of(portal, snapshot))
    processing = PaymentProcessing(attempt_id=f"att_{uuid.uuid4().hex[:8]}", invoice_id=snapshot.id,
                                   amount=snapshot.total, currency="usd", payment_method="pm_sepa",
                                   method_type="sepa_debit", started_at=AT, invoice=summary(snapshot), autopay=True)
    await publish(envelope_for("payment.processing", processing, snapshot, version=1))
    await publish(envelope_for("payment.processing", processing, snapshot, version=1))

    async def says(text: str):
        page = await open_page(portal, browser, snapshot)
        try:
            found = await page.query_selector("#processing-notice")
            return found is not None and text in await found.inner_text()
        finally:
            await page.close()
    await wait_for(lambda: says("SEPA Direct Debit payment of $278.74, started on Nov 28, 2026"), timeout=20)
    page = await open_page(portal, browser, snapshot)
    try:
        assert await page.inner_text("#status") == "Payment processing"
        assert await page.query_selector("#pay-form") is None  # nothing to pay twice while the bank works
        assert await page.query_selector("meta[http-equiv=refresh]") is None  # days, not seconds: no reloading
    finally:
        await page.close()
    await shoot(portal, browser, snapshot, "processing")

    failed = InvoicePaymentFailed(invoice_id=snapshot.id, attempt_number=1, failure_code="insufficient_funds",
                                  failure_message="insufficient funds", amount=snapshot.total, currency="usd",
                                  payment_method="pm_sepa", failed_at=AT.replace(day=30), invoice=summary(snapshot),
                                  failure_reason="insufficient_funds", method_type="sepa_debit", late=True)
    await publish(envelope_for("invoice.payment_failed", failed, snapshot, version=2))

    async def payable_again():
        page = await open_page(portal, browser, snapshot)
        try:
            return await page.query_selector("#pay-form") is not None
        finally:
            await page.close()
    await wait_for(payable_again, timeout=20)


async def test_a_partial_payment_shows_what_was_paid_and_what_remains(portal, publish, browser, wait_for):
    snapshot = invoice(["card", "wire_transfer", "check"])
    await publish(issued(snapshot))
    partly = snapshot.model_copy(update={"amount_paid": 10000, "amount_due": snapshot.total - 10000, "version": 2})
    wire = PaymentSucceeded(payment_id="pay_w1", invoice_id=snapshot.id, attempt_number=1, amount=10000,
                            currency="usd", payment_method="wire_transfer", succeeded_at=AT, invoice=summary(partly),
                            method_type="wire_transfer", manual=True, reference="WIRE-778")
    await publish(envelope_for("payment.succeeded", wire, snapshot, version=1))
    await publish(envelope_for("invoice.payment_succeeded", InvoicePaymentApplied(
        invoice=partly, payment_id="pay_w1", amount=10000, currency="usd", method_type="wire_transfer",
        paid_at=AT), partly))
    await wait_for(lambda: _is(version_of(portal, snapshot), 2))
    page = await open_page(portal, browser, snapshot)
    try:
        assert await page.inner_text("#status") == "Partially paid"
        assert await page.inner_text("#amount-due") == "$178.74"
        assert await page.inner_text("#partial") == "Paid so far: $100.00 · Remaining balance: $178.74"
        assert await page.is_visible("#pay-button")
        assert "Paid on Nov 28, 2026 by Bank transfer, ref WIRE-778" in await page.inner_text("#payments tbody")
    finally:
        await page.close()
    await shoot(portal, browser, snapshot, "partial")

    # A refund of it reopens the balance (invoice.reopened carries the snapshot).
    reopened = snapshot.model_copy(update={"version": 3})
    await publish(envelope_for("invoice.reopened", InvoiceReopened(invoice=reopened, reason="payment_refunded",
                                                                   payment_id="pay_w1", amount=10000), reopened))
    await wait_for(lambda: _is(version_of(portal, snapshot), 3))
    page = await open_page(portal, browser, snapshot)
    try:
        assert await page.inner_text("#amount-due") == "$278.74"
        assert await page.query_selector("#partial") is None
    finally:
        await page.close()


async def _is(awaitable, expected) -> bool:
    return await awaitable == expected
