"""Rendering hosted pages: Jinja2 templates (autoescaped) fed with display-ready values."""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path

from babel.dates import format_datetime
from jinja2 import Environment, FileSystemLoader, select_autoescape

from duely_portal.domain import presentation as p
from duely_portal.service import HostedInvoice

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"], default=True),
    trim_blocks=True, lstrip_blocks=True,
)
METHOD_LABELS = dict(p.PAYMENT_METHOD_CHOICES)


def render_invoice(invoice: HostedInvoice, token: str, *, locale: str, payment: str | None,
                   code: str | None) -> str:
    s = invoice.snapshot

    def money(amount: int, currency: str = s.currency) -> str:
        return p.format_money(amount, currency, locale)

    just_paid = payment == "succeeded"
    # After a charge that succeeded or is still processing, no second button: the read
    # model may not have heard of the payment yet.
    payable = p.is_payable(s.status, s.amount_due) and payment not in ("succeeded", "processing")
    context = {
        "token": token,
        "company": s.organization_name,
        "number": s.number or "Invoice",
        "status": s.status,
        "status_label": p.status_label(s.status),
        "customer": s.customer,
        "amount_due": money(s.amount_due),
        "total": money(s.total),
        "subtotal": money(s.subtotal),
        "tax": money(s.tax),
        "amount_paid": money(s.amount_paid),
        "currency": s.currency.upper(),
        "terms": p.describe_terms(s.payment_terms),
        "due_date": p.format_date(s.due_date, locale),
        "issued_on": p.format_date(s.issued_at.date() if s.issued_at else None, locale),
        "memo": s.memo,
        "lines": [{
            "description": line.description,
            "quantity": p.format_quantity(line.quantity),
            "unit_price": money(line.unit_amount),
            "amount": money(line.amount),
            "taxes": ", ".join(f"{t.display_name} {p.format_percentage(t.percentage)}" for t in line.tax_rates),
        } for line in s.lines],
        "tax_breakdown": [{
            "name": entry.display_name,
            "percentage": p.format_percentage(entry.percentage),
            "inclusive": entry.inclusive,
            "taxable": money(entry.taxable_amount),
            "tax": money(entry.tax_amount),
        } for entry in s.tax_breakdown],
        "payments": [{
            "when": _when(entry.occurred_at, locale),
            "method": METHOD_LABELS.get(entry.payment_method, entry.payment_method),
            "amount": money(entry.amount, entry.currency),
            "succeeded": entry.outcome == "succeeded",
            "detail": entry.failure_message or p.failure_message(entry.failure_code),
        } for entry in invoice.payments],
        "payable": payable,
        "paid": s.status == "paid" or just_paid,
        "processing": payment == "processing",
        "closed_notice": {"void": "This invoice has been voided; nothing is owed.",
                          "uncollectible": "This invoice is closed."}.get(s.status),
        "payment_methods": p.PAYMENT_METHOD_CHOICES,
        "attempt_key": secrets.token_urlsafe(16),  # one per rendered form: a double submit is one attempt
        "outcome": _outcome(payment, code),
    }
    return TEMPLATES.get_template("invoice.html").render(**context)


def render_message(title: str, message: str) -> str:
    return TEMPLATES.get_template("message.html").render(title=title, message=message)


def _when(value: datetime, locale: str) -> str:
    return format_datetime(value, format="medium", tzinfo=value.tzinfo, locale=locale)


def _outcome(payment: str | None, code: str | None) -> dict | None:
    if payment == "succeeded":
        return {"ok": True, "message": "Payment received. Thank you! A receipt is on its way by email."}
    if payment == "processing":
        return {"ok": True, "message": "Your payment is processing. Refresh this page in a minute to see the result."}
    if payment == "failed":
        return {"ok": False, "message": p.failure_message(code), "code": code}
    return None
