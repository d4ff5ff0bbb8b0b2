"""Settings rows → API bodies, and the issuer and settings fields of invoice snapshots."""

from __future__ import annotations

from typing import Any

from duely_contracts.models import CustomerRef, Issuer
from duely_invoicing.models import Invoice, InvoiceSettings
from duely_invoicing.settings.schemas import InvoiceSettingsOut, ResolvedSettingsOut


def settings_out(row: InvoiceSettings, organization_id: str, effective: dict[str, Any],
                 next_number: str) -> InvoiceSettingsOut:
    defaults = [name for name in effective if getattr(row, name) is None]
    return InvoiceSettingsOut(organization_id=organization_id, next_number_example=next_number,
                                 defaults=defaults, version=row.version, updated_at=row.updated_at, **effective)


def invoice_customer_ref(invoice: Invoice, live: CustomerRef) -> CustomerRef:
    """On an invoice snapshot the customer's cc list and billing facts are the ones resolved for the invoice."""
    if invoice.cc_emails is None:  # an invoice from before settings existed
        return live
    details = invoice.billing_details or {}
    facts = {name: details.get(name) for name in ("billing_address", "tax_id", "tax_exempt", "billing_contact")}
    return CustomerRef.model_validate({**live.model_dump(), **facts, "cc_emails": list(invoice.cc_emails),
                                       "finance_contacts": details.get("finance_contacts") or [],
                                       "locale": invoice.locale, "tax_treatment": invoice.tax_treatment})


def snapshot_extras(invoice: Invoice) -> dict[str, Any]:
    return {"subscription_id": invoice.subscription_id, "locale": invoice.locale, "attach_pdf": invoice.attach_pdf,
            "issuer": Issuer.model_validate(invoice.issuer) if invoice.issuer else None}


def invoice_extras(invoice: Invoice) -> dict[str, Any]:
    return {"subscription_id": invoice.subscription_id, "locale": invoice.locale, "attach_pdf": invoice.attach_pdf,
            "cc_emails": list(invoice.cc_emails) if invoice.cc_emails is not None else None}


def resolved_out(resolved: dict, *, customer_id: str, subscription_id: str | None,
                 invoice_id: str | None = None) -> ResolvedSettingsOut:
    return ResolvedSettingsOut(invoice_id=invoice_id, customer_id=customer_id, subscription_id=subscription_id,
                                  settings=resolved["settings"], cc=resolved["cc"])
