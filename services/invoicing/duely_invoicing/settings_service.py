"""Use cases of invoice settings: the organization's settings, customer updates, and the override chain
applied to invoices (resolution at creation, delivery and branding retaken at approval, numbering).

Guard clauses, then the work, in the caller's transaction; nothing here commits.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts import events as ev
from duely_contracts.models import InvoiceSettingOverrides
from duely_runtime.errors import ApiError, invalid, not_found
from duely_runtime.outbox import Outbox
from duely_invoicing import repository, settings_repository, settings_schemas as ss, tax_treatment_service, views
from duely_invoicing.domain import numbering
from duely_invoicing.logos import repository as logos_repository
from duely_invoicing.logos.fetch import LogoImage
from duely_invoicing.domain import settings_resolution as res
from duely_invoicing.models import Customer, Invoice, InvoiceSettings, NumberSequence, Organization, Subscription

# InvoiceSettings column → name in the resolution (where they differ).
_ORG_TO_RESOLVED = {attr: name for name, attr in res.ORGANIZATION_ONLY.items()} | {"default_memo": "memo"}
ORG_FIELDS = tuple(ss.InvoiceSettingsPatch.model_fields)
CUSTOMER_OVERRIDE_FIELDS = tuple(ss.CustomerOverrides.model_fields)
# Taken again at approval (they shape delivery and the document, not the amounts).
DELIVERY_AND_BRANDING = ("locale", "attach_pdf", "cc_emails", "company_name", "company_address",
                         "company_tax_id", "logo_url", "accent_color", "footer", "accepted_payment_methods",
                         "bank_details", "tax_exempt", "customer_tax_id", "billing_address", "billing_contact",
                         "email_from_name", "email_reply_to")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


# --- rows → the resolver's plain inputs ------------------------------------------------

def organization_settings(row: InvoiceSettings | None, organization: Organization) -> res.OrganizationSettings:
    values = {name: getattr(row, name) for name in ORG_FIELDS} if row is not None else {}
    for name in ("extra_cc_emails", "accepted_payment_methods"):
        if values.get(name) is not None:
            values[name] = tuple(values[name])
    return res.OrganizationSettings(organization_name=organization.name, **values)


def _contact(value: dict | None) -> res.Contact | None:
    return res.Contact(email=value["email"], name=value.get("name")) if value else None


def customer_settings(customer: Customer) -> res.CustomerSettings:
    return res.CustomerSettings(
        email=customer.email,
        overrides=res.Overrides(payment_terms=customer.payment_terms, currency=customer.currency,
                                locale=customer.locale, attach_pdf=customer.attach_pdf, memo=customer.memo,
                                cc_emails=tuple(customer.cc_emails or ())),
        tax_exempt=customer.tax_exempt, tax_id=customer.tax_id, billing_address=customer.billing_address,
        billing_contact=_contact(customer.billing_contact),
        finance_contacts=tuple(_contact(c) for c in customer.finance_contacts or ()),
        tax_treatment=customer.tax_treatment, tax_exemption_reason=customer.tax_exemption_reason,
        tax_exemption_reason_code=customer.tax_exemption_reason_code)


def subscription_overrides(subscription: Subscription | None) -> res.Overrides | None:
    if subscription is None:
        return None
    return res.Overrides(payment_terms=subscription.payment_terms, currency=subscription.currency,
                         locale=subscription.locale, attach_pdf=subscription.attach_pdf, memo=subscription.memo,
                         cc_emails=tuple(subscription.cc_emails or ()))


def jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return dataclasses.asdict(value)
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def resolved_json(resolved: res.ResolvedSettings) -> dict:
    return {"settings": {name: {"value": jsonable(r.value), "source": r.source}
                         for name, r in resolved.settings.items()},
            "cc": [dataclasses.asdict(entry) for entry in resolved.cc]}


# --- organization settings ---------------------------------------------------------------

async def get_settings(session: AsyncSession, organization_id: str) -> tuple[InvoiceSettings, Organization]:
    organization = await repository.get_organization(session, organization_id)
    return await settings_repository.get_or_create_settings(session, organization_id, utcnow()), organization


async def update_settings(session: AsyncSession, organization_id: str, patch: ss.InvoiceSettingsPatch,
                          logo: LogoImage | None = None) -> tuple[InvoiceSettings, Organization]:
    """`logo`: the image fetched for patch.logo_url (the caller fetches it before the transaction)."""
    changes = ss.set_fields(patch)
    organization = await repository.get_organization(session, organization_id)
    row = await settings_repository.get_or_create_settings(session, organization_id, utcnow(), for_update=True)
    effective = effective_settings(row, organization)
    numbering_after = {name: changes[name] if name in changes else effective[name]
                       for name in ("number_format", "invoice_prefix", "number_reset")}
    for name in ("number_format", "invoice_prefix", "number_reset"):  # a null resets to the default
        if numbering_after[name] is None:
            numbering_after[name] = res.DEFAULTS[name]
    problem = numbering.format_problem(numbering_after["number_format"], numbering_after["invoice_prefix"],
                                       numbering_after["number_reset"])
    if problem:
        param = next((n for n in ("number_format", "number_reset", "invoice_prefix") if n in changes),
                     "number_format")
        raise invalid(param, problem)
    if not changes:
        return row, organization
    if logo is not None:
        await logos_repository.store_logo(session, organization_id, logo, utcnow())
    for name, value in changes.items():
        setattr(row, name, value)
    row.version += 1
    row.updated_at = utcnow()
    await session.flush()
    return row, organization


def effective_settings(row: InvoiceSettings, organization: Organization) -> dict[str, Any]:
    """Each organization field's value, its built-in default where it was never set."""
    out = {}
    for name in ORG_FIELDS:
        value = getattr(row, name)
        if value is None:
            value = organization.name if name == "company_name" else res.DEFAULTS[_ORG_TO_RESOLVED.get(name, name)]
        out[name] = list(value) if isinstance(value, tuple) else value
    return out


