"""Sample material for a preview without a real invoice (and for the trial render when a template is saved):
an invoice snapshot and, per email kind, the facts its cause would have carried. Pure: no I/O."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from duely_contracts.models import InvoiceSnapshot

_EURO_TERRITORIES = {"AT", "BE", "CY", "DE", "EE", "ES", "FI", "FR", "GR", "HR", "IE", "IT", "LT", "LU", "LV", "MT",
                     "NL", "PT", "SI", "SK"}
OVERDUE_NAMES = ("invoice_reminder_firm", "invoice_reminder_final", "payment_failed")


def _currency(locale: str) -> str:
    territory = locale.split("_")[1] if "_" in locale else ""
    return "eur" if territory in _EURO_TERRITORIES else "gbp" if territory == "GB" else "usd"


def sample_snapshot(organization_id: str, company: str, locale: str, today: date, name: str) -> InvoiceSnapshot:
    """A one-line invoice of 1,250.00 + 10 % tax to a sample customer, due in 30 days (7 days overdue for the
    firm and final reminders and a failed payment)."""
    due = today - timedelta(days=7) if name in OVERDUE_NAMES else today + timedelta(days=30)
    issued = due - timedelta(days=30)
    return InvoiceSnapshot.model_validate({
        "id": "in_sample", "organization_id": organization_id, "organization_name": company, "number": "INV-0001",
        "status": "issued", "currency": _currency(locale), "locale": None if locale == "default" else locale,
        "customer": {"id": "cus_sample", "name": "Jane Doe", "email": "jane.doe@example.com", "cc_emails": []},
        "payment_terms": "net_30", "memo": "Thank you for your business.",
        "issued_at": datetime.combine(issued, time(9), timezone.utc).isoformat(), "due_date": due.isoformat(),
        "subtotal": 125000, "tax": 12500, "total": 137500, "amount_paid": 0, "amount_due": 137500,
        "lines": [{"id": "il_sample", "description": "Professional services", "quantity": "1",
                   "unit_amount": 125000, "amount": 125000,
                   "tax_rates": [{"display_name": "Tax", "percentage": "10"}]}],
        "tax_breakdown": [{"display_name": "Tax", "percentage": "10", "inclusive": False, "taxable_amount": 125000,
                           "tax_amount": 12500}],
        "hosted_invoice_url": "https://billing.example.com/i/sample", "version": 1,
    })


def sample_facts(kind: str, name: str, invoice: InvoiceSnapshot | None, now: datetime, company: str,
                 locale: str) -> dict[str, Any]:
    """What the email's cause would carry (email_kinds.py's facts builders), for an email of `kind` shown
    as template `name`: a payment of the whole balance for a receipt, a declined card for a failure..."""
    if kind == "invoice_reminder":
        tone = name.removeprefix("invoice_reminder_") if name != "invoice_reminder" else "gentle"
        return {"tone": tone, "template": name}
    if kind == "payment_receipt" and invoice is not None:
        paid = invoice.amount_paid or invoice.total
        return {"payment_id": "pay_sample", "paid_at": now.isoformat(), "amount": paid, "currency": invoice.currency,
                "method_type": "card", "credit_added": 0, "amount_due": max(invoice.total - paid, 0),
                "amount_paid": paid, "invoice_version": invoice.version}
    if kind == "payment_failed" and invoice is not None:
        return {"attempt_number": 1, "failure_code": "card_declined", "failure_reason": "card_declined",
                "payment_method": "pm_card_visa", "method_details": {"brand": "visa", "last4": "4242"},
                "amount": invoice.amount_due, "currency": invoice.currency, "failed_at": now.isoformat()}
    if kind == "payment_method_expiring":
        customer = invoice.customer if invoice is not None else None
        return {"brand": "visa", "last4": "4242", "exp_month": now.month, "exp_year": now.year,
                "customer_name": customer.name if customer else "Jane Doe",
                "locale": None if locale == "default" else locale,
                "update_url": "https://billing.example.com/portal", "organization_name": company, "company": company}
    return {}
