"""The public API's request and response models.

Request models reject bad input before any SQL runs; the runtime turns a
validation error into the one error shape with `param` like `lines[0].quantity`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    EmailStr,
    Field,
    StringConstraints,
    field_validator,
)

from duely_contracts.models import InvoiceSnapshot
from duely_contracts.timestamps import Timestamp
from duely_invoicing import schema_docs
from duely_invoicing.domain import limits, money, terms
from duely_invoicing.pricing_schemas import (
    Currency,
    DiscountIn,
    DiscountOut,
    PaymentOut,
    PeriodIn,
    PeriodOut,
    ReportingOut,
    TaxRateId,
)
from duely_invoicing.request_model import RequestModel
from duely_invoicing.settings_schemas import (
    AddressOut,
    ContactOut,
    CustomerOverrides,
    ExemptionReason,
    ExemptionReasonCode,
    TaxTreatment,
)
from duely_runtime.amounts import IntegerMinorUnits

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Quantity = Annotated[Decimal, Field(gt=0, le=Decimal(10**9), decimal_places=6, allow_inf_nan=False,
                                    description="Decimal (string or number) above 0, at most 10^9, ≤ 6 decimals, "
                                                "e.g. '1.5'.",
                                    json_schema_extra=schema_docs.QUANTITY)]
UnitAmount = Annotated[int, Field(strict=True, ge=0, le=money.MAX_UNIT_AMOUNT,
                                  description="Minor units of the invoice currency, e.g. 1999 = $19.99."),
                       IntegerMinorUnits]
Percentage = Annotated[Decimal, Field(ge=0, le=100, decimal_places=4, allow_inf_nan=False,
                                      description="Decimal (string or number) from 0 to 100, ≤ 4 decimals, e.g. '8.25'.",
                                      json_schema_extra=schema_docs.PERCENTAGE)]
Status = Literal["draft", "issued", "paid", "past_due", "void", "uncollectible"]


# --- requests ----------------------------------------------------------------------

class CustomerCreate(CustomerOverrides):
    """A customer, with optional invoice-setting overrides (see settings_schemas.CustomerOverrides)."""

    name: Name
    email: EmailStr
    cc_emails: list[EmailStr] = Field(default_factory=list, max_length=20)


class TaxRateIn(RequestModel):
    display_name: Name
    percentage: Percentage
    inclusive: bool = False


class LineIn(RequestModel):
    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
    quantity: Quantity
    unit_amount: UnitAmount
    tax_rates: list[TaxRateIn] = Field(default_factory=list, max_length=10)
    tax_rate_ids: list[TaxRateId] = Field(default_factory=list, max_length=10,
                                          description="Reusable tax rates (/v1/tax_rates), e.g. state + city.")
    discounts: list[DiscountIn] = Field(default_factory=list, max_length=10,
                                        description="Taken off this line's amount, before tax.")
    period: PeriodIn | None = Field(None, description="The service period the line bills for.")


class InvoiceCreate(RequestModel):
    customer_id: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    subscription_id: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = Field(
        None, description="A subscription of the same customer; its invoice settings then apply.")
    currency: Annotated[str, Field(json_schema_extra=schema_docs.currency)] | None = Field(None, description="ISO 4217 code, any case; stored lower-case. Omitted: the "
                                 "subscription's, customer's or organization's default; required if none has one.")
    payment_terms: Annotated[str, Field(json_schema_extra=schema_docs.TERMS)] | None = Field(None, description="due_on_receipt or net_N (N days, 0-365). Omitted: "
                                      "resolved subscription → customer → organization (default net_30).")
    memo: Annotated[str, StringConstraints(max_length=5000)] | None = Field(
        None, description="Omitted: the resolved default memo; null: no memo.")
    lines: list[LineIn] = Field(min_length=1, max_length=limits.MAX_LINES)
    discounts: list[DiscountIn] = Field(default_factory=list, max_length=10, description=(
        "Invoice-wide discounts, taken off the lines after their own discounts and spread over them pro rata."))
    reporting_currency: Currency | None = Field(None, description=(
        "Also show the total in this currency, converted at approval with a stored rate (/v1/exchange_rates)."))
    tax_treatment: TaxTreatment | None = Field(None, description=(
        "Omitted: the customer's (standard unless set). Not standard: no tax on any line, the tax breakdown "
        "shows the treatment at 0 % and the invoice its legal mention."))
    tax_exemption_reason: ExemptionReason | None = None
    tax_exemption_reason_code: ExemptionReasonCode | None = None

    @field_validator("currency")
    @classmethod
    def known_currency(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = money.normalize_currency(value)
        if code is None:
            raise ValueError(f"'{value}' is not an ISO 4217 currency code")
        return code

    @field_validator("payment_terms")
    @classmethod
    def known_terms(cls, value: str | None) -> str | None:
        if value is not None and not terms.is_valid_terms(value):
            raise ValueError("payment_terms must be 'due_on_receipt' or 'net_N' with N from 0 to 365")
        return value


class CreateOrganization(RequestModel):
    name: Name
    test_mode: bool = True


class VerifyKey(RequestModel):
    key_hash: Annotated[str, StringConstraints(min_length=1, max_length=128)]


class ChargeReservationRequest(RequestModel):
    """Internal: payments reserving (or releasing) an invoice for one payment attempt."""

    organization_id: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    attempt_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]


# --- responses ---------------------------------------------------------------------

class CustomerOut(BaseModel):
    id: str
    object: Literal["customer"] = "customer"
    name: str
    email: str
    cc_emails: list[str]
    created_at: Timestamp
    # invoice-setting overrides and billing facts; null = inherit
    payment_terms: str | None = None
    currency: str | None = None
    locale: str | None = None
    attach_pdf: bool | None = None
    memo: str | None = None
    tax_exempt: bool | None = None
    tax_id: str | None = None
    billing_address: AddressOut | None = None
    billing_contact: ContactOut | None = None
    finance_contacts: list[ContactOut] = Field(default_factory=list)
    tax_treatment: str | None = Field(None, description="The customer's VAT treatment; null = standard (or "
                                                        "exempt when tax_exempt is true).")
    tax_exemption_reason: str | None = None
    tax_exemption_reason_code: str | None = None
    version: int = 1


class TaxRateOut(BaseModel):
    id: str | None = Field(None, description="The reusable tax rate this copy was taken from, if any.")
    display_name: str
    percentage: str
    inclusive: bool


class LineOut(BaseModel):
    id: str
    description: str
    quantity: str
    unit_amount: int
    amount: int = Field(description="quantity × unit_amount, before discounts.")
    tax_rates: list[TaxRateOut]
    period: PeriodOut | None = None
    discounts: list[DiscountOut] = Field(default_factory=list, description="The line's own discounts.")
    discount_amount: int = Field(0, description="Own discounts plus this line's share of the invoice's.")
    tax_amount: int = Field(0, description="This line's share of the taxes (inside `amount` when inclusive).")
    total: int | None = Field(None, description="amount − discount_amount (+ tax_amount when exclusive); "
                                                "the lines' totals add up to the invoice total.")


class TaxBreakdownOut(BaseModel):
    display_name: str
    percentage: str
    inclusive: bool
    taxable_amount: int
    tax_amount: int
    category: str | None = Field(None, description="EN 16931 VAT category of a zero-tax treatment: AE, K, G or E.")
    exemption_reason: str | None = None
    exemption_reason_code: str | None = Field(None, description="CEF VATEX code, e.g. VATEX-EU-AE.")


class TaxTreatmentOut(BaseModel):
    type: str = Field(description="standard, reverse_charge, intra_community_supply, export or exempt.")
    category: str | None = Field(None, description="EN 16931 VAT category (AE, K, G, E); null when standard.")
    exemption_reason: str | None = None
    exemption_reason_code: str | None = None
    notices: dict[str, str] = Field(default_factory=dict, description=(
        "The mention the law requires on the invoice, per language (en, de, fr); empty when standard."))


class InvoiceOut(BaseModel):
    id: str
    object: Literal["invoice"] = "invoice"
    number: str | None
    status: Status
    currency: str
    customer_id: str
    customer: CustomerOut
    subtotal: int
    tax: int
    total: int
    amount_paid: int
    amount_due: int
    due_date: date | None
    issued_at: Timestamp | None
    paid_at: Timestamp | None
    payment_terms: str
    memo: str | None
    lines: list[LineOut]
    tax_breakdown: list[TaxBreakdownOut]
    hosted_invoice_url: str | None
    version: int
    created_at: Timestamp
    subscription_id: str | None = None
    locale: str | None = Field(None, description="Resolved locale the invoice is rendered in.")
    attach_pdf: bool | None = Field(None, description="Resolved: email the PDF (true) or a link only (false).")
    cc_emails: list[str] | None = Field(None, description="Resolved cc list the invoice is sent with.")
    discounts: list[DiscountOut] = Field(default_factory=list, description="Invoice-wide discounts.")
    total_discount: int = Field(0, description="All discounts, line and invoice-wide: "
                                               "total = subtotal − total_discount + exclusive tax.")
    reporting_currency: str | None = None
    reporting: ReportingOut | None = Field(None, description="The total in the reporting currency, fixed at "
                                                             "approval and never recomputed.")
    payments: list[PaymentOut] = Field(default_factory=list, description="Payments applied so far.")
    pdf_url: str | None = None
    tax_treatment: TaxTreatmentOut | None = Field(None, description=(
        "The VAT treatment, fixed at creation (invoice → customer → standard); not standard = zero tax."))


class CustomerList(BaseModel):
    object: Literal["list"] = "list"
    data: list[CustomerOut]
    has_more: bool


class InvoiceList(BaseModel):
    object: Literal["list"] = "list"
    data: list[InvoiceOut]
    has_more: bool
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page (when has_more).")


class OrganizationOut(BaseModel):
    id: str
    object: Literal["organization"] = "organization"
    name: str
    test_mode: bool
    created_at: Timestamp


class OrganizationCreated(BaseModel):
    organization: OrganizationOut
    api_key: str


class ApiKeyOut(BaseModel):
    id: str
    object: Literal["api_key"] = "api_key"
    prefix: str = Field(description="The key's first characters, to tell keys apart; the key itself is never shown "
                                    "again.")
    created_at: Timestamp
    revoked_at: Timestamp | None = None


class ApiKeyCreated(ApiKeyOut):
    key: str | None = Field(None, description="The secret key, shown once in this response only; absent from the "
                                              "replay of a repeated Idempotency-Key (it is never stored).")


class ApiKeyList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ApiKeyOut]


class PrincipalOut(BaseModel):
    organization_id: str
    api_key_id: str


class ChargeReservationOut(BaseModel):
    object: Literal["charge_reservation"] = "charge_reservation"
    invoice_id: str
    attempt_id: str
    expires_at: Timestamp
    invoice: InvoiceSnapshot  # what the attempt charges: the invoice as it is under the reservation


class ChargeReleaseOut(BaseModel):
    object: Literal["charge_reservation"] = "charge_reservation"
    invoice_id: str
    attempt_id: str
    released: bool  # False when the attempt held nothing (already ended, expired or never granted)
