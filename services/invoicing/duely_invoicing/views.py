"""Turning rows into what leaves the service: API bodies and event snapshots."""

from __future__ import annotations

from decimal import Decimal

from duely_contracts.models import CustomerRef, InvoiceSnapshot
from duely_contracts.models import InvoiceLine as LineContract
from duely_contracts.models import TaxBreakdownEntry as BreakdownContract
from duely_contracts.models import TaxRateApplied
from duely_invoicing import parties_at_approval, pricing_views, schemas, settings_views, tax_treatment_service
from duely_invoicing.models import Customer, Invoice, Organization


def decimal_str(value: Decimal) -> str:
    """Canonical decimal text without exponent: Decimal('10.00') → '10', '8.250' → '8.25'."""
    return format(value.normalize(), "f")


def customer_out(customer: Customer) -> schemas.CustomerOut:
    return schemas.CustomerOut(id=customer.id, name=customer.name, email=customer.email,
                               cc_emails=list(customer.cc_emails or []), created_at=customer.created_at,
                               **settings_views.customer_extras(customer))


def customer_ref(customer: Customer) -> CustomerRef:
    return CustomerRef(id=customer.id, name=customer.name, email=customer.email,
                       cc_emails=list(customer.cc_emails or []), **settings_views.customer_ref_extras(customer))


def invoice_out(invoice: Invoice, public_base_url: str | None = None) -> schemas.InvoiceOut:
    return schemas.InvoiceOut(
        id=invoice.id, number=invoice.number, status=invoice.status, currency=invoice.currency,
        customer_id=invoice.customer_id, customer=customer_out(parties_at_approval.customer(invoice)),
        subtotal=invoice.subtotal, tax=invoice.tax, total=invoice.total, amount_paid=invoice.amount_paid,
        amount_due=invoice.amount_due, due_date=invoice.due_date, issued_at=invoice.issued_at,
        paid_at=invoice.paid_at, payment_terms=invoice.payment_terms, memo=invoice.memo,
        lines=[schemas.LineOut(id=line.id, description=line.description, quantity=line.quantity,
                               unit_amount=line.unit_amount, amount=line.amount,
                               tax_rates=[schemas.TaxRateOut(**rate) for rate in line.tax_rates],
                               **pricing_views.line_extras(line))
               for line in invoice.lines],
        tax_breakdown=[schemas.TaxBreakdownOut(**entry) for entry in invoice.tax_breakdown],
        hosted_invoice_url=invoice.hosted_invoice_url, version=invoice.version, created_at=invoice.created_at,
        **settings_views.invoice_extras(invoice),
        **pricing_views.invoice_extras(invoice, public_base_url),
        tax_treatment=schemas.TaxTreatmentOut(**tax_treatment_service.snapshot_field(invoice).model_dump()),
    )


def invoice_snapshot(invoice: Invoice, organization: Organization) -> InvoiceSnapshot:
    return InvoiceSnapshot(
        id=invoice.id, organization_id=invoice.organization_id,
        organization_name=parties_at_approval.organization_name(invoice, organization),
        number=invoice.number, status=invoice.status, currency=invoice.currency,
        customer=settings_views.invoice_customer_ref(invoice, customer_ref(parties_at_approval.customer(invoice))),
        payment_terms=invoice.payment_terms, memo=invoice.memo,
        issued_at=invoice.issued_at, due_date=invoice.due_date, subtotal=invoice.subtotal, tax=invoice.tax,
        total=invoice.total, amount_paid=invoice.amount_paid, amount_due=invoice.amount_due,
        lines=[LineContract(id=line.id, description=line.description, quantity=line.quantity,
                            unit_amount=line.unit_amount, amount=line.amount,
                            tax_rates=[TaxRateApplied(**rate) for rate in line.tax_rates],
                            **pricing_views.snapshot_line_extras(line))
               for line in invoice.lines],
        tax_breakdown=[BreakdownContract(**entry) for entry in invoice.tax_breakdown],
        hosted_invoice_url=invoice.hosted_invoice_url, version=invoice.version,
        **settings_views.snapshot_extras(invoice),
        **pricing_views.snapshot_extras(invoice),
        tax_treatment=tax_treatment_service.snapshot_field(invoice),
    )
