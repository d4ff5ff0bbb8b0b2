"""SQL for manual exchange rates; every query scoped by organization id."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from duely_invoicing.models import ExchangeRate
from duely_runtime.kit.pagination import Page, keyset_page, start_position


async def list_exchange_rates(session: AsyncSession, organization_id: str, *, limit: int, base: str | None,
                              quote: str | None, cursor: str | None, starting_after: str | None) -> Page:
    after = await start_position(session, ExchangeRate, ExchangeRate.organization_id == organization_id,
                                 cursor=cursor, starting_after=starting_after)
    stmt = select(ExchangeRate).where(ExchangeRate.organization_id == organization_id)
    if base:
        stmt = stmt.where(ExchangeRate.base == base)
    if quote:
        stmt = stmt.where(ExchangeRate.quote == quote)
    return await keyset_page(session, stmt, ExchangeRate, limit=limit, after=after)


async def latest_exchange_rate(session: AsyncSession, organization_id: str, base: str, quote: str,
                               on: date) -> ExchangeRate | None:
    """The rate with the latest date on or before `on`; of several that day, the last one entered."""
    return (await session.scalars(
        select(ExchangeRate).where(ExchangeRate.organization_id == organization_id, ExchangeRate.base == base,
                                   ExchangeRate.quote == quote, ExchangeRate.rate_date <= on)
        .order_by(ExchangeRate.rate_date.desc(), ExchangeRate.created_at.desc(), ExchangeRate.id.desc())
        .limit(1))).first()
