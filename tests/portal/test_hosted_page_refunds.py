"""Refunds in the hosted page's payment history: each refund its own line, once, in time order with the
payments, beside the balance the refund grew again; on real Postgres, the real broker and Chromium."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timezone

import pytest

from duely_contracts.events import InvoicePaid, InvoiceReopened, PaymentRefunded, PaymentSucceeded
from duely_contracts.models import CardRef, InvoiceSummary
from duely_presentation.i18n import Formatter
from duely_portal import repository
from duely_portal.domain.payment_history import refund_line

from tests.portal.helpers import envelope_for, issued, make_snapshot
from tests.portal.invoices import DESKTOP, PHONE, SCREENSHOTS
from tests.portal.test_hosted_page import token_for

PAID_AT = datetime(2026, 11, 28, 9, 45, tzinfo=timezone.utc)


def summary_of(snapshot) -> InvoiceSummary:
    return InvoiceSummary(id=snapshot.id, number=snapshot.number, organization_name=snapshot.organization_name,
                          currency=snapshot.currency, total=snapshot.total, amount_due=snapshot.amount_due,
                          customer=snapshot.customer)


def payment(snapshot, payment_id: str, attempt: int, at: datetime) -> PaymentSucceeded:
    return PaymentSucceeded(payment_id=payment_id, invoice_id=snapshot.id, attempt_number=attempt,
                            amount=snapshot.total, currency="usd", payment_method="pm_card_visa", succeeded_at=at,
                            card=CardRef(brand="visa", last4="4242"), invoice=summary_of(snapshot))


def refund(snapshot, refund_id: str, payment_id: str, amount: int, at: datetime,
           reason: str = "requested_by_customer") -> PaymentRefunded:
    return PaymentRefunded(refund_id=refund_id, payment_id=payment_id, invoice_id=snapshot.id, amount=amount,
                           currency="usd", reason=reason, refunded_at=at, invoice=summary_of(snapshot))


async def refunds_stored(portal, organization_id: str, invoice_id: str):
    async with portal.state.runtime.db.transaction() as session:
        return await repository.refund_history(session, organization_id, invoice_id)


async def payments_stored(portal, organization_id: str, invoice_id: str):
    async with portal.state.runtime.db.transaction() as session:
        return await repository.payment_history(session, organization_id, invoice_id)


async def stored_version(portal, snapshot) -> int | None:
    async with portal.state.runtime.db.transaction() as session:
        row = await repository.get_invoice(session, snapshot.organization_id, snapshot.id)
    return row.version if row else None


async def history_rows(page) -> list[list[str]]:
    return [[c.strip() for c in (await row.inner_text()).split("\t")]
            for row in await page.query_selector_all("#payments tbody tr")]


async def test_two_partial_refunds_each_show_once_beside_the_grown_balance(portal, publish, browser, wait_for):
    snapshot = make_snapshot(version=1)
    org = snapshot.organization_id
    paid = snapshot.model_copy(update={"status": "paid", "amount_paid": snapshot.total, "amount_due": 0,
                                       "version": 2})
    first_at = datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)
    second_at = datetime(2026, 12, 1, 16, 30, tzinfo=timezone.utc)
    first = refund(paid, f"refund_{uuid.uuid4().hex[:12]}", "py_abc", 2000, first_at)
    second = refund(paid, f"refund_{uuid.uuid4().hex[:12]}", "py_abc", 3000, second_at)
    reopened_once = snapshot.model_copy(update={"status": "issued", "amount_paid": snapshot.total - 2000,
                                                "amount_due": 2000, "version": 3})
    reopened_twice = snapshot.model_copy(update={"status": "issued", "amount_paid": snapshot.total - 5000,
                                                 "amount_due": 5000, "version": 4})
    # Another organization's refund naming this invoice (and reusing a refund id): never on this page.
    other_org = f"org_{uuid.uuid4().hex[:12]}"
    foreign = refund(paid, first.refund_id, "py_other", 9999, first_at.replace(hour=8))

    await publish(issued(snapshot))
    await publish(envelope_for("payment.succeeded", payment(snapshot, "py_abc", 1, PAID_AT), snapshot, version=1))
    await publish(envelope_for("invoice.paid", InvoicePaid(invoice=paid, payment_id="py_abc", paid_at=PAID_AT), paid))
    await publish(envelope_for("payment.refunded", foreign, paid.model_copy(update={"organization_id": other_org})))
    await publish(envelope_for("payment.refunded", first, paid, version=2))
    await publish(envelope_for("invoice.reopened", InvoiceReopened(
        invoice=reopened_once, reason="payment_refunded", payment_id="py_abc", refund_id=first.refund_id,
        amount=2000), reopened_once))
    await publish(envelope_for("payment.refunded", first, paid, version=2))  # the same refund again
    await publish(envelope_for("payment.refunded", second, paid, version=3))
    await publish(envelope_for("invoice.reopened", InvoiceReopened(
        invoice=reopened_twice, reason="payment_refunded", payment_id="py_abc", refund_id=second.refund_id,
        amount=3000), reopened_twice))

    await wait_for(lambda: refunds_stored(portal, other_org, snapshot.id))  # consumed, and kept to its organization
    await wait_for(lambda: _has(refunds_stored(portal, org, snapshot.id), 2))
    await wait_for(lambda: payments_stored(portal, org, snapshot.id))  # its own topic: it may come last
    await wait_for(lambda: _is(stored_version(portal, snapshot), 4))
    await asyncio.sleep(1.5)  # let a wrongly kept duplicate arrive
    stored = await refunds_stored(portal, org, snapshot.id)
    assert [(r.refund_id, r.amount) for r in stored] == [(first.refund_id, 2000), (second.refund_id, 3000)]

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = await browser.new_page(viewport=viewport)
        try:
            await page.goto(f"{portal.state.url}/i/{token_for(portal, snapshot)}")
            assert await page.inner_text("#status") == "Partially paid"
            assert await page.inner_text("#amount-due") == "$50.00"
            assert await page.inner_text("#partial") == "Paid so far: $228.74 · Remaining balance: $50.00"
            assert await page.inner_text("#pay-button") == "Pay $50.00"
            assert await history_rows(page) == [
                ["Paid on Nov 28, 2026 with Visa ending 4242", "$278.74", "Succeeded"],
                ["Refunded on Nov 30, 2026", "-$20.00", "Refunded"],
                ["Refunded on Dec 1, 2026", "-$30.00", "Refunded"],
            ]
            assert "$99.99" not in await page.inner_text("body")
            widths = await page.evaluate(
                "[document.documentElement.scrollWidth, document.body.scrollWidth, window.innerWidth]")
            assert widths[0] <= widths[2] and widths[1] <= widths[2], (name, widths)
            await page.screenshot(path=str(SCREENSHOTS / f"refunds-{name}.png"), full_page=True)
        finally:
            await page.close()


async def test_an_automatic_refund_says_why(portal, publish, browser, wait_for):
    """A second payment landed on an invoice already paid: payments gave it back by itself."""
    snapshot = make_snapshot(version=1)
    paid = snapshot.model_copy(update={"status": "paid", "amount_paid": snapshot.total, "amount_due": 0,
                                       "version": 2})
    late_at = PAID_AT.replace(hour=11)
    back = refund(paid, f"refund_{uuid.uuid4().hex[:12]}", "py_late", snapshot.total, PAID_AT.replace(hour=12),
                  reason="invoice_already_paid")
    await publish(issued(snapshot))
    await publish(envelope_for("payment.succeeded", payment(snapshot, "py_first", 1, PAID_AT), snapshot, version=1))
    await publish(envelope_for("invoice.paid", InvoicePaid(invoice=paid, payment_id="py_first", paid_at=PAID_AT), paid))
    await publish(envelope_for("payment.refunded", back, paid, version=2))  # overtakes its payment (another topic)
    await publish(envelope_for("payment.succeeded", payment(paid, "py_late", 2, late_at), paid, version=2))

    async def history_complete():
        async with portal.state.runtime.db.transaction() as session:
            found = await service_history(session, snapshot)
        return found if found == (2, 1) else None
    await wait_for(history_complete)
    await wait_for(lambda: _is(stored_version(portal, snapshot), 2))

    page = await browser.new_page()
    try:
        await page.goto(f"{portal.state.url}/i/{token_for(portal, snapshot)}")
        assert await page.inner_text("#status") == "Paid"
        assert await history_rows(page) == [
            ["Paid on Nov 28, 2026 with Visa ending 4242", "$278.74", "Succeeded"],
            ["Paid on Nov 28, 2026 with Visa ending 4242", "$278.74", "Succeeded"],
            ["Refunded on Nov 28, 2026: the invoice was already paid", "-$278.74", "Refunded"],
        ]
    finally:
        await page.close()


async def service_history(session, snapshot) -> tuple[int, int]:
    payments = await repository.payment_history(session, snapshot.organization_id, snapshot.id)
    refunds = await repository.refund_history(session, snapshot.organization_id, snapshot.id)
    return len(payments), len(refunds)


@pytest.mark.parametrize("locale, plain, automatic", [
    ("en_US", "Refunded on Nov 30, 2026", "Refunded on Nov 30, 2026: the invoice was voided"),
    ("de_DE", "Erstattet am 30.11.2026", "Erstattet am 30.11.2026: die Rechnung wurde storniert"),
    ("fr_FR", "Remboursé le 30 nov. 2026", "Remboursé le 30 nov. 2026\u00a0: la facture a été annulée"),
])
def test_refund_lines_are_localized(locale, plain, automatic):
    from babel.dates import format_date
    labels = Formatter(locale, "usd").labels
    date = format_date(datetime(2026, 11, 30), format="medium", locale=locale)
    assert refund_line(labels, date=date, reason="requested_by_customer") == plain
    assert refund_line(labels, date=date, reason="fraudulent") == plain  # a seller's reason is not the customer's
    assert refund_line(labels, date=date, reason="invoice_void") == automatic
    assert refund_line(labels, date=date, reason="invoice_uncollectible").endswith(
        {"en_US": "the invoice was closed", "de_DE": "die Rechnung wurde geschlossen",
         "fr_FR": "la facture a été clôturée"}[locale])
    assert refund_line(labels, date=date, reason="invoice_already_paid").endswith(
        {"en_US": "the invoice was already paid", "de_DE": "die Rechnung war bereits bezahlt",
         "fr_FR": "la facture était déjà payée"}[locale])


async def _has(rows, count: int):
    return len(await rows) == count


async def _is(value, expected) -> bool:
    return await value == expected
