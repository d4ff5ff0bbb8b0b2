"""API models for manual exchange rates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, ValidationInfo, field_validator

from duely_contracts.timestamps import Timestamp
from duely_invoicing import schema_docs
from duely_invoicing.request_types import Currency, RequestModel
from duely_runtime.kit.pagination import CursorListBody


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


class ExchangeRateList(CursorListBody[ExchangeRateOut]):
    pass
