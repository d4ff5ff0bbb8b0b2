"""SQL for the organization's invoice settings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from duely_invoicing.models import InvoiceSettings, NumberSequence
from duely_runtime.kit.writes import insert_ignore, locked


async def find_settings(session: AsyncSession, organization_id: str) -> InvoiceSettings | None:
    return await session.get(InvoiceSettings, organization_id)


async def get_or_create_settings(session: AsyncSession, organization_id: str, now: datetime, *,
                                 for_update: bool = False) -> InvoiceSettings:
    """The organization's row, created (all defaults) on first use; two first readers don't collide."""
    await insert_ignore(session, InvoiceSettings.__table__,
                        {"organization_id": organization_id, "version": 1, "updated_at": now})
    stmt = select(InvoiceSettings).where(InvoiceSettings.organization_id == organization_id)
    if for_update:
        stmt = locked(stmt, session)  # two PATCHes in a row each see the other's version
    return (await session.scalars(stmt.execution_options(populate_existing=True))).one()


async def read_settings(session: AsyncSession, organization_id: str, since: datetime) -> InvoiceSettings:
    """The organization's row for reading; before its first write, an unsaved row of all defaults,
    unchanged `since` (the organization's creation): a GET reads in a read-only transaction."""
    row = (await session.scalars(select(InvoiceSettings)
                                 .where(InvoiceSettings.organization_id == organization_id))).first()
    return row or InvoiceSettings(organization_id=organization_id, version=1, updated_at=since)


async def peek_next_number(session: AsyncSession, organization_id: str, series: str) -> int | None:
    """The series' next number, read without a lock (a preview, not a promise); None before its first."""
    return (await session.execute(select(NumberSequence.next_value).where(
        NumberSequence.organization_id == organization_id, NumberSequence.series == series))).scalar()
