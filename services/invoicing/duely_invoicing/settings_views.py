"""Rows → API bodies and snapshot fields for settings, customers' billing facts and subscriptions."""

from __future__ import annotations

from typing import Any

from duely_contracts.models import CustomerRef, Issuer
from duely_invoicing import settings_schemas as ss
from duely_invoicing.models import Customer, Invoice, InvoiceSettings, Subscription

_CUSTOMER_EXTRAS = ("payment_terms", "currency", "locale", "attach_pdf", "memo", "tax_exempt", "tax_id",
                    "billing_address", "billing_contact", "tax_treatment", "tax_exemption_reason",
                    "tax_exemption_reason_code")


def settings_out(row: InvoiceSettings, organization_id: str, effective: dict[str, Any],
                 next_number: str) -> ss.InvoiceSettingsOut:
    defaults = [name for name in effective if getattr(row, name) is None]
    return ss.InvoiceSettingsOut(organization_id=organization_id, next_number_example=next_number,
                                 defaults=defaults, version=row.version, updated_at=row.updated_at, **effective)


def customer_extras(customer: Customer) -> dict[str, Any]:
    """The override and billing fields of CustomerOut."""
    return {**{name: getattr(customer, name) for name in _CUSTOMER_EXTRAS},
            "finance_contacts": list(customer.finance_contacts or []), "version": customer.version}


def customer_ref_extras(customer: Customer) -> dict[str, Any]:
    """The billing facts a CustomerRef carries (events about the customer)."""
    return {"billing_address": customer.billing_address, "tax_id": customer.tax_id,
            "tax_exempt": customer.tax_exempt, "billing_contact": customer.billing_contact,
            "finance_contacts": list(customer.finance_contacts or []), "locale": customer.locale,
            "tax_treatment": customer.tax_treatment}


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


def subscription_out(subscription: Subscription) -> ss.SubscriptionOut:
    return ss.SubscriptionOut(
        id=subscription.id, customer_id=subscription.customer_id, description=subscription.description,
        status=subscription.status,
        settings=ss.SubscriptionSettingsOut(
            payment_terms=subscription.payment_terms, currency=subscription.currency, locale=subscription.locale,
            attach_pdf=subscription.attach_pdf, memo=subscription.memo,
            cc_emails=list(subscription.cc_emails or [])),
        version=subscription.version, created_at=subscription.created_at,
        updated_at=subscription.updated_at, canceled_at=subscription.canceled_at)


def resolved_out(resolved: dict, *, customer_id: str, subscription_id: str | None,
                 invoice_id: str | None = None) -> ss.ResolvedSettingsOut:
    return ss.ResolvedSettingsOut(invoice_id=invoice_id, customer_id=customer_id, subscription_id=subscription_id,
                                  settings=resolved["settings"], cc=resolved["cc"])
