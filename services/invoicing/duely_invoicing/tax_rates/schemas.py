"""API models for reusable tax rates."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from duely_contracts.timestamps import Timestamp
from duely_invoicing.request_types import Country, Name, Percentage, RequestModel
from duely_runtime.kit.pagination import CursorListBody

TaxRateId = Annotated[str, StringConstraints(min_length=1, max_length=40)]


class TaxRateCreate(RequestModel):
    display_name: Name
    percentage: Percentage
    inclusive: bool = False
    country: Country | None = Field(None, description="ISO 3166-1 alpha-2.")
    region: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] | None = Field(
        None, description="State, province or city, e.g. 'CA' or 'US-NY'.")
    description: Annotated[str, StringConstraints(max_length=500)] | None = None


class TaxRateUpdate(RequestModel):
    """Percentage and inclusive never change (create a new rate instead); everything else may."""

    display_name: Name | None = None
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


class TaxRateList(CursorListBody[TaxRateObject]):
    pass
