"""SQL for the customer credit ledger; every query scoped by organization id."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from duely_invoicing.models import CustomerCreditEntry
from duely_runtime.kit.writes import insert_ignore


async def add_entry(session: AsyncSession, values: dict) -> bool:
    """True when the entry is new (its entry_key makes each cause count once)."""
    return await insert_ignore(session, CustomerCreditEntry.__table__, values)


async def balance(session: AsyncSession, organization_id: str, customer_id: str, currency: str) -> int:
    return int(await session.scalar(select(func.coalesce(func.sum(CustomerCreditEntry.amount), 0)).where(
        CustomerCreditEntry.organization_id == organization_id, CustomerCreditEntry.customer_id == customer_id,
        CustomerCreditEntry.currency == currency)) or 0)


async def balances(session: AsyncSession, organization_id: str, customer_ids: list[str]) -> dict[str, dict[str, int]]:
    """{customer_id: {currency: balance}} for the customers that have ledger entries."""
    if not customer_ids:
        return {}
    rows = await session.execute(
        select(CustomerCreditEntry.customer_id, CustomerCreditEntry.currency, func.sum(CustomerCreditEntry.amount))
        .where(CustomerCreditEntry.organization_id == organization_id,
               CustomerCreditEntry.customer_id.in_(customer_ids))
        .group_by(CustomerCreditEntry.customer_id, CustomerCreditEntry.currency))
    out: dict[str, dict[str, int]] = {}
    for customer_id, currency, total in rows:
        out.setdefault(customer_id, {})[currency] = int(total)
    return out
