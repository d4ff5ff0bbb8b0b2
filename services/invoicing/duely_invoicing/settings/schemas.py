"""API models for the organization's invoice settings and the resolved settings of a customer or invoice.

Validation happens here, before any SQL: a bad colour, locale, currency, terms
or email is a 400 naming the field (the runtime turns the pydantic error into
the one error shape). On PATCH, a field that is absent is left alone and a
field sent as null is reset (organization: to the built-in default; customer
and subscription: to "inherit").
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, EmailStr, Field, StringConstraints

from duely_contracts.models import Address, AutopaySettings, BankDetails, LateFeeSettings, ReminderSettings
from duely_contracts.timestamps import Timestamp
from duely_invoicing import schema_docs
from duely_invoicing.domain import numbering
from duely_invoicing.domain.settings_resolution import PAYMENT_METHODS, SOURCES
from duely_invoicing.request_types import (AddressIn, AutopayIn, BankDetailsIn, CcList, Colour, Currency, LateFeeIn,
                                           LocaleCode, LongText, Name, PortalIn, RemindersIn, RequestModel,
                                           SenderName, SepaPrenotificationDays, Terms, Timezone)


def _prefix(value: str) -> str:
    if not numbering.is_valid_prefix(value):
        raise ValueError("invoice_prefix: 1-20 letters, digits or . _ / -, starting with a letter or digit")
    return value


def _number_format(value: str) -> str:
    if not numbering.is_valid_format(value):
        raise ValueError("number_format needs exactly one counter token {N…} and only the tokens "
                         "{PREFIX}, {YYYY}, {YY}, {MM}, {N…}")
    return value


PaymentMethod = Literal[PAYMENT_METHODS]  # type: ignore[valid-type]


Source = Literal[SOURCES]  # type: ignore[valid-type]


class InvoiceSettingsPatch(RequestModel):
    company_name: Name | None = None
    address: AddressIn | None = None
    tax_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] | None = None
    logo_url: Annotated[str, StringConstraints(max_length=2000, pattern=r"^https?://\S+$")] | None = Field(
        None, description="http(s) URL of the logo printed on the PDF.")
    accent_color: Colour | None = None
    footer: Annotated[str, StringConstraints(max_length=2000)] | None = None
    invoice_prefix: Annotated[str, AfterValidator(_prefix), Field(json_schema_extra=schema_docs.PREFIX)] | None = None
    number_format: Annotated[str, StringConstraints(max_length=60), AfterValidator(_number_format)] | None = Field(
        None, description="Tokens {PREFIX} {YYYY} {YY} {MM} and one counter {N…} (width = number of Ns).",
        json_schema_extra=schema_docs.NUMBER_FORMAT)
    number_reset: Literal["never", "yearly"] | None = None
    payment_terms: Terms | None = None
    currency: Currency | None = None
    locale: LocaleCode | None = None
    attach_pdf: bool | None = None
    cc_finance_contacts: bool | None = None
    extra_cc_emails: CcList | None = None
    accepted_payment_methods: Annotated[list[PaymentMethod], Field(min_length=1, max_length=5)] | None = None
    bank_details: BankDetailsIn | None = None
    default_memo: LongText | None = None
    email_from_name: SenderName | None = Field(
        None, description="Display name of the emails' From, e.g. 'Acme Billing'; the address stays the "
                          "platform's SMTP_FROM. Unset: the company name.")
    email_reply_to: EmailStr | None = Field(None, description="Where the customers' replies go (Reply-To). "
                                                              "Unset: no Reply-To.")
    autopay: AutopayIn | None = Field(
        None, description="AutoPay's organization default, replaced whole (customers and subscriptions may "
                          "override it, also whole). It cannot name a payment_method_id: a method belongs to "
                          "one customer. null: disabled (the built-in default).")
    timezone: Timezone | None = Field(None, description="IANA timezone AutoPay's charge days are counted in. "
                                                        "Unset: UTC.")
    sepa_prenotification_days: SepaPrenotificationDays | None = None
    reminders: RemindersIn | None = Field(
        None, description="Reminders before and after the due date, the organization's default, replaced whole "
                          "(customers and subscriptions may override it, also whole). null: the built-in default "
                          "(both off: the default dunning schedule already emails after the due date).")
    late_fee: LateFeeIn | None = Field(
        None, description="Late fees, the organization's default, replaced whole (a customer may override it). "
                          "null: the built-in default (disabled).")
    portal: PortalIn | None = Field(
        None, description="The customer portal's options, replaced whole: show_drafts (default false) and "
                          "customer_autopay (default true: customers may manage their own AutoPay). null: the "
                          "built-in default.")


class PortalSettings(BaseModel):
    show_drafts: bool = Field(False, description="The portal lists the customer's draft invoices too.")
    customer_autopay: bool = Field(True, description="Customers may manage their own AutoPay in the portal.")


class InvoiceSettingsOut(BaseModel):
    object: Literal["invoice_settings"] = "invoice_settings"
    organization_id: str
    company_name: str
    address: Address | None
    tax_id: str | None
    logo_url: str | None
    accent_color: str
    footer: str | None
    invoice_prefix: str
    number_format: str
    number_reset: Literal["never", "yearly"]
    next_number_example: str = Field(description="What the next number would look like (counter not shown as taken).")
    payment_terms: str
    currency: str | None
    locale: str
    attach_pdf: bool
    cc_finance_contacts: bool
    extra_cc_emails: list[str]
    accepted_payment_methods: list[str]
    bank_details: BankDetails | None
    default_memo: str | None
    email_from_name: str | None
    email_reply_to: str | None
    autopay: AutopaySettings = Field(description="AutoPay's organization default.")
    timezone: str = Field(description="IANA timezone AutoPay's charge days are counted in.")
    sepa_prenotification_days: int = Field(description="SEPA Direct Debit pre-notification period, calendar days "
                                                       "(the SEPA rulebook's 14 unless agreed shorter).")
    reminders: ReminderSettings = Field(description="Reminders' organization default.")
    late_fee: LateFeeSettings = Field(description="Late fees' organization default.")
    portal: PortalSettings = Field(description="The customer portal's options.")
    defaults: list[str] = Field(description="Fields at their built-in default (never set, or reset with null).")
    version: int
    updated_at: Timestamp


class ResolvedSettingOut(BaseModel):
    value: Any
    source: Source


class CcEntryOut(BaseModel):
    email: str
    source: Source
    reason: Literal["billing_contact", "cc", "finance_contact", "extra_cc"]


class ResolvedSettingsOut(BaseModel):
    object: Literal["resolved_invoice_settings"] = "resolved_invoice_settings"
    invoice_id: str | None = None
    customer_id: str
    subscription_id: str | None
    settings: dict[str, ResolvedSettingOut] = Field(
        description="Every setting: its effective value and where it came from "
                    "(invoice → subscription → customer → organization → default).")
    cc: list[CcEntryOut] = Field(description="The merged cc list, each address with the level that named it.")
