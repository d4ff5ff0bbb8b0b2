"""SQL for reusable tax rates; every query scoped by organization id."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from duely_invoicing.models import TaxRate
from duely_runtime.kit.pagination import Page, keyset_page, start_position


async def get_tax_rate(session: AsyncSession, organization_id: str, tax_rate_id: str) -> TaxRate | None:
    return (await session.scalars(select(TaxRate).where(
        TaxRate.organization_id == organization_id, TaxRate.id == tax_rate_id))).first()


async def tax_rates_by_id(session: AsyncSession, organization_id: str, ids: list[str]) -> dict[str, TaxRate]:
    if not ids:
        return {}
    rows = await session.scalars(select(TaxRate).where(TaxRate.organization_id == organization_id,
                                                       TaxRate.id.in_(set(ids))))
    return {row.id: row for row in rows}


async def list_tax_rates(session: AsyncSession, organization_id: str, *, limit: int, active: bool | None,
                         cursor: str | None, starting_after: str | None) -> Page:
    after = await start_position(session, TaxRate, TaxRate.organization_id == organization_id,
                                 cursor=cursor, starting_after=starting_after)
    stmt = select(TaxRate).where(TaxRate.organization_id == organization_id)
    if active is not None:
        stmt = stmt.where(TaxRate.active == active)
    return await keyset_page(session, stmt, TaxRate, limit=limit, after=after)
