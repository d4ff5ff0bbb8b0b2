"""Reusable tax rates: create, read, list, update (name, description, place, active).

Percentage and inclusive are fixed at creation, and lines copy what they use,
so neither an edit nor a deactivation reaches an invoice already written.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy.ext.asyncio import AsyncSession

from duely_invoicing.domain import money
from duely_invoicing.models import TaxRate
from duely_invoicing.tax_rates import repository
from duely_invoicing.tax_rates.schemas import TaxRateCreate, TaxRateObject, TaxRateUpdate
from duely_runtime.errors import found
from duely_runtime.kit.ids import new_id
from duely_runtime.kit.pagination import Page


async def create_tax_rate(session: AsyncSession, organization_id: str, data: TaxRateCreate) -> TaxRate:
    now = datetime.now(timezone.utc)
    rate = TaxRate(id=new_id("txr"), organization_id=organization_id, display_name=data.display_name,
                   percentage=money.decimal_str(data.percentage), inclusive=data.inclusive, country=data.country,
                   region=data.region, description=data.description, active=True, created_at=now, updated_at=now)
    session.add(rate)
    await session.flush()
    return rate


async def get_tax_rate(session: AsyncSession, organization_id: str, tax_rate_id: str) -> TaxRate:
    return found(await repository.get_tax_rate(session, organization_id, tax_rate_id), "tax rate", tax_rate_id)


async def update_tax_rate(session: AsyncSession, organization_id: str, tax_rate_id: str,
                          data: TaxRateUpdate) -> TaxRate:
    rate = await get_tax_rate(session, organization_id, tax_rate_id)
    for name in data.model_fields_set:
        value = getattr(data, name)
        if name in ("display_name", "active") and value is None:
            continue  # these can't be cleared; null leaves them as they are
        setattr(rate, name, value)
    rate.updated_at = datetime.now(timezone.utc)
    await session.flush()
    return rate


async def list_tax_rates(session: AsyncSession, organization_id: str, *, limit: int, active: bool | None,
                         cursor: str | None, starting_after: str | None) -> Page:
    return await repository.list_tax_rates(session, organization_id, limit=limit, active=active, cursor=cursor,
                                           starting_after=starting_after)


def tax_rate_out(rate: TaxRate) -> TaxRateObject:
    return TaxRateObject(id=rate.id, display_name=rate.display_name, percentage=rate.percentage,
                         inclusive=rate.inclusive, country=rate.country, region=rate.region,
                         description=rate.description, active=rate.active, created_at=rate.created_at)
