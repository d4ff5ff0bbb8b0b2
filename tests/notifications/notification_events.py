"""Realistic event payloads for the notifications tests (what invoicing and payments publish)."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from duely_contracts import Envelope
from duely_contracts.events import (
    InvoiceIssued, InvoicePaid, InvoicePaymentApplied, InvoicePaymentFailed, PaymentSucceeded, ReminderDue,
)
from duely_contracts.models import InvoiceSnapshot, InvoiceSummary


def snapshot(organization_id: str, *, invoice_id: str | None = None, number: str = "INV-2026-00001",
             status: str = "issued", version: int = 2, customer_email: str = "ada@example.test",
             cc: tuple[str, ...] = ("finance@example.test",), hosted_url: str | None = None,
             phone: str | None = None, sms_opt_in: bool = False) -> InvoiceSnapshot:
    invoice_id = invoice_id or f"in_{uuid.uuid4().hex[:20]}"
    paid = status == "paid"
    return InvoiceSnapshot.model_validate({
        "id": invoice_id, "organization_id": organization_id, "organization_name": "Acme Cloud",
        "number": number, "status": status, "currency": "usd",
        "customer": {"id": "cus_1", "name": "Ada Lovelace", "email": customer_email, "cc_emails": list(cc),
                     "phone": phone, "sms_opt_in": sms_opt_in},
        "payment_terms": "net_30", "memo": "Thank you for your business.",
        "issued_at": "2026-03-01T09:00:00Z", "due_date": "2026-03-31",
        "subtotal": 150000, "tax": 12375, "total": 162375,
        "amount_paid": 162375 if paid else 0, "amount_due": 0 if paid else 162375,
        "lines": [
            {"id": "il_1", "description": "Pro plan (March)", "quantity": "1", "unit_amount": 100000,
             "amount": 100000, "tax_rates": [{"display_name": "Sales tax", "percentage": "8.25"}]},
            {"id": "il_2", "description": "Extra seats", "quantity": "5", "unit_amount": 10000, "amount": 50000,
             "tax_rates": [{"display_name": "Sales tax", "percentage": "8.25"}]},
        ],
        "tax_breakdown": [{"display_name": "Sales tax", "percentage": "8.25", "inclusive": False,
                           "taxable_amount": 150000, "tax_amount": 12375}],
        "hosted_invoice_url": hosted_url or f"http://127.0.0.1:8000/i/{organization_id}.{invoice_id}.sig",
        "version": version,
    })


def summary(invoice: InvoiceSnapshot) -> InvoiceSummary:
    return InvoiceSummary.model_validate({
        "id": invoice.id, "number": invoice.number, "organization_name": invoice.organization_name,
        "currency": invoice.currency, "total": invoice.total, "amount_due": invoice.amount_due,
        "due_date": invoice.due_date, "customer": invoice.customer, "hosted_invoice_url": invoice.hosted_invoice_url,
    })


def envelope(event_type: str, data, *, organization_id: str, aggregate_id: str, version: int) -> Envelope:
    return Envelope(type=event_type, organization_id=organization_id, aggregate_id=aggregate_id,
                    aggregate_version=version, correlation_id=str(uuid.uuid4()), data=data.model_dump(mode="json"))


def invoice_issued(invoice: InvoiceSnapshot) -> Envelope:
    return envelope("invoice.issued", InvoiceIssued(invoice=invoice), organization_id=invoice.organization_id,
                    aggregate_id=invoice.id, version=invoice.version)


def invoice_paid(invoice: InvoiceSnapshot, payment_id: str) -> Envelope:
    return envelope("invoice.paid", InvoicePaid(invoice=invoice, payment_id=payment_id,
                                                paid_at=datetime(2026, 3, 5, 12, tzinfo=timezone.utc)),
                    organization_id=invoice.organization_id, aggregate_id=invoice.id, version=invoice.version)


def payment_succeeded(invoice: InvoiceSnapshot, payment_id: str, **optional) -> Envelope:
    fields = {"amount": invoice.total, "payment_method": "pm_card_visa", **optional}
    event = PaymentSucceeded(
        payment_id=payment_id, invoice_id=invoice.id, attempt_number=1,
        currency=invoice.currency, gateway_reference="pi_123",
        succeeded_at=datetime(2026, 3, 5, 12, tzinfo=timezone.utc), invoice=summary(invoice), **fields)
    return envelope("payment.succeeded", event, organization_id=invoice.organization_id, aggregate_id=payment_id,
                    version=1)


def payment_failed(invoice: InvoiceSnapshot, attempt_number: int = 1, **optional) -> Envelope:
    """`optional`: the fields payments added later (failure_reason, card)."""
    event = InvoicePaymentFailed(
        invoice_id=invoice.id, attempt_number=attempt_number, failure_code="card_declined",
        failure_message="Your card was declined.", amount=invoice.amount_due, currency=invoice.currency,
        payment_method="pm_card_chargeDeclined", failed_at=datetime(2026, 3, 5, 12, tzinfo=timezone.utc),
        invoice=summary(invoice), **optional)
    return envelope("invoice.payment_failed", event, organization_id=invoice.organization_id,
                    aggregate_id=invoice.id, version=invoice.version)


async def queue_invoice_email(db, notifications, invoice: InvoiceSnapshot) -> None:
    """What the invoice.issued consumer does (the read model, then the email), without a broker."""
    issued = invoice_issued(invoice)
    async with db.transaction() as session:
        await notifications.record_invoice(session, issued, invoice)
        await notifications.queue("invoice_issued", session, issued.organization_id,
                                  InvoiceIssued.model_validate(issued.data), issued.data)


def payment_applied(invoice: InvoiceSnapshot, payment_id: str, amount: int, *, method_type: str = "card",
                    paid_at: datetime | None = None, version: int | None = None) -> Envelope:
    """invoicing counted `amount` of a payment: `invoice` is the snapshot with the new balance."""
    event = InvoicePaymentApplied(invoice=invoice, payment_id=payment_id, amount=amount, currency=invoice.currency,
                                  method_type=method_type,
                                  paid_at=paid_at or datetime(2026, 3, 5, 12, tzinfo=timezone.utc))
    return envelope("invoice.payment_succeeded", event, organization_id=invoice.organization_id,
                    aggregate_id=invoice.id, version=version or invoice.version)


def with_balance(invoice: InvoiceSnapshot, paid: int, *, version: int, status: str | None = None) -> InvoiceSnapshot:
    return invoice.model_copy(update={"amount_paid": paid, "amount_due": invoice.total - paid, "version": version,
                                      "status": status or ("paid" if paid >= invoice.total else invoice.status)})


def reminder_due(invoice: InvoiceSnapshot, *, channel: str = "email", timer_id: str | None = None,
                 step: str = "after_7", source: str = "after_due", tone: str = "firm",
                 template: str = "invoice_reminder_firm", days_from_due: int | None = 7) -> Envelope:
    """What dunning publishes when a reminder falls due on the invoice's collection timeline."""
    fired = datetime(2026, 4, 7, 9, tzinfo=timezone.utc)
    event = ReminderDue(invoice_id=invoice.id, timer_id=timer_id or f"tmr_{uuid.uuid4().hex[:12]}", step=step,
                        source=source, channel=channel, template=template, tone=tone, days_from_due=days_from_due,
                        scheduled_for=fired, fired_at=fired)
    return envelope("dunning.reminder_due", event, organization_id=invoice.organization_id,
                    aggregate_id=invoice.id, version=1)
