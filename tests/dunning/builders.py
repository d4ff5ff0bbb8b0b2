"""Builders of realistic invoice and payment events, as invoicing and payments publish them."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

from duely_contracts import Envelope
from duely_contracts.events import (
    AutopaySkipped, InvoiceIssued, InvoicePaid, InvoicePaymentApplied, InvoicePaymentFailed, InvoiceReopened,
    InvoiceVoided, PaymentMethodChanged, PaymentProcessing, PaymentSucceeded,
)
from duely_contracts.models import (
    AutopayPlan, CustomerRef, InvoiceLine, InvoiceSnapshot, InvoiceSummary, PaymentMethodRef, TaxBreakdownEntry,
)


def snapshot(organization_id: str, invoice_id: str, *, due_date: date | None, status: str = "issued",
             version: int = 1, amount_paid: int = 0, autopay: AutopayPlan | None = None) -> InvoiceSnapshot:
    """An invoice as invoicing publishes it: 2 lines, 8.25 % exclusive tax, net 30."""
    customer = CustomerRef(id=f"cus_{uuid.uuid4().hex[:12]}", name="Jane Doe", email="jane@example.com",
                           cc_emails=["ap@example.com"])
    lines = [
        InvoiceLine(id=f"il_{uuid.uuid4().hex[:12]}", description="Pro plan (monthly)", quantity="1",
                    unit_amount=10_000, amount=10_000,
                    tax_rates=[{"display_name": "Sales tax", "percentage": "8.25", "inclusive": False}]),
        InvoiceLine(id=f"il_{uuid.uuid4().hex[:12]}", description="Extra seats", quantity="2.5",
                    unit_amount=1_000, amount=2_500,
                    tax_rates=[{"display_name": "Sales tax", "percentage": "8.25", "inclusive": False}]),
    ]
    subtotal, tax = 12_500, 1_031
    total = subtotal + tax
    issued_at = datetime.now(timezone.utc)
    return InvoiceSnapshot(
        id=invoice_id, organization_id=organization_id, organization_name="Acme Test",
        number=f"INV-{uuid.uuid4().hex[:6].upper()}", status=status, currency="usd", customer=customer,
        payment_terms="net_30", memo="Thank you for your business.", issued_at=issued_at, due_date=due_date,
        subtotal=subtotal, tax=tax, total=total, amount_paid=amount_paid, amount_due=total - amount_paid,
        lines=lines,
        tax_breakdown=[TaxBreakdownEntry(display_name="Sales tax", percentage="8.25", inclusive=False,
                                         taxable_amount=subtotal, tax_amount=tax)],
        hosted_invoice_url=f"http://127.0.0.1:8000/i/{organization_id}.{invoice_id}.sig", version=version,
        autopay=autopay)


def new_invoice_id() -> str:
    return f"in_{uuid.uuid4().hex[:20]}"


def in_days(days: int) -> date:
    return (datetime.now(timezone.utc) + timedelta(days=days)).date()


def envelope(event_type: str, organization_id: str, invoice_id: str, data, version: int,
             correlation_id: str | None = None) -> Envelope:
    return Envelope(type=event_type, organization_id=organization_id, aggregate_id=invoice_id,
                    aggregate_version=version, correlation_id=correlation_id or str(uuid.uuid4()),
                    data=data.model_dump(mode="json"))


def issued(invoice: InvoiceSnapshot, **kw) -> Envelope:
    return envelope("invoice.issued", invoice.organization_id, invoice.id, InvoiceIssued(invoice=invoice),
                    invoice.version, **kw)


def paid(invoice: InvoiceSnapshot) -> Envelope:
    settled = invoice.model_copy(update={"status": "paid", "amount_paid": invoice.total, "amount_due": 0,
                                         "version": invoice.version + 1})
    return envelope("invoice.paid", invoice.organization_id, invoice.id,
                    InvoicePaid(invoice=settled, payment_id=f"pay_{uuid.uuid4().hex[:12]}",
                                paid_at=datetime.now(timezone.utc)), settled.version)


def payment_failed(invoice: InvoiceSnapshot, attempt: int, code: str = "card_declined") -> Envelope:
    summary = InvoiceSummary(id=invoice.id, number=invoice.number, organization_name=invoice.organization_name,
                             currency=invoice.currency, total=invoice.total, amount_due=invoice.amount_due,
                             due_date=invoice.due_date, customer=invoice.customer,
                             hosted_invoice_url=invoice.hosted_invoice_url)
    event = InvoicePaymentFailed(invoice_id=invoice.id, attempt_number=attempt, failure_code=code,
                                 failure_message="Your card was declined.", amount=invoice.amount_due,
                                 currency=invoice.currency, payment_method="pm_card_chargeCustomerFail",
                                 failed_at=datetime.now(timezone.utc), invoice=summary)
    # Payments keys its events by invoice; its version is the attempt number.
    return envelope("invoice.payment_failed", invoice.organization_id, invoice.id, event, attempt)


# -- AutoPay, payment methods and the outcomes that come back (issue 9) -----------------------

def card(organization_id: str, *, exp_month: int, exp_year: int, customer_id: str | None = None,
         last4: str = "4242", status: str = "active", method_id: str | None = None) -> PaymentMethodRef:
    return PaymentMethodRef(id=method_id or f"pm_{uuid.uuid4().hex[:16]}", organization_id=organization_id,
                            customer_id=customer_id or f"cus_{uuid.uuid4().hex[:12]}", type="card", brand="visa",
                            last4=last4, exp_month=exp_month, exp_year=exp_year, status=status, is_default=True)


def autopay_plan(timing: str, charge_date: date, *, tz: str = "UTC", method: PaymentMethodRef | None = None,
                 days_before_due: int | None = None) -> AutopayPlan:
    return AutopayPlan(enabled=True, timing=timing, days_before_due=days_before_due, charge_date=charge_date,
                       timezone=tz, payment_method=method,
                       payment_method_source="customer_default" if method else None, source="organization")


def summary(invoice: InvoiceSnapshot) -> InvoiceSummary:
    return InvoiceSummary(id=invoice.id, number=invoice.number, organization_name=invoice.organization_name,
                          currency=invoice.currency, total=invoice.total, amount_due=invoice.amount_due,
                          due_date=invoice.due_date, customer=invoice.customer,
                          hosted_invoice_url=invoice.hosted_invoice_url)


def _payments_event(event_type: str, invoice: InvoiceSnapshot, data, version: int) -> Envelope:
    return envelope(event_type, invoice.organization_id, invoice.id, data, version)


def processing(invoice: InvoiceSnapshot, attempt_id: str, *, version: int = 1) -> Envelope:
    return _payments_event("payment.processing", invoice, PaymentProcessing(
        attempt_id=attempt_id, invoice_id=invoice.id, amount=invoice.amount_due, currency=invoice.currency,
        payment_method="pm_debit", method_type="us_bank_account", started_at=datetime.now(timezone.utc),
        invoice=summary(invoice), autopay=True), version)


def late_failure(invoice: InvoiceSnapshot, attempt: int, *, version: int = 2) -> Envelope:
    event = InvoicePaymentFailed(invoice_id=invoice.id, attempt_number=attempt, failure_code="insufficient_funds",
                                 failure_message="The account has insufficient funds.", amount=invoice.amount_due,
                                 currency=invoice.currency, payment_method="pm_debit",
                                 failed_at=datetime.now(timezone.utc), invoice=summary(invoice),
                                 method_type="us_bank_account", late=True, autopay=True)
    return _payments_event("invoice.payment_failed", invoice, event, version)


def payment_succeeded(invoice: InvoiceSnapshot, *, attempt_id: str, payment_id: str, amount: int,
                      version: int = 1) -> Envelope:
    return _payments_event("payment.succeeded", invoice, PaymentSucceeded(
        payment_id=payment_id, invoice_id=invoice.id, attempt_number=1, attempt_id=attempt_id, amount=amount,
        currency=invoice.currency, payment_method="pm_card_visa", succeeded_at=datetime.now(timezone.utc),
        invoice=summary(invoice), autopay=True), version)


def payment_applied(invoice: InvoiceSnapshot, *, payment_id: str, amount: int) -> Envelope:
    after = invoice.model_copy(update={"amount_paid": invoice.amount_paid + amount,
                                       "amount_due": invoice.amount_due - amount, "version": invoice.version + 1})
    return envelope("invoice.payment_succeeded", invoice.organization_id, invoice.id, InvoicePaymentApplied(
        invoice=after, payment_id=payment_id, amount=amount, currency=invoice.currency,
        paid_at=datetime.now(timezone.utc)), after.version)


def reopened(invoice: InvoiceSnapshot, *, payment_id: str, refund_id: str, amount: int, version: int) -> Envelope:
    after = invoice.model_copy(update={"status": "open", "amount_paid": invoice.total - amount,
                                       "amount_due": amount, "version": version})
    return envelope("invoice.reopened", invoice.organization_id, invoice.id, InvoiceReopened(
        invoice=after, reason="payment_refunded", payment_id=payment_id, refund_id=refund_id, amount=amount),
        version)


def voided(invoice: InvoiceSnapshot) -> Envelope:
    after = invoice.model_copy(update={"status": "void", "version": invoice.version + 1})
    return envelope("invoice.voided", invoice.organization_id, invoice.id, InvoiceVoided(invoice=after),
                    after.version)


def autopay_skipped(invoice: InvoiceSnapshot, *, timer_id: str, reason: str = "no_payment_method") -> Envelope:
    return _payments_event("invoice.autopay_skipped", invoice, AutopaySkipped(
        invoice_id=invoice.id, reason=reason, message="The customer has no saved payment method.",
        timer_id=timer_id, skipped_at=datetime.now(timezone.utc), invoice=summary(invoice)), 1)


def method_event(event_type: str, method: PaymentMethodRef, version: int = 1) -> Envelope:
    return envelope(event_type, method.organization_id, method.id, PaymentMethodChanged(payment_method=method),
                    version)
