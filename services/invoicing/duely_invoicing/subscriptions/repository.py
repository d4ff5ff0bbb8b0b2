"""SQL for subscriptions; every query scoped by organization id."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from duely_invoicing.models import Subscription
from duely_runtime.kit.pagination import Page, keyset_page
from duely_runtime.kit.writes import locked


async def get_subscription(session: AsyncSession, organization_id: str, subscription_id: str, *,
                           for_update: bool = False) -> Subscription | None:
    stmt = select(Subscription).where(Subscription.organization_id == organization_id,
                                      Subscription.id == subscription_id)
    if for_update:  # re-read under the lock, whatever the session cached
        stmt = locked(stmt, session).execution_options(populate_existing=True)
    return (await session.scalars(stmt)).first()


async def list_subscriptions(session: AsyncSession, organization_id: str, *, limit: int,
                             customer_id: str | None = None, status: str | None = None) -> Page:
    stmt = select(Subscription).where(Subscription.organization_id == organization_id)
    if customer_id:
        stmt = stmt.where(Subscription.customer_id == customer_id)
    if status:
        stmt = stmt.where(Subscription.status == status)
    return await keyset_page(session, stmt, Subscription, limit=limit)
