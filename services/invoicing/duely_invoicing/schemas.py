"""The public API's request and response models.

Request models reject bad input before any SQL runs; the runtime turns a
validation error into the one error shape with `param` like `lines[0].quantity`.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, field_validator

from duely_invoicing.domain import money, terms

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Quantity = Annotated[Decimal, Field(gt=0, le=Decimal(10**9), decimal_places=6, allow_inf_nan=False,
                                    description="Decimal (string or number), e.g. '1.5'.")]
UnitAmount = Annotated[int, Field(strict=True, ge=0, le=money.MAX_UNIT_AMOUNT,
                                  description="Minor units of the invoice currency, e.g. 1999 = $19.99.")]
Percentage = Annotated[Decimal, Field(ge=0, le=100, decimal_places=4, allow_inf_nan=False,
                                      description="Decimal (string or number), e.g. '8.25'.")]
Status = Literal["draft", "issued", "paid", "past_due", "void", "uncollectible"]


class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- requests ----------------------------------------------------------------------

class CustomerCreate(RequestModel):
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


class InvoiceCreate(RequestModel):
    customer_id: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    currency: str = Field(description="ISO 4217 code, any case; stored lower-case.")
    payment_terms: str = Field(terms.DEFAULT_TERMS, description="due_on_receipt or net_N (N days, 0-365).")
    memo: Annotated[str, StringConstraints(max_length=5000)] | None = None
    lines: list[LineIn] = Field(min_length=1, max_length=250)

    @field_validator("currency")
    @classmethod
    def known_currency(cls, value: str) -> str:
        code = money.normalize_currency(value)
        if code is None:
            raise ValueError(f"'{value}' is not an ISO 4217 currency code")
        return code

    @field_validator("payment_terms")
    @classmethod
    def known_terms(cls, value: str) -> str:
        if not terms.is_valid_terms(value):
            raise ValueError("payment_terms must be 'due_on_receipt' or 'net_N' with N from 0 to 365")
        return value


class CreateOrganization(RequestModel):
    name: Name


class VerifyKey(RequestModel):
    key_hash: Annotated[str, StringConstraints(min_length=1, max_length=128)]


# --- responses ---------------------------------------------------------------------

class CustomerOut(BaseModel):
    id: str
    object: Literal["customer"] = "customer"
    name: str
    email: str
    cc_emails: list[str]
    created_at: datetime


class TaxRateOut(BaseModel):
    display_name: str
    percentage: str
    inclusive: bool


class LineOut(BaseModel):
    id: str
    description: str
    quantity: str
    unit_amount: int
    amount: int
    tax_rates: list[TaxRateOut]


class TaxBreakdownOut(BaseModel):
    display_name: str
    percentage: str
    inclusive: bool
    taxable_amount: int
    tax_amount: int


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
    issued_at: datetime | None
    paid_at: datetime | None
    payment_terms: str
    memo: str | None
    lines: list[LineOut]
    tax_breakdown: list[TaxBreakdownOut]
    hosted_invoice_url: str | None
    version: int
    created_at: datetime


class CustomerList(BaseModel):
    object: Literal["list"] = "list"
    data: list[CustomerOut]
    has_more: bool


class InvoiceList(BaseModel):
    object: Literal["list"] = "list"
    data: list[InvoiceOut]
    has_more: bool


class OrganizationOut(BaseModel):
    id: str
    object: Literal["organization"] = "organization"
    name: str
    test_mode: bool
    created_at: datetime


class OrganizationCreated(BaseModel):
    organization: OrganizationOut
    api_key: str


class PrincipalOut(BaseModel):
    organization_id: str
    api_key_id: str
