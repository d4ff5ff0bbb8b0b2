"""Invoice rows → API bodies and event snapshots (pricing fields included)."""

from __future__ import annotations

from datetime import date

from duely_contracts.models import InvoiceLine as LineContract
from duely_contracts.models import InvoiceSnapshot, TaxRateApplied
from duely_contracts.models import TaxBreakdownEntry as BreakdownContract
from duely_invoicing.customers.views import customer_out, customer_ref
from duely_invoicing.invoices import autopay_plan, collection_plan, parties_at_approval, tax_treatment
from duely_invoicing.invoices.schemas import (
    DiscountOut,
    InvoiceOut,
    LineOut,
    PaymentOut,
    PeriodOut,
    ReportingOut,
    TaxBreakdownOut,
    TaxRateOut,
    TaxTreatmentOut,
)
from duely_invoicing.models import Invoice, InvoiceLine, Organization
from duely_invoicing.settings import views as settings_views


def _common_fields(invoice: Invoice) -> dict:
    """What the API body and the event snapshot both say of an invoice, under the same names."""
    return dict(id=invoice.id, number=invoice.number, status=invoice.status, currency=invoice.currency,
                subtotal=invoice.subtotal, tax=invoice.tax, total=invoice.total, amount_paid=invoice.amount_paid,
                amount_due=invoice.amount_due, due_date=invoice.due_date, issued_at=invoice.issued_at,
                payment_terms=invoice.payment_terms, memo=invoice.memo,
                hosted_invoice_url=invoice.hosted_invoice_url, version=invoice.version)


def _common_line_fields(line: InvoiceLine) -> dict:
    return dict(id=line.id, description=line.description, quantity=line.quantity, unit_amount=line.unit_amount,
                amount=line.amount)


def invoice_out(invoice: Invoice, public_base_url: str | None = None) -> InvoiceOut:
    return InvoiceOut(
        **_common_fields(invoice),
        customer_id=invoice.customer_id, customer=customer_out(parties_at_approval.customer(invoice)),
        paid_at=invoice.paid_at, created_at=invoice.created_at,
        lines=[LineOut(**_common_line_fields(line), tax_rates=[TaxRateOut(**rate) for rate in line.tax_rates],
                       **line_extras(line))
               for line in invoice.lines],
        tax_breakdown=[TaxBreakdownOut(**entry) for entry in invoice.tax_breakdown],
        **settings_views.invoice_extras(invoice),
        **invoice_extras(invoice, public_base_url),
        tax_treatment=TaxTreatmentOut(**tax_treatment.snapshot_field(invoice).model_dump()),
    )


def invoice_snapshot(invoice: Invoice, organization: Organization) -> InvoiceSnapshot:
    return InvoiceSnapshot(
        **_common_fields(invoice),
        organization_id=invoice.organization_id,
        organization_name=parties_at_approval.organization_name(invoice, organization),
        customer=settings_views.invoice_customer_ref(invoice, customer_ref(parties_at_approval.customer(invoice))),
        lines=[LineContract(**_common_line_fields(line),
                            tax_rates=[TaxRateApplied(**rate) for rate in line.tax_rates],
                            **snapshot_line_extras(line))
               for line in invoice.lines],
        tax_breakdown=[BreakdownContract(**entry) for entry in invoice.tax_breakdown],
        **settings_views.snapshot_extras(invoice),
        **snapshot_extras(invoice),
        tax_treatment=tax_treatment.snapshot_field(invoice),
    )


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
        "autopay": autopay_plan.stored(invoice),
        "accepted_payment_methods": autopay_plan.accepted_payment_methods(invoice),
        "credit_applied": invoice.credit_applied or 0,
        "collection": collection_plan.stored(invoice),
        "late_fee_for": collection_plan.late_fee_link(invoice),
        "payments": [PaymentOut(payment_id=p.payment_id, amount=p.amount, currency=p.currency,
                                succeeded_at=p.succeeded_at, method_type=p.method_type,
                                amount_applied=p.amount if p.amount_applied is None else p.amount_applied,
                                credit_added=p.credit_added or 0, amount_refunded=p.amount_refunded or 0)
                     for p in invoice.payments if p.status == "applied"],  # rejected ones are refunded
        "pdf_url": f"{public_base_url.rstrip('/')}/v1/invoices/{invoice.id}/pdf" if public_base_url else None,
    }


def snapshot_line_extras(line: InvoiceLine) -> dict:
    return {"period": _period(line), "discounts": list(line.discounts or []),
            "discount_amount": line.discount_amount or 0, "tax_amount": line.tax_amount or 0,
            "total": line_total(line)}


def snapshot_extras(invoice: Invoice) -> dict:
    return {"discounts": list(invoice.discounts or []), "total_discount": invoice.total_discount or 0,
            "reporting": invoice.reporting, "autopay": autopay_plan.stored(invoice),
            "accepted_payment_methods": autopay_plan.accepted_payment_methods(invoice),
            "credit_applied": invoice.credit_applied or 0, "collection": collection_plan.stored(invoice),
            "late_fee_for": collection_plan.late_fee_link(invoice)}
