"""Builders of realistic invoice and payment events, as invoicing and payments publish them."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

from duely_contracts import Envelope
from duely_contracts.events import InvoiceIssued, InvoicePaid, InvoicePaymentFailed
from duely_contracts.models import CustomerRef, InvoiceLine, InvoiceSnapshot, InvoiceSummary, TaxBreakdownEntry


def snapshot(organization_id: str, invoice_id: str, *, due_date: date | None, status: str = "issued",
             version: int = 1, amount_paid: int = 0) -> InvoiceSnapshot:
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
        hosted_invoice_url=f"http://127.0.0.1:8000/i/{organization_id}.{invoice_id}.sig", version=version)


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
