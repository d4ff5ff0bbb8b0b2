"""API models of the dashboard home's receivables report."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Aging(BaseModel):
    """amount_due (minor units) of open invoices by days past due at as_of."""

    model_config = ConfigDict(populate_by_name=True)

    current: int = Field(0, description="Not yet due (no due date, or due on or after as_of).")
    d1_30: int = Field(0, alias="1_30", serialization_alias="1_30")
    d31_60: int = Field(0, alias="31_60", serialization_alias="31_60")
    d61_90: int = Field(0, alias="61_90", serialization_alias="61_90")
    d90_plus: int = Field(0, alias="90_plus", serialization_alias="90_plus")


class CurrencyReceivables(BaseModel):
    currency: str
    open_amount: int
    open_count: int
    overdue_amount: int
    overdue_count: int
    aging: Aging


class AutopayCoverage(BaseModel):
    customers: int
    customers_with_autopay: int = Field(description="Customers whose resolved AutoPay (customer → organization → "
                                                    "default) is enabled.")
    open_invoices: int
    open_invoices_with_autopay: int = Field(description="Open invoices whose AutoPay plan, fixed at approval, "
                                                        "is enabled.")


class ReceivablesReport(BaseModel):
    object: Literal["receivables_report"] = "receivables_report"
    as_of: date
    currencies: list[CurrencyReceivables]
    autopay: AutopayCoverage
