"""All SQL of saved payment methods and their gateway customers, scoped by organization."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from duely_payments.models import GatewayCustomer, SavedPaymentMethod
from duely_runtime.kit.writes import insert_ignore

DETACHED = "detached"


async def get_gateway_customer(session: AsyncSession, organization_id: str, customer_id: str, *,
                               for_update: bool = False) -> GatewayCustomer | None:
    """With for_update it is the customer's lock: its methods' default flags change one writer at a time."""
    query = select(GatewayCustomer).where(GatewayCustomer.organization_id == organization_id,
                                          GatewayCustomer.customer_id == customer_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def add_gateway_customer_once(session: AsyncSession, row: GatewayCustomer) -> GatewayCustomer:
    """Insert unless the customer has one already (a concurrent save); the stored one either way."""
    values = {c.key: getattr(row, c.key) for c in GatewayCustomer.__table__.columns}
    await insert_ignore(session, GatewayCustomer.__table__, values)
    return await get_gateway_customer(session, row.organization_id, row.customer_id)


async def count_methods_ever(session: AsyncSession, organization_id: str, customer_id: str) -> int:
    query = select(func.count()).select_from(SavedPaymentMethod).where(
        SavedPaymentMethod.organization_id == organization_id, SavedPaymentMethod.customer_id == customer_id)
    return (await session.execute(query)).scalar_one()


async def get_method(session: AsyncSession, organization_id: str, method_id: str, *,
                     for_update: bool = False) -> SavedPaymentMethod | None:
    query = select(SavedPaymentMethod).where(SavedPaymentMethod.id == method_id,
                                             SavedPaymentMethod.organization_id == organization_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def get_any_method(session: AsyncSession, method_id: str) -> SavedPaymentMethod | None:
    return await session.get(SavedPaymentMethod, method_id)


async def attached_methods(session: AsyncSession, organization_id: str, customer_id: str, *,
                           for_update: bool = False) -> list[SavedPaymentMethod]:
    """The customer's attached methods, oldest first."""
    query = (select(SavedPaymentMethod)
             .where(SavedPaymentMethod.organization_id == organization_id,
                    SavedPaymentMethod.customer_id == customer_id, SavedPaymentMethod.status != DETACHED)
             .order_by(SavedPaymentMethod.created_at, SavedPaymentMethod.id))
    if for_update:
        query = query.with_for_update()
    return list((await session.execute(query)).scalars())


async def default_method(session: AsyncSession, organization_id: str, customer_id: str) -> SavedPaymentMethod | None:
    query = select(SavedPaymentMethod).where(
        SavedPaymentMethod.organization_id == organization_id, SavedPaymentMethod.customer_id == customer_id,
        SavedPaymentMethod.status != DETACHED, SavedPaymentMethod.is_default.is_(True))
    return (await session.execute(query.limit(1))).scalar_one_or_none()


async def add_method(session: AsyncSession, method: SavedPaymentMethod) -> None:
    session.add(method)
    await session.flush()




async def method_by_setup_intent(session: AsyncSession, setup_intent: str | None) -> SavedPaymentMethod | None:
    if not setup_intent:
        return None
    query = select(SavedPaymentMethod).where(SavedPaymentMethod.gateway_setup_intent == setup_intent).limit(1)
    return (await session.execute(query.with_for_update())).scalar_one_or_none()
