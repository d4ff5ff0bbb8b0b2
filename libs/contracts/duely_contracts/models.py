"""Building blocks shared by event payloads: money, customers, invoice snapshots.

Money is always an integer of minor units of `currency` (ISO 4217, lower case
as Stripe writes it); decimals (quantities, tax percentages) travel as strings
so no float ever touches them.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class Contract(BaseModel):
    """Base of every payload: unknown fields are kept out, optional ones may be added."""

    model_config = ConfigDict(extra="ignore")


class CustomerRef(Contract):
    id: str
    name: str
    email: str
    cc_emails: list[str] = Field(default_factory=list)


class TaxRateApplied(Contract):
    display_name: str
    percentage: str = Field(description="Decimal string, e.g. '8.25'.")
    inclusive: bool = False


class InvoiceLine(Contract):
    id: str
    description: str
    quantity: str = Field(description="Decimal string, e.g. '1.5'.")
    unit_amount: int
    amount: int = Field(description="quantity × unit_amount, rounded to minor units, before tax.")
    tax_rates: list[TaxRateApplied] = Field(default_factory=list)


class TaxBreakdownEntry(Contract):
    display_name: str
    percentage: str
    inclusive: bool
    taxable_amount: int
    tax_amount: int


class InvoiceSnapshot(Contract):
    """Everything a consumer needs to know about an invoice at one version."""

    id: str
    organization_id: str
    organization_name: str
    number: str | None
    status: str
    currency: str
    customer: CustomerRef
    payment_terms: str
    memo: str | None = None
    issued_at: datetime | None = None
    due_date: date | None = None
    subtotal: int
    tax: int
    total: int
    amount_paid: int
    amount_due: int
    lines: list[InvoiceLine]
    tax_breakdown: list[TaxBreakdownEntry]
    hosted_invoice_url: str | None = None
    version: int


class InvoiceSummary(Contract):
    """The facts payment events carry so consumers need no other lookup."""

    id: str
    number: str | None
    organization_name: str
    currency: str
    total: int
    amount_due: int
    due_date: date | None = None
    customer: CustomerRef
    hosted_invoice_url: str | None = None
