"""An invoice's settings: resolved at creation (organization → customer → subscription → explicit, with
the source of each value), stamped on the draft, retaken and frozen at approval with its number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from duely_invoicing.domain import numbering
from duely_invoicing.domain import settings_resolution as res
from duely_invoicing.invoices import repository
from duely_invoicing.models import Customer, Invoice, Subscription
from duely_invoicing.settings.resolution import preview, resolve
from duely_invoicing.settings.service import jsonable, resolved_json
from duely_invoicing.subscriptions import repository as subscriptions_repository
from duely_runtime.errors import ApiError, invalid, not_found


async def subscription_for_invoice(session: AsyncSession, organization_id: str, subscription_id: str | None,
                                   customer: Customer) -> Subscription | None:
    if subscription_id is None:
        return None
    subscription = await subscriptions_repository.get_subscription(session, organization_id, subscription_id)
    if subscription is None:
        raise ApiError(400, "resource_missing", f"No such subscription: '{subscription_id}'", param="subscription_id")
    if subscription.customer_id != customer.id:
        raise invalid("subscription_id", f"Subscription '{subscription_id}' belongs to another customer, "
                                         f"not '{customer.id}'.")
    return subscription


def explicit_overrides(data) -> res.Overrides:
    """What a POST /v1/invoices body states itself (memo: omitted = inherit, null = no memo)."""
    memo_set = "memo" in data.model_fields_set
    return res.Overrides(payment_terms=data.payment_terms, currency=data.currency,
                         memo=(data.memo or "") if memo_set else None, tax_treatment=data.tax_treatment,
                         tax_exemption_reason=data.tax_exemption_reason,
                         tax_exemption_reason_code=data.tax_exemption_reason_code)


async def resolve_for_new_invoice(session: AsyncSession, organization_id: str, customer: Customer,
                                  subscription: Subscription | None, data) -> res.ResolvedSettings:
    resolved = await resolve(session, organization_id, customer, subscription, explicit_overrides(data))
    if resolved["currency"] is None:
        raise ApiError(400, "parameter_missing", "currency is required: neither the subscription, the customer "
                       "nor the organization's invoice settings name a default currency.", param="currency")
    return resolved


def stamp(invoice: Invoice, resolved: res.ResolvedSettings, subscription: Subscription | None = None) -> None:
    """Write the resolved delivery, branding and billing facts onto the invoice."""
    if subscription is not None:
        invoice.subscription_id = subscription.id
    invoice.locale = resolved["locale"]
    invoice.attach_pdf = resolved["attach_pdf"]
    invoice.cc_emails = resolved.cc_emails
    methods = list(resolved["accepted_payment_methods"])
    invoice.issuer = {
        "company_name": resolved["company_name"], "address": resolved["company_address"],
        "tax_id": resolved["company_tax_id"], "logo_url": resolved["logo_url"],
        "accent_color": resolved["accent_color"], "footer": resolved["footer"],
        "bank_details": resolved["bank_details"] if "wire_transfer" in methods else None,
        "accepted_payment_methods": methods,
        "email_from_name": resolved["email_from_name"], "email_reply_to": resolved["email_reply_to"],
    }
    invoice.billing_details = {
        "billing_address": resolved["billing_address"], "tax_id": resolved["customer_tax_id"],
        "tax_exempt": resolved["tax_exempt"], "billing_contact": jsonable(resolved["billing_contact"]),
        "finance_contacts": jsonable(resolved["finance_contacts"]),
    }
    invoice.resolved_settings = resolved_json(resolved)


def invoice_settings_view(invoice: Invoice, fallback: dict | None = None) -> dict:
    """The stored resolution, with the invoice's own terms/currency/memo where a draft edit changed them."""
    stored = invoice.resolved_settings or fallback or {"settings": {}, "cc": []}
    settings = dict(stored["settings"])
    for name in ("payment_terms", "currency", "memo"):
        value = getattr(invoice, name)
        if (value or None) != (settings.get(name, {}).get("value") or None):
            settings[name] = {"value": value, "source": res.INVOICE}
    return {**stored, "settings": settings}


@dataclass(frozen=True)
class SettingsOfInvoice:
    invoice: Invoice
    values: dict


async def settings_of_invoice(session: AsyncSession, organization_id: str, invoice_id: str) -> SettingsOfInvoice:
    """The settings an invoice was given; for an invoice from before settings existed, today's resolution."""
    invoice = await repository.get_invoice(session, organization_id, invoice_id)
    if invoice is None:
        raise not_found("invoice", invoice_id)
    fallback = None
    if invoice.resolved_settings is None:
        resolved, _, _ = await preview(session, organization_id, invoice.customer_id, None)
        fallback = resolved_json(resolved)
    return SettingsOfInvoice(invoice, invoice_settings_view(invoice, fallback))


def new_invoice_values(resolved: res.ResolvedSettings) -> dict[str, Any]:
    memo = resolved["memo"]
    treatment = resolved["tax_treatment"]
    exempt = treatment == "exempt"  # a reason belongs to an exemption only
    return {"currency": resolved["currency"], "payment_terms": resolved["payment_terms"], "memo": memo or None,
            "tax_treatment": treatment, "tax_exemption_reason": resolved["tax_exemption_reason"] if exempt else None,
            "tax_exemption_reason_code": resolved["tax_exemption_reason_code"] if exempt else None}


async def number_and_freeze(session: AsyncSession, invoice: Invoice, now: datetime) -> None:
    """At approval: retake delivery/branding from the current settings and take the next number of the
    resolved format's series (gapless: the sequence row stays locked until the approval commits)."""
    subscription = (await subscriptions_repository.get_subscription(session, invoice.organization_id,
                                                                invoice.subscription_id)
                    if invoice.subscription_id else None)
    fresh = await resolve(session, invoice.organization_id, invoice.customer, subscription)
    settings = dict(fresh.settings)
    stored = (invoice.resolved_settings or {}).get("settings", {})
    for name in ("payment_terms", "currency", "memo"):  # the draft's own values stand
        value = getattr(invoice, name)
        pinned = stored.get(name, {}).get("source") == res.INVOICE
        if pinned or (value or None) != (settings[name].value or None):
            settings[name] = res.Resolved(value, res.INVOICE)
    for name in res.TAX_TREATMENT:  # fixed at creation: it priced the invoice
        value = getattr(invoice, name) or res.DEFAULTS[name]
        settings[name] = res.Resolved(value, stored.get(name, {}).get("source", res.DEFAULT))
    stamp(invoice, res.ResolvedSettings(settings, fresh.cc), subscription)

    fmt, prefix, reset = fresh["number_format"], fresh["invoice_prefix"], fresh["number_reset"]
    series = numbering.series_key(fmt, prefix, reset, now.date())
    counter = await repository.take_next_number(session, invoice.organization_id, series)
    number = numbering.format_number(fmt, counter, now.date(), prefix=prefix)
    taken = await repository.invoice_with_number(session, invoice.organization_id, number)
    if taken is not None:  # another format's series already printed this exact number
        raise ApiError(409, "invoice_number_taken", f"Invoice number {number} is already used by {taken}; "
                       "change the invoice prefix or number format.", param="number_format")
    invoice.number = number
