"""The organization's invoice settings: read, patch, their effective values and the next number."""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts.models import LateFeeSettings, ReminderSettings
from duely_invoicing.domain import numbering
from duely_invoicing.domain import settings_resolution as res
from duely_invoicing.logos import repository as logos_repository
from duely_invoicing.logos.fetch import LogoImage
from duely_invoicing.models import Customer, InvoiceSettings, Organization, Subscription
from duely_invoicing.organizations import repository as organizations_repository
from duely_invoicing.request_types import set_fields
from duely_invoicing.settings import repository, views
from duely_invoicing.settings.schemas import InvoiceSettingsOut, InvoiceSettingsPatch
from duely_runtime.errors import invalid
from duely_runtime.kit.clock import utcnow

# InvoiceSettings column → name in the resolution (where they differ).
_ORG_TO_RESOLVED = {attr: name for name, attr in res.ORGANIZATION_ONLY.items()} | {"default_memo": "memo"}

ORG_FIELDS = tuple(InvoiceSettingsPatch.model_fields)

# Taken again at approval (they shape delivery and the document, not the amounts).
DELIVERY_AND_BRANDING = ("locale", "attach_pdf", "cc_emails", "company_name", "company_address",
                         "company_tax_id", "logo_url", "accent_color", "footer", "accepted_payment_methods",
                         "bank_details", "tax_exempt", "customer_tax_id", "billing_address", "billing_contact",
                         "email_from_name", "email_reply_to")


def organization_settings(row: InvoiceSettings | None, organization: Organization) -> res.OrganizationSettings:
    values = {name: getattr(row, name) for name in ORG_FIELDS} if row is not None else {}
    if values.get("autopay") is not None:
        values["autopay"] = autopay_value(values["autopay"])
    values["reminders"] = reminders_value(values.get("reminders"))
    values["late_fee"] = late_fee_value(values.get("late_fee"))
    for name in ("extra_cc_emails", "accepted_payment_methods"):
        if values.get(name) is not None:
            values[name] = tuple(values[name])
    return res.OrganizationSettings(organization_name=organization.name, **values)


def autopay_value(stored: dict | None) -> dict | None:
    """A stored AutoPay setting as the resolution takes it: every field present (None = not set at that level)."""
    if stored is None:
        return None
    return {**res.DEFAULTS["autopay"], **stored}


def reminders_value(stored: dict | None) -> dict | None:
    """A stored reminders setting, every field present (a row written before a field existed gets its default)."""
    return ReminderSettings.model_validate(stored).model_dump(mode="json") if stored is not None else None


def late_fee_value(stored: dict | None) -> dict | None:
    return LateFeeSettings.model_validate(stored).model_dump(mode="json") if stored is not None else None


def _contact(value: dict | None) -> res.Contact | None:
    return res.Contact(email=value["email"], name=value.get("name")) if value else None


def customer_settings(customer: Customer) -> res.CustomerSettings:
    return res.CustomerSettings(
        email=customer.email,
        overrides=res.Overrides(payment_terms=customer.payment_terms, currency=customer.currency,
                                locale=customer.locale, attach_pdf=customer.attach_pdf, memo=customer.memo,
                                cc_emails=tuple(customer.cc_emails or ()), autopay=autopay_value(customer.autopay),
                                accepted_payment_methods=tuple(customer.accepted_payment_methods)
                                if customer.accepted_payment_methods is not None else None,
                                reminders=reminders_value(customer.reminders),
                                late_fee=late_fee_value(customer.late_fee),
                                dunning_schedule_id=customer.dunning_schedule_id),
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
                         cc_emails=tuple(subscription.cc_emails or ()),
                         autopay=autopay_value(subscription.autopay),
                         reminders=reminders_value(subscription.reminders),
                         dunning_schedule_id=subscription.dunning_schedule_id)


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


async def get_settings(session: AsyncSession, organization_id: str) -> tuple[InvoiceSettings, Organization]:
    organization = await organizations_repository.get_organization(session, organization_id)
    return await repository.read_settings(session, organization_id, organization.created_at), organization


async def update_settings(session: AsyncSession, organization_id: str, patch: InvoiceSettingsPatch,
                          logo: LogoImage | None = None) -> tuple[InvoiceSettings, Organization]:
    """`logo`: the image fetched for patch.logo_url (the caller fetches it before the transaction)."""
    changes = set_fields(patch)
    organization = await organizations_repository.get_organization(session, organization_id)
    row = await repository.get_or_create_settings(session, organization_id, utcnow(), for_update=True)
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
    if (changes.get("autopay") or {}).get("payment_method_id") is not None:
        raise invalid("autopay.payment_method_id", "The organization's AutoPay cannot name a payment method: a "
                      "saved method belongs to one customer. Set it on the customer or the subscription; here "
                      "leave it null (each customer's default method).")
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
    counter = await repository.peek_next_number(session, organization_id, series)
    return numbering.format_number(effective["number_format"], counter or 1, today,
                                   prefix=effective["invoice_prefix"])


async def settings_body(session: AsyncSession, organization_id: str, row: InvoiceSettings,
                        organization: Organization) -> InvoiceSettingsOut:
    """GET/PATCH /v1/settings/invoicing's answer: stored values, built-in defaults, the next number."""
    effective = effective_settings(row, organization)
    example = await next_number_example(session, organization_id, effective)
    return views.settings_out(row, organization_id, effective, example)
