"""SQL for customers; every query scoped by organization id."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from duely_invoicing.models import Customer
from duely_runtime.kit.pagination import Page, keyset_page
from duely_runtime.kit.writes import locked


async def get_customer(session: AsyncSession, organization_id: str, customer_id: str) -> Customer | None:
    return (await session.scalars(select(Customer).where(
        Customer.organization_id == organization_id, Customer.id == customer_id))).first()


async def list_customers(session: AsyncSession, organization_id: str, limit: int) -> Page:
    return await keyset_page(session, select(Customer).where(Customer.organization_id == organization_id),
                             Customer, limit=limit)


async def get_customer_for_update(session: AsyncSession, organization_id: str, customer_id: str) -> Customer | None:
    """Locked (Postgres) so two concurrent updates get consecutive versions."""
    stmt = locked(select(Customer).where(Customer.organization_id == organization_id, Customer.id == customer_id),
                  session)
    return (await session.scalars(stmt.execution_options(populate_existing=True))).first()
