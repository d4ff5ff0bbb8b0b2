"""Template variables for each email, built from the facts events carry.

Every template gets the product's documented variables (customer_name,
invoice_number, amount_due, due_date, invoice_url, pay_now_url, company_name)
where they make sense, plus extras such as the line items and tax breakdown.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from duely_contracts.events import InvoicePaymentFailed, PaymentMethodExpiring, PaymentSucceeded
from duely_contracts.models import InvoiceSnapshot, InvoiceSummary

from duely_notifications.domain.formatting import (
    format_day, format_money, format_percentage, format_quantity, format_terms,
)

REMINDER_TONES = ("gentle", "firm", "final")


def _invoice_number(invoice: InvoiceSnapshot | InvoiceSummary) -> str:
    return invoice.number or invoice.id


def snapshot_context(invoice: InvoiceSnapshot, locale: str = "en_US") -> dict[str, Any]:
    """Everything an email about one invoice may show."""
    money = lambda minor: format_money(minor, invoice.currency, locale)  # noqa: E731
    return {
        "customer_name": invoice.customer.name,
        "invoice_number": _invoice_number(invoice),
        "company_name": invoice.organization_name,
        "amount_due": money(invoice.amount_due),
        "amount_paid": money(invoice.amount_paid),
        "total": money(invoice.total),
        "subtotal": money(invoice.subtotal),
        "tax": money(invoice.tax),
        "due_date": format_day(invoice.due_date, locale),
        "payment_terms": format_terms(invoice.payment_terms),
        "memo": invoice.memo,
        "invoice_url": invoice.hosted_invoice_url,
        "pay_now_url": invoice.hosted_invoice_url,  # the hosted page carries the pay form
        "lines": [
            {"description": line.description, "quantity": format_quantity(line.quantity, locale),
             "unit_amount": money(line.unit_amount), "amount": money(line.amount)}
            for line in invoice.lines
        ],
        "tax_breakdown": [
            {"display_name": entry.display_name, "percentage": format_percentage(entry.percentage),
             "inclusive": entry.inclusive, "amount": money(entry.tax_amount)}
            for entry in invoice.tax_breakdown
        ],
    }


def summary_context(invoice: InvoiceSummary, locale: str = "en_US") -> dict[str, Any]:
    return {
        "customer_name": invoice.customer.name,
        "invoice_number": _invoice_number(invoice),
        "company_name": invoice.organization_name,
        "amount_due": format_money(invoice.amount_due, invoice.currency, locale),
        "total": format_money(invoice.total, invoice.currency, locale),
        "due_date": format_day(invoice.due_date, locale),
        "invoice_url": invoice.hosted_invoice_url,
        "pay_now_url": invoice.hosted_invoice_url,
    }


CARD_BRANDS = {"visa": "Visa", "visa_debit": "Visa debit", "mastercard": "Mastercard", "amex": "American Express",
               "discover": "Discover", "diners": "Diners Club", "jcb": "JCB", "unionpay": "UnionPay"}
METHOD_KINDS = {"card": "Card", "ach_debit": "ACH bank debit", "us_bank_account": "ACH bank debit",
                "sepa_debit": "SEPA Direct Debit", "wire_transfer": "Wire transfer", "check": "Check"}


def payment_method_label(payment_method: str) -> str:
    """'pm_card_visa' → 'Visa card', 'sepa_debit' → 'SEPA Direct Debit', 'pm_1Nx…' → 'Saved payment method'."""
    if payment_method.startswith("pm_card_"):
        brand = CARD_BRANDS.get(payment_method[len("pm_card_"):].lower())
        return f"{brand} card" if brand else "Card"
    if payment_method in METHOD_KINDS:
        return METHOD_KINDS[payment_method]
    if payment_method.startswith("pm_"):
        return "Saved payment method"
    return payment_method.replace("_", " ").capitalize()


def receipt_context(event: PaymentSucceeded, locale: str = "en_US") -> dict[str, Any]:
    context = summary_context(event.invoice, locale)
    context.update({
        "amount_paid": format_money(event.amount, event.currency, locale),
        "paid_on": format_day(event.succeeded_at, locale),
        "payment_method": payment_method_label(event.payment_method),
        "payment_id": event.payment_id,
    })
    return context


def payment_failed_context(event: InvoicePaymentFailed, locale: str = "en_US") -> dict[str, Any]:
    context = summary_context(event.invoice, locale)
    context.update({
        "failure_reason": event.failure_message or event.failure_code,
        "failure_code": event.failure_code,
        "attempted_amount": format_money(event.amount, event.currency, locale),
        "payment_method": payment_method_label(event.payment_method),
        "attempt_number": event.attempt_number,
        "failed_on": format_day(event.failed_at, locale),
    })
    return context


def reminder_context(invoice: InvoiceSnapshot, tone: str, today: datetime, locale: str = "en_US") -> dict[str, Any]:
    if tone not in REMINDER_TONES:
        raise ValueError(f"unknown reminder tone {tone!r}")
    context = snapshot_context(invoice, locale)
    days_overdue = (today.date() - invoice.due_date).days if invoice.due_date else 0
    context.update({"tone": tone, "days_overdue": max(days_overdue, 0), "overdue": days_overdue > 0})
    return context


def expiring_context(event: PaymentMethodExpiring, company_name: str | None) -> dict[str, Any]:
    return {
        "customer_name": event.customer.name,
        "company_name": company_name or "your supplier",
        "brand": event.brand.title(),
        "last4": event.last4,
        "expires": f"{event.exp_month:02d}/{event.exp_year % 100:02d}",
    }
