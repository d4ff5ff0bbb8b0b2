"""API models for invoices: create, edit drafts, read, list; discounts, periods, payments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator, model_validator

from duely_contracts.models import AutopayPlan, CollectionPlan, InvoiceSnapshot, LateFeeLink
from duely_contracts.timestamps import Timestamp
from duely_invoicing import schema_docs
from duely_invoicing.customers.schemas import CustomerOut
from duely_invoicing.domain import limits, money
from duely_invoicing.request_types import (
    Currency,
    ExemptionReason,
    ExemptionReasonCode,
    Name,
    Percentage,
    Quantity,
    RequestModel,
    TaxTreatment,
    Terms,
    UnitAmount,
)
from duely_invoicing.tax_rates.schemas import TaxRateId
from duely_runtime.amounts import IntegerMinorUnits
from duely_runtime.kit.pagination import CursorListBody
from duely_runtime.text import document_text_rules

DiscountPercentage = Annotated[Decimal, Field(gt=0, le=100, decimal_places=4, allow_inf_nan=False,
                                              description="Decimal (string or number) above 0 and up to 100, "
                                                          "≤ 4 decimals.",
                                              json_schema_extra=schema_docs.POSITIVE_PERCENTAGE)]

DiscountAmount = Annotated[int, Field(strict=True, ge=1, le=money.MAX_AMOUNT,
                                      description="Minor units of the invoice currency."),
                           IntegerMinorUnits]


class DiscountIn(RequestModel):
    """Either `{"percentage": "10"}` or `{"amount": 500}` (minor units), not both."""

    model_config = ConfigDict(json_schema_extra=lambda schema, model: (
        document_text_rules(schema),
        schema.update(oneOf=[{"required": ["percentage"], "properties": {"percentage": {"not": {"type": "null"}}}},
                             {"required": ["amount"], "properties": {"amount": {"not": {"type": "null"}}}}])))

    percentage: DiscountPercentage | None = None
    amount: DiscountAmount | None = None

    @model_validator(mode="after")
    def one_kind(self) -> "DiscountIn":
        if (self.percentage is None) == (self.amount is None):
            raise ValueError("give either 'percentage' or 'amount'")
        return self


class DiscountOut(BaseModel):
    percentage: str | None = Field(None, description="Set for a percentage discount, e.g. '10'.")
    amount: int | None = Field(None, description="Set for a fixed discount (minor units).")
    discount_amount: int = Field(description="What this discount took off (minor units).")


class PeriodIn(RequestModel):
    start: date
    end: date = Field(description="On or after start.")

    @field_validator("end")
    @classmethod
    def not_before_start(cls, value: date, info: ValidationInfo) -> date:
        start = info.data.get("start")
        if start is not None and value < start:
            raise ValueError("the period must not end before it starts")
        return value


class PeriodOut(BaseModel):
    start: date
    end: date


class ReportingOut(BaseModel):
    currency: str
    rate: str = Field(description="1 invoice currency unit = rate reporting currency units.")
    source: str
    rate_date: date
    total: int = Field(description="The invoice total in the reporting currency's minor units.")


class PaymentOut(BaseModel):
    payment_id: str
    amount: int
    currency: str
    succeeded_at: Timestamp
    method_type: str | None = Field(None, description="card | us_bank_account | sepa_debit | wire_transfer | check "
                                                      "| cash | other (null on payments from before it was kept).")
    amount_applied: int | None = Field(None, description="What counted on this invoice (the rest of an allowed "
                                                         "overpayment became the customer's credit).")
    credit_added: int = Field(0, description="An allowed overpayment's excess, kept as the customer's credit.")
    amount_refunded: int = Field(0, description="Refunded so far.")


Status = Literal["draft", "issued", "paid", "past_due", "void", "uncollectible"]


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
    currency: Currency | None = Field(None, description="ISO 4217 code, any case; stored lower-case. Omitted: the "
                                      "subscription's, customer's or organization's default; required if none has one.")
    payment_terms: Terms | None = Field(None, description="due_on_receipt or net_N (N days, 0-365). Omitted: "
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


class ChargeReservationRequest(RequestModel):
    """Internal: payments reserving (or releasing) an invoice for one payment attempt."""

    organization_id: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    attempt_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]


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
    autopay: AutopayPlan | None = Field(None, description="What AutoPay will do, fixed at approval (null: the "
                                                          "customer pays by hand).")
    accepted_payment_methods: list[str] | None = Field(
        None, description="The methods this invoice may be paid by (the customer's override or the organization's).")
    credit_applied: int = Field(0, description="Customer credit applied at approval; included in amount_paid.")
    collection: CollectionPlan | None = Field(None, description="Reminders, late fee and dunning schedule, fixed at "
                                                                "approval with the level each came from (null on "
                                                                "drafts).")
    late_fee_for: LateFeeLink | None = Field(None, description="On a late fee invoice: the overdue invoice and the "
                                                               "period it charges for.")


class InvoiceList(CursorListBody[InvoiceOut]):
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page (when has_more).")


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


class LineUpdate(RequestModel):
    """Fields left out stay as they are. Giving `tax_rates` and/or `tax_rate_ids` replaces the line's
    rates with what is given; `discounts` replaces its discounts; `period: null` removes the period."""

    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)] | None = None
    quantity: Quantity | None = None
    unit_amount: UnitAmount | None = None
    tax_rates: list[TaxRateIn] | None = Field(None, max_length=10)
    tax_rate_ids: list[TaxRateId] | None = Field(None, max_length=10)
    discounts: list[DiscountIn] | None = Field(None, max_length=10)
    period: PeriodIn | None = None


class InvoiceUpdate(RequestModel):
    """Changes to a draft; fields left out stay. `memo`/`reporting_currency` null clears them;
    `discounts` replaces the invoice-wide discounts."""

    memo: Annotated[str, StringConstraints(max_length=5000)] | None = None
    payment_terms: Terms | None = Field(None, description="due_on_receipt or net_N (N days, 0-365).")
    currency: Currency | None = Field(None, description="Unit amounts stay as numbers, now in this currency.")
    discounts: list[DiscountIn] | None = Field(None, max_length=10)
    reporting_currency: Currency | None = None


class InvoiceDeleted(BaseModel):
    id: str
    object: Literal["invoice"] = "invoice"
    deleted: Literal[True] = True


class InvoiceStatesRequest(RequestModel):
    invoice_ids: list[Annotated[str, StringConstraints(min_length=1, max_length=40)]] = Field(
        min_length=1, max_length=500)


class InvoiceState(BaseModel):
    id: str
    organization_id: str
    status: Status
    amount_due: int
    version: int
    subscription_id: str | None
    customer_id: str


class InvoiceStatesOut(BaseModel):
    states: list[InvoiceState] = Field(description="One per invoice that exists; ids not found are left out.")
