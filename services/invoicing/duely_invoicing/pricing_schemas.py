"""API models for discounts, line periods, reusable tax rates, exchange rates and reporting totals.

Imported by schemas.py (lines and invoices use them); it imports only settings_schemas
(for the currency and country types), which imports no API module, so there is no cycle.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from duely_contracts.timestamps import Timestamp
from duely_invoicing import schema_docs
from duely_invoicing.domain import money
from duely_invoicing.request_model import RequestModel
from duely_runtime.amounts import IntegerMinorUnits
from duely_runtime.text import document_text_rules
from duely_invoicing.settings_schemas import (  # one validator per kind of code
    Country,
    Currency,
)

DiscountPercentage = Annotated[Decimal, Field(gt=0, le=100, decimal_places=4, allow_inf_nan=False,
                                              description="Decimal (string or number) above 0 and up to 100, "
                                                          "≤ 4 decimals.",
                                              json_schema_extra=schema_docs.POSITIVE_PERCENTAGE)]
DiscountAmount = Annotated[int, Field(strict=True, ge=1, le=money.MAX_AMOUNT,
                                      description="Minor units of the invoice currency."),
                           IntegerMinorUnits]
TaxPercentage = Annotated[Decimal, Field(ge=0, le=100, decimal_places=4, allow_inf_nan=False,
                                         description="Decimal (string or number) from 0 to 100, ≤ 4 decimals.",
                                         json_schema_extra=schema_docs.PERCENTAGE)]
TaxRateId = Annotated[str, StringConstraints(min_length=1, max_length=40)]
Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


# --- discounts and periods ------------------------------------------------------------

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


# --- tax rates -------------------------------------------------------------------------

class TaxRateCreate(RequestModel):
    display_name: Text200
    percentage: TaxPercentage
    inclusive: bool = False
    country: Country | None = Field(None, description="ISO 3166-1 alpha-2.")
    region: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] | None = Field(
        None, description="State, province or city, e.g. 'CA' or 'US-NY'.")
    description: Annotated[str, StringConstraints(max_length=500)] | None = None


class TaxRateUpdate(RequestModel):
    """Percentage and inclusive never change (create a new rate instead); everything else may."""

    display_name: Text200 | None = None
    active: bool | None = None
    country: Country | None = None
    region: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] | None = None
    description: Annotated[str, StringConstraints(max_length=500)] | None = None


class TaxRateObject(BaseModel):
    id: str
    object: Literal["tax_rate"] = "tax_rate"
    display_name: str
    percentage: str
    inclusive: bool
    country: str | None
    region: str | None
    description: str | None
    active: bool
    created_at: Timestamp


class TaxRateList(BaseModel):
    object: Literal["list"] = "list"
    data: list[TaxRateObject]
    has_more: bool
    next_cursor: str | None = None


# --- exchange rates and the reporting currency ------------------------------------------

class ExchangeRateCreate(RequestModel):
    base: Currency
    quote: Currency
    rate: Annotated[Decimal, Field(gt=0, le=10**9, decimal_places=12, allow_inf_nan=False,
                                   description="1 base = rate quote (major units) above 0, ≤ 12 decimals, "
                                               "e.g. '0.92'.",
                                   json_schema_extra=schema_docs.RATE)]
    date: date
    source: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] = "manual"

    @field_validator("quote")
    @classmethod
    def two_currencies(cls, value: str, info: ValidationInfo) -> str:
        if value == info.data.get("base"):
            raise ValueError("base and quote must differ")
        return value


class ExchangeRateOut(BaseModel):
    id: str
    object: Literal["exchange_rate"] = "exchange_rate"
    base: str
    quote: str
    rate: str
    date: date
    source: str
    created_at: Timestamp


class ExchangeRateList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ExchangeRateOut]
    has_more: bool
    next_cursor: str | None = None


class ReportingOut(BaseModel):
    currency: str
    rate: str = Field(description="1 invoice currency unit = rate reporting currency units.")
    source: str
    rate_date: date
    total: int = Field(description="The invoice total in the reporting currency's minor units.")


# --- payments so far ---------------------------------------------------------------------

class PaymentOut(BaseModel):
    payment_id: str
    amount: int
    currency: str
    succeeded_at: Timestamp
