"""SQL for reusable tax rates and manual exchange rates; every query scoped by organization id."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from duely_invoicing.models import ExchangeRate, TaxRate


async def get_tax_rate(session: AsyncSession, organization_id: str, tax_rate_id: str) -> TaxRate | None:
    return (await session.scalars(select(TaxRate).where(
        TaxRate.organization_id == organization_id, TaxRate.id == tax_rate_id))).first()


async def tax_rates_by_id(session: AsyncSession, organization_id: str, ids: list[str]) -> dict[str, TaxRate]:
    if not ids:
        return {}
    rows = await session.scalars(select(TaxRate).where(TaxRate.organization_id == organization_id,
                                                       TaxRate.id.in_(set(ids))))
    return {row.id: row for row in rows}


def tax_rates_query(organization_id: str, active: bool | None) -> Select:
    stmt = select(TaxRate).where(TaxRate.organization_id == organization_id)
    return stmt if active is None else stmt.where(TaxRate.active == active)


def exchange_rates_query(organization_id: str, base: str | None, quote: str | None) -> Select:
    stmt = select(ExchangeRate).where(ExchangeRate.organization_id == organization_id)
    if base:
        stmt = stmt.where(ExchangeRate.base == base)
    if quote:
        stmt = stmt.where(ExchangeRate.quote == quote)
    return stmt


async def latest_exchange_rate(session: AsyncSession, organization_id: str, base: str, quote: str,
                               on: date) -> ExchangeRate | None:
    """The rate with the latest date on or before `on`; of several that day, the last one entered."""
    return (await session.scalars(
        select(ExchangeRate).where(ExchangeRate.organization_id == organization_id, ExchangeRate.base == base,
                                   ExchangeRate.quote == quote, ExchangeRate.rate_date <= on)
        .order_by(ExchangeRate.rate_date.desc(), ExchangeRate.created_at.desc(), ExchangeRate.id.desc())
        .limit(1))).first()
