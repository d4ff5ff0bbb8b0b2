"""SQL for invoice settings and subscriptions (tenant-scoped like the rest of repository.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from duely_runtime.kit.writes import insert_ignore
from duely_invoicing.models import Customer, InvoiceSettings, Subscription


async def find_settings(session: AsyncSession, organization_id: str) -> InvoiceSettings | None:
    return await session.get(InvoiceSettings, organization_id)


async def get_or_create_settings(session: AsyncSession, organization_id: str, now: datetime, *,
                                 for_update: bool = False) -> InvoiceSettings:
    """The organization's row, created (all defaults) on first use; two first readers don't collide."""
    await insert_ignore(session, InvoiceSettings.__table__,
                        {"organization_id": organization_id, "version": 1, "updated_at": now})
    stmt = select(InvoiceSettings).where(InvoiceSettings.organization_id == organization_id)
    if for_update and session.bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update()  # two PATCHes in a row each see the other's version
    return (await session.scalars(stmt.execution_options(populate_existing=True))).one()


async def get_subscription(session: AsyncSession, organization_id: str, subscription_id: str, *,
                           for_update: bool = False) -> Subscription | None:
    stmt = select(Subscription).where(Subscription.organization_id == organization_id,
                                      Subscription.id == subscription_id)
    if for_update and session.bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return (await session.scalars(stmt)).first()


async def list_subscriptions(session: AsyncSession, organization_id: str, *, limit: int,
                             customer_id: str | None = None, status: str | None = None) -> list[Subscription]:
    stmt = select(Subscription).where(Subscription.organization_id == organization_id)
    if customer_id:
        stmt = stmt.where(Subscription.customer_id == customer_id)
    if status:
        stmt = stmt.where(Subscription.status == status)
    stmt = stmt.order_by(Subscription.created_at.desc(), Subscription.id.desc()).limit(limit)
    return list((await session.scalars(stmt)).all())


async def get_customer_for_update(session: AsyncSession, organization_id: str, customer_id: str) -> Customer | None:
    """Locked (Postgres) so two concurrent updates get consecutive versions."""
    stmt = select(Customer).where(Customer.organization_id == organization_id, Customer.id == customer_id)
    if session.bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt.execution_options(populate_existing=True))).first()
