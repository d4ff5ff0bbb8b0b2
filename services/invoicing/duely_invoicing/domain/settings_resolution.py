"""The override chain for an invoice's settings, as one pure function.

    invoice (explicit on POST /v1/invoices) → subscription → customer → organization → default

`resolve()` takes plain values (no I/O) and returns, for every setting, its
effective value and the level it came from. A None at any level means
"inherit from the next level"; a setting nobody set takes its built-in
default (source "default").

Overridable at every level: payment_terms, currency, locale, attach_pdf, memo
(the organization's is `default_memo`). Organization-only: company details,
numbering, bank details, the cc policy, the emails' sender name and reply-to, the timezone, the
SEPA pre-notification period and the customer portal's options (`portal`, a whole object). Accepted
payment methods: the organization's, overridable by the customer (customer → organization → default).
Customer-only: tax_exempt, tax id, billing address, billing contact, finance contacts.
The VAT treatment (tax_treatment, tax_exemption_reason, tax_exemption_reason_code;
see tax_treatment.py) is the customer's, overridable by the invoice itself:
invoice → customer → default (`standard`); a customer's `tax_exempt: true`
without an explicit treatment means `exempt`.

AutoPay (`autopay`: enabled, timing, days_before_due, payment_method_id) is resolved
subscription → customer → organization → default (disabled), and WHOLE: the most specific level that
sets an AutoPay object decides all of its fields (a customer's `{enabled: true, timing: on_due_date}`
does not inherit the organization's payment_method_id or days_before_due). One level decides, so the
invoice's AutoPay plan names one source, and what a level says is what happens under it. An invoice
itself never sets AutoPay.

Collections (issue #10), WHOLE objects like AutoPay: `reminders` (before/after-due reminder rules and channels)
subscription → customer → organization → default (both sides off); `late_fee` customer → organization → default
(disabled; a subscription has none of its own); `dunning_schedule_id` subscription → customer → null (null = the
organization's default schedule, which dunning owns: invoicing checks the id's format only). The invoice's
collection plan (invoices/collection_plan.py) is fixed from them at approval.

cc addresses MERGE rather than replace: whoever is named anywhere gets a copy.
The list is, in order: the customer's billing contact, the subscription's cc,
the customer's cc, the customer's finance contacts (only when the organization
has `cc_finance_contacts`), then the organization's `extra_cc_emails` —
de-duplicated case-insensitively (first spelling wins) and never repeating
the customer's own address, which the invoice is sent *to*. To stop copying
someone, remove them at the level that names them.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from duely_invoicing.domain import numbering, terms
from duely_contracts import tax_treatment as vat
from duely_contracts.models import LateFeeSettings, ReminderSettings

INVOICE, SUBSCRIPTION, CUSTOMER, ORGANIZATION, DEFAULT = "invoice", "subscription", "customer", "organization", \
    "default"
SOURCES = (INVOICE, SUBSCRIPTION, CUSTOMER, ORGANIZATION, DEFAULT)

PAYMENT_METHODS = ("card", "ach_debit", "sepa_debit", "wire_transfer", "check")

# Built-in defaults, used when no level sets a value. company_name defaults to the organization's name.
DEFAULTS: dict[str, Any] = {
    "payment_terms": terms.DEFAULT_TERMS,
    "currency": None,  # nothing to fall back on: POST /v1/invoices must then name one
    "locale": "en_US",
    "attach_pdf": True,
    "memo": None,
    "company_address": None,
    "company_tax_id": None,
    "logo_url": None,
    "accent_color": "#1F2937",
    "footer": None,
    "invoice_prefix": numbering.DEFAULT_PREFIX,
    "number_format": numbering.DEFAULT_NUMBER_FORMAT,
    "number_reset": "never",
    "cc_finance_contacts": True,
    "extra_cc_emails": (),
    "accepted_payment_methods": ("card",),
    "bank_details": None,
    "tax_exempt": False,
    "customer_tax_id": None,
    "billing_address": None,
    "billing_contact": None,
    "finance_contacts": (),
    "tax_treatment": vat.STANDARD,
    "tax_exemption_reason": None,
    "tax_exemption_reason_code": None,
    "email_from_name": None,  # the emails' From display name: unset = the company name
    "email_reply_to": None,
    "autopay": {"enabled": False, "timing": "on_issue", "days_before_due": None, "payment_method_id": None},
    "timezone": "UTC",
    "sepa_prenotification_days": 14,
    "reminders": ReminderSettings().model_dump(mode="json"),
    "late_fee": LateFeeSettings().model_dump(mode="json"),
    "dunning_schedule_id": None,
    "portal": {"show_drafts": False, "customer_autopay": True},
}

# Settings an invoice, a subscription and a customer can each override; organization field names differ only
# for the memo.
OVERRIDABLE = ("payment_terms", "currency", "locale", "attach_pdf", "memo")
ORGANIZATION_FIELD = {"memo": "default_memo"}
# Organization-only settings: resolved name → OrganizationSettings attribute.
ORGANIZATION_ONLY = {
    "company_name": "company_name", "company_address": "address", "company_tax_id": "tax_id",
    "logo_url": "logo_url", "accent_color": "accent_color", "footer": "footer",
    "invoice_prefix": "invoice_prefix", "number_format": "number_format", "number_reset": "number_reset",
    "cc_finance_contacts": "cc_finance_contacts", "extra_cc_emails": "extra_cc_emails",
    "accepted_payment_methods": "accepted_payment_methods", "bank_details": "bank_details",
    "email_from_name": "email_from_name", "email_reply_to": "email_reply_to",
}
# Customer-only facts: resolved name → CustomerSettings attribute.
CUSTOMER_ONLY = {
    "tax_exempt": "tax_exempt", "customer_tax_id": "tax_id", "billing_address": "billing_address",
    "billing_contact": "billing_contact", "finance_contacts": "finance_contacts",
}
# The customer's, overridable by the invoice only (not by a subscription).
TAX_TREATMENT = ("tax_treatment", "tax_exemption_reason", "tax_exemption_reason_code")
# Payment collection (issue #9): autopay (subscription → customer → organization), and two organization-only
# settings that shape when AutoPay charges. (accepted_payment_methods, listed with ORGANIZATION_ONLY for its
# organization attribute, is overridable by the customer.)
# Collections (issue #10): reminders, late_fee, dunning_schedule_id (which levels may set each: the module doc).
REMINDERS, LATE_FEE, DUNNING_SCHEDULE = "reminders", "late_fee", "dunning_schedule_id"
COLLECTION = ("autopay", "timezone", "sepa_prenotification_days", REMINDERS, LATE_FEE, DUNNING_SCHEDULE)
CUSTOMER_OVERRIDABLE_ORGANIZATION_SETTINGS = ("accepted_payment_methods",)
# The customer portal (issue #11): organization-only, a whole object (show_drafts, customer_autopay). Not an
# invoice's setting, so not in resolve(): the portal reads it with portal_settings().
PORTAL = "portal"


@dataclass(frozen=True)
class Contact:
    email: str
    name: str | None = None


@dataclass(frozen=True)
class Overrides:
    """The overridable settings of one level; None = inherit. cc_emails always merge (see module doc)."""

    payment_terms: str | None = None
    currency: str | None = None
    locale: str | None = None
    attach_pdf: bool | None = None
    memo: str | None = None
    cc_emails: tuple[str, ...] = ()
    # Read at the invoice level only (TAX_TREATMENT).
    tax_treatment: str | None = None
    tax_exemption_reason: str | None = None
    tax_exemption_reason_code: str | None = None
    # Payment collection: read at the subscription and customer levels (autopay), the customer level only
    # (accepted_payment_methods). autopay is a whole AutopaySettings dict (see the module doc).
    autopay: dict | None = None
    accepted_payment_methods: tuple[str, ...] | None = None
    # Collections: reminders (subscription and customer levels, a whole ReminderSettings dict), late_fee (customer
    # level only, a whole LateFeeSettings dict), dunning_schedule_id (subscription and customer levels).
    reminders: dict | None = None
    late_fee: dict | None = None
    dunning_schedule_id: str | None = None


@dataclass(frozen=True)
class OrganizationSettings:
    """What the organization set; None = built-in default."""

    organization_name: str
    company_name: str | None = None
    address: dict | None = None
    tax_id: str | None = None
    logo_url: str | None = None
    accent_color: str | None = None
    footer: str | None = None
    invoice_prefix: str | None = None
    number_format: str | None = None
    number_reset: str | None = None
    payment_terms: str | None = None
    currency: str | None = None
    locale: str | None = None
    attach_pdf: bool | None = None
    cc_finance_contacts: bool | None = None
    extra_cc_emails: tuple[str, ...] | None = None
    accepted_payment_methods: tuple[str, ...] | None = None
    bank_details: dict | None = None
    default_memo: str | None = None
    email_from_name: str | None = None
    email_reply_to: str | None = None
    autopay: dict | None = None
    timezone: str | None = None
    sepa_prenotification_days: int | None = None
    reminders: dict | None = None
    late_fee: dict | None = None
    portal: dict | None = None  # the customer portal (issue #11): a whole PortalSettings dict


@dataclass(frozen=True)
class CustomerSettings:
    email: str
    overrides: Overrides = field(default_factory=Overrides)
    tax_exempt: bool | None = None
    tax_id: str | None = None
    billing_address: dict | None = None
    billing_contact: Contact | None = None
    finance_contacts: tuple[Contact, ...] = ()
    tax_treatment: str | None = None
    tax_exemption_reason: str | None = None
    tax_exemption_reason_code: str | None = None


@dataclass(frozen=True)
class Resolved:
    value: Any
    source: str


@dataclass(frozen=True)
class CcEntry:
    email: str
    source: str  # the level that named this address
    reason: str  # billing_contact | cc | finance_contact | extra_cc


@dataclass(frozen=True)
class ResolvedSettings:
    settings: dict[str, Resolved]
    cc: tuple[CcEntry, ...]

    def __getitem__(self, name: str) -> Any:
        return self.settings[name].value

    def source(self, name: str) -> str:
        return self.settings[name].source

    @property
    def cc_emails(self) -> list[str]:
        return [entry.email for entry in self.cc]


def resolve(organization: OrganizationSettings, customer: CustomerSettings,
            subscription: Overrides | None = None, invoice: Overrides | None = None) -> ResolvedSettings:
    """Every effective setting for an invoice of `customer` (under `subscription`, if any) and its source."""
    chain = [(INVOICE, invoice), (SUBSCRIPTION, subscription), (CUSTOMER, customer.overrides)]
    settings: dict[str, Resolved] = {}
    for name in OVERRIDABLE:
        org_value = getattr(organization, ORGANIZATION_FIELD.get(name, name))
        candidates = [(source, getattr(level, name)) for source, level in chain if level is not None]
        settings[name] = _first_set(candidates + [(ORGANIZATION, org_value)], DEFAULTS[name])
    settings["company_name"] = (Resolved(organization.company_name, ORGANIZATION) if organization.company_name
                                else Resolved(organization.organization_name, DEFAULT))
    for name, attr in ORGANIZATION_ONLY.items():
        if name != "company_name":
            own = [(CUSTOMER, getattr(customer.overrides, name))] \
                if name in CUSTOMER_OVERRIDABLE_ORGANIZATION_SETTINGS else []
            settings[name] = _first_set(own + [(ORGANIZATION, getattr(organization, attr))], DEFAULTS[name])
    autopay_chain = [(source, level.autopay) for source, level in ((SUBSCRIPTION, subscription),
                                                                   (CUSTOMER, customer.overrides))
                     if level is not None]
    settings["autopay"] = _first_set(autopay_chain + [(ORGANIZATION, organization.autopay)],
                                     dict(DEFAULTS["autopay"]))
    own_levels = [(source, level) for source, level in ((SUBSCRIPTION, subscription), (CUSTOMER, customer.overrides))
                  if level is not None]
    settings[REMINDERS] = _first_set([(source, level.reminders) for source, level in own_levels]
                                     + [(ORGANIZATION, organization.reminders)], copy.deepcopy(DEFAULTS[REMINDERS]))
    settings[LATE_FEE] = _first_set([(CUSTOMER, customer.overrides.late_fee), (ORGANIZATION, organization.late_fee)],
                                    copy.deepcopy(DEFAULTS[LATE_FEE]))
    settings[DUNNING_SCHEDULE] = _first_set([(source, level.dunning_schedule_id) for source, level in own_levels],
                                            DEFAULTS[DUNNING_SCHEDULE])
    for name in ("timezone", "sepa_prenotification_days"):
        settings[name] = _first_set([(ORGANIZATION, getattr(organization, name))], DEFAULTS[name])
    for name, attr in CUSTOMER_ONLY.items():
        value = getattr(customer, attr)
        settings[name] = _first_set([(CUSTOMER, value if value != () else None)], DEFAULTS[name])
    customer_treatment = vat.from_customer(customer.tax_treatment, customer.tax_exempt)
    for name in TAX_TREATMENT:
        own = customer_treatment if name == "tax_treatment" else getattr(customer, name)
        settings[name] = _first_set([(INVOICE, getattr(invoice, name) if invoice else None), (CUSTOMER, own)],
                                    DEFAULTS[name])

    cc = _merge_cc(customer, subscription, invoice, settings)
    most_specific = next((s for s in SOURCES if any(e.source == s for e in cc)), DEFAULT)
    settings["cc_emails"] = Resolved([e.email for e in cc], most_specific)
    return ResolvedSettings(settings, tuple(cc))


def _first_set(candidates: list[tuple[str, Any]], default: Any) -> Resolved:
    for source, value in candidates:
        if value is not None:
            return Resolved(value, source)
    return Resolved(default, DEFAULT)


def _merge_cc(customer: CustomerSettings, subscription: Overrides | None, invoice: Overrides | None,
              settings: dict[str, Resolved]) -> list[CcEntry]:
    named: list[tuple[str, str, str]] = []
    if customer.billing_contact is not None:
        named.append((customer.billing_contact.email, CUSTOMER, "billing_contact"))
    for source, level in ((INVOICE, invoice), (SUBSCRIPTION, subscription), (CUSTOMER, customer.overrides)):
        if level is not None:
            named += [(email, source, "cc") for email in level.cc_emails]
    if settings["cc_finance_contacts"].value:
        named += [(c.email, CUSTOMER, "finance_contact") for c in customer.finance_contacts]
    extra = settings["extra_cc_emails"]
    named += [(email, extra.source, "extra_cc") for email in extra.value]

    seen = {customer.email.strip().lower()}
    merged = []
    for email, source, reason in named:
        key = email.strip().lower()
        if key and key not in seen:
            seen.add(key)
            merged.append(CcEntry(email.strip(), source, reason))
    return merged


def portal_settings(organization: OrganizationSettings) -> dict:
    """The customer portal's options: the organization's whole object, each field it lacks at its default."""
    return {**DEFAULTS[PORTAL], **(organization.portal or {})}
