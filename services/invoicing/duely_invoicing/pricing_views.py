"""The pricing fields of invoices and lines, for API bodies and event snapshots (views.py spreads them in)."""

from __future__ import annotations

from datetime import date

from duely_invoicing.models import Invoice, InvoiceLine
from duely_invoicing.pricing_schemas import DiscountOut, PaymentOut, PeriodOut, ReportingOut


def line_total(line: InvoiceLine) -> int:
    inclusive = any(rate.get("inclusive") for rate in line.tax_rates or [])
    return line.amount - (line.discount_amount or 0) + (0 if inclusive else (line.tax_amount or 0))


def _period(line: InvoiceLine) -> dict | None:
    if line.period_start is None or line.period_end is None:
        return None
    return {"start": line.period_start, "end": line.period_end}


def line_extras(line: InvoiceLine) -> dict:
    period = _period(line)
    return {"period": PeriodOut(**period) if period else None,
            "discounts": [DiscountOut(**d) for d in line.discounts or []],
            "discount_amount": line.discount_amount or 0, "tax_amount": line.tax_amount or 0,
            "total": line_total(line)}


def invoice_extras(invoice: Invoice, public_base_url: str | None = None) -> dict:
    reporting = dict(invoice.reporting) if invoice.reporting else None
    if reporting:
        reporting["rate_date"] = date.fromisoformat(reporting["rate_date"])
    return {
        "discounts": [DiscountOut(**d) for d in invoice.discounts or []],
        "total_discount": invoice.total_discount or 0,
        "reporting_currency": invoice.reporting_currency,
        "reporting": ReportingOut(**reporting) if reporting else None,
        "payments": [PaymentOut(payment_id=p.payment_id, amount=p.amount, currency=p.currency,
                                succeeded_at=p.succeeded_at)
                     for p in invoice.payments if p.status == "applied"],  # rejected ones are refunded
        "pdf_url": f"{public_base_url.rstrip('/')}/v1/invoices/{invoice.id}/pdf" if public_base_url else None,
    }


def snapshot_line_extras(line: InvoiceLine) -> dict:
    return {"period": _period(line), "discounts": list(line.discounts or []),
            "discount_amount": line.discount_amount or 0, "tax_amount": line.tax_amount or 0,
            "total": line_total(line)}


def snapshot_extras(invoice: Invoice) -> dict:
    return {"discounts": list(invoice.discounts or []), "total_discount": invoice.total_discount or 0,
            "reporting": invoice.reporting}
