"""API models for invoice settings, customer overrides and subscriptions.

Validation happens here, before any SQL: a bad colour, locale, currency, terms
or email is a 400 naming the field (the runtime turns the pydantic error into
the one error shape). On PATCH, a field that is absent is left alone and a
field sent as null is reset (organization: to the built-in default; customer
and subscription: to "inherit").
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints, model_validator

from duely_contracts import tax_treatment as vat
from duely_contracts.models import Address, BankDetails
from duely_contracts.timestamps import Timestamp
from duely_invoicing import schema_docs
from duely_invoicing.domain import numbering
from duely_invoicing.domain.settings_resolution import PAYMENT_METHODS, SOURCES
from duely_invoicing.request_types import (
    CcList,
    Colour,
    Country,
    Currency,
    LocaleCode,
    LongText,
    Name,
    RequestModel,
    SenderName,
    Terms,
)


def _iban(value: str) -> str:
    iban = re.sub(r"\s+", "", value).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", iban):
        raise ValueError("not an IBAN")
    digits = "".join(str(int(c, 36)) for c in iban[4:] + iban[:4])
    if int(digits) % 97 != 1:
        raise ValueError("IBAN check digits do not match")
    return iban


def _bic(value: str) -> str:
    bic = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?", bic):
        raise ValueError("a BIC has 8 or 11 letters/digits, e.g. 'DEUTDEFF'")
    return bic


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

TaxTreatment = Annotated[Literal[vat.TREATMENTS], Field(  # type: ignore[valid-type]
    description="standard (the lines' tax rates apply), or zero tax: reverse_charge (EN 16931 category AE), "
                "intra_community_supply (K), export (G), exempt (E, with tax_exemption_reason).")]

ExemptionReason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), Field(
    description="Why the supply is exempt (the provision, e.g. 'Article 132(1)(c) of Directive 2006/112/EC'); "
                "printed on the invoice. Required when tax_treatment is exempt.")]

ExemptionReasonCode = Annotated[Literal[tuple(sorted(vat.EXEMPT_VATEX_CODES))], Field(  # type: ignore[valid-type]
    description="Optional CEF VATEX code of the exemption (tax_treatment exempt), e.g. VATEX-EU-132-1C.")]

Source = Literal[SOURCES]  # type: ignore[valid-type]


class AddressIn(RequestModel):
    lines: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=4)
    city: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    postal_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] | None = None
    region: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    country: Country | None = None


class ContactIn(RequestModel):
    name: Name | None = None
    email: EmailStr


class BankDetailsIn(RequestModel):
    account_name: Name | None = None
    iban: Annotated[str, AfterValidator(_iban)] | None = None
    account_number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=34)] | None = None
    bic: Annotated[str, AfterValidator(_bic)] | None = None
    routing_number: Annotated[str, StringConstraints(pattern=r"^\d{9}$")] | None = Field(
        None, description="US ABA routing number (9 digits).")
    bank_name: Name | None = None

    @model_validator(mode="after")
    def has_an_account(self):
        if not self.iban and not self.account_number:
            raise ValueError("bank details need an iban or an account_number")
        return self


# Responses: addresses and bank details read back in the contracts' vocabulary (duely_contracts.models);
# a contact is lenient (all optional, extra kept), so a row written by an older version still serializes.
class _Stored(BaseModel):
    model_config = ConfigDict(extra="allow")


class ContactOut(_Stored):
    name: str | None = None
    email: str | None = None


def set_fields(model: BaseModel) -> dict[str, Any]:
    """The fields the client sent (null included), as plain JSON-able values."""
    dumped = model.model_dump(mode="json")
    return {name: dumped[name] for name in model.model_fields_set}


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