async def next_number_example(session: AsyncSession, organization_id: str, effective: dict) -> str:
    """The number the next approval would take today (read without a lock: a preview, not a promise)."""
    today = utcnow().date()
    series = numbering.series_key(effective["number_format"], effective["invoice_prefix"],
                                  effective["number_reset"], today)
    counter = (await session.execute(select(NumberSequence.next_value).where(
        NumberSequence.organization_id == organization_id, NumberSequence.series == series))).scalar()
    return numbering.format_number(effective["number_format"], counter or 1, today,
                                   prefix=effective["invoice_prefix"])


# --- customers -----------------------------------------------------------------------

def customer_columns(data: ss.CustomerOverrides, *, only_set: bool = False) -> dict[str, Any]:
    values = ss.set_fields(data) if only_set else data.model_dump(mode="json")
    return {name: value for name, value in values.items() if name in CUSTOMER_OVERRIDE_FIELDS}


def customer_invoice_settings(customer: Customer) -> InvoiceSettingOverrides:
    return InvoiceSettingOverrides(payment_terms=customer.payment_terms, currency=customer.currency,
                                   locale=customer.locale, attach_pdf=customer.attach_pdf, memo=customer.memo,
                                   cc_emails=list(customer.cc_emails or []))


async def update_customer(session: AsyncSession, outbox: Outbox, organization_id: str, customer_id: str,
                          patch: ss.CustomerPatch) -> Customer:
    """Partial update (absent = unchanged, null = inherit); publishes `customer.updated` when anything changed."""
    customer = await settings_repository.get_customer_for_update(session, organization_id, customer_id)
    if customer is None:
        raise not_found("customer", customer_id)
    changes = ss.set_fields(patch)
    for name in ("name", "email"):
        if name in changes and changes[name] is None:
            raise invalid(name, f"{name} can't be null.")
    if "cc_emails" in changes and changes["cc_emails"] is None:
        changes["cc_emails"] = []
    changed = {name: value for name, value in changes.items() if getattr(customer, name) != value}
    if not changed:
        return customer
    after = {name: changed.get(name, getattr(customer, name)) for name in ("tax_treatment", "tax_exempt", "tax_id")}
    tax_treatment_service.refuse_customer_without_vat_id(after["tax_treatment"], after["tax_exempt"], after["tax_id"])
    for name, value in changed.items():
        setattr(customer, name, value)
    customer.version += 1
    customer.updated_at = utcnow()
    await session.flush()
    await outbox.emit(session, "customer.updated",
                      ev.CustomerUpdated(organization_id=organization_id, **views.customer_ref(customer).model_dump(),
                                         invoice_settings=customer_invoice_settings(customer)),
                      organization_id=organization_id, aggregate_id=customer.id, aggregate_version=customer.version)
    return customer


# --- resolution --------------------------------------------------------------------------

async def resolve(session: AsyncSession, organization_id: str, customer: Customer,
                  subscription: Subscription | None, invoice: res.Overrides | None = None) -> res.ResolvedSettings:
    organization = await repository.get_organization(session, organization_id)
    row = await settings_repository.find_settings(session, organization_id)  # no row yet = all defaults
    return res.resolve(organization_settings(row, organization), customer_settings(customer),
                       subscription_overrides(subscription), invoice)


async def preview(session: AsyncSession, organization_id: str, customer_id: str,
                  subscription_id: str | None) -> tuple[res.ResolvedSettings, Customer, Subscription | None]:
    """What an invoice for this customer (under this subscription) would get now."""
    customer = await repository.get_customer(session, organization_id, customer_id)
    if customer is None:
        raise not_found("customer", customer_id, param="customer_id")
    subscription = None
    if subscription_id:
        subscription = await settings_repository.get_subscription(session, organization_id, subscription_id)
        if subscription is None:
            raise not_found("subscription", subscription_id, param="subscription_id")
        if subscription.customer_id != customer.id:
            raise invalid("subscription_id", f"Subscription '{subscription_id}' belongs to another customer.")
    return await resolve(session, organization_id, customer, subscription), customer, subscription


async def subscription_for_invoice(session: AsyncSession, organization_id: str, subscription_id: str | None,
                                   customer: Customer) -> Subscription | None:
    if subscription_id is None:
        return None
    subscription = await settings_repository.get_subscription(session, organization_id, subscription_id)
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
    subscription = (await settings_repository.get_subscription(session, invoice.organization_id,
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
    taken = await session.scalar(select(Invoice.id).where(Invoice.organization_id == invoice.organization_id,
                                                          Invoice.number == number))
    if taken is not None:  # another format's series already printed this exact number
        raise ApiError(409, "invoice_number_taken", f"Invoice number {number} is already used by {taken}; "
                       "change the invoice prefix or number format.", param="number_format")
    invoice.number = number
