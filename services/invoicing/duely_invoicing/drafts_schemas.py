"""API models for editing drafts: a line's changes, an invoice's changes, a deletion."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, field_validator

from duely_invoicing import schema_docs
from duely_invoicing.domain import terms
from duely_invoicing.pricing_schemas import Currency, DiscountIn, PeriodIn, TaxRateId
from duely_invoicing.request_model import RequestModel
from duely_invoicing.schemas import Quantity, TaxRateIn, UnitAmount


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
    payment_terms: str | None = Field(None, description="due_on_receipt or net_N (N days, 0-365).",
                                      json_schema_extra=schema_docs.TERMS)
    currency: Currency | None = Field(None, description="Unit amounts stay as numbers, now in this currency.")
    discounts: list[DiscountIn] | None = Field(None, max_length=10)
    reporting_currency: Currency | None = None

    @field_validator("payment_terms")
    @classmethod
    def known_terms(cls, value: str | None) -> str | None:
        if value is not None and not terms.is_valid_terms(value):
            raise ValueError("payment_terms must be 'due_on_receipt' or 'net_N' with N from 0 to 365")
        return value


class InvoiceDeleted(BaseModel):
    id: str
    object: Literal["invoice"] = "invoice"
    deleted: Literal[True] = True
