"""SQL for the saved-methods read model; every query scoped by organization id."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from duely_invoicing.models import SavedPaymentMethod
from duely_runtime.kit.writes import upsert_newer


async def upsert(session: AsyncSession, values: dict) -> bool:
    """Write this version of a method unless a newer one is stored; True when written."""
    return await upsert_newer(session, SavedPaymentMethod.__table__, values)


async def clear_other_defaults(session: AsyncSession, organization_id: str, customer_id: str,
                               method_id: str) -> None:
    """A customer has one default: the newest method said to be it."""
    await session.execute(update(SavedPaymentMethod).where(
        SavedPaymentMethod.organization_id == organization_id, SavedPaymentMethod.customer_id == customer_id,
        SavedPaymentMethod.id != method_id, SavedPaymentMethod.is_default.is_(True)).values(is_default=False))


async def get_method(session: AsyncSession, organization_id: str, method_id: str) -> SavedPaymentMethod | None:
    return (await session.scalars(select(SavedPaymentMethod).where(
        SavedPaymentMethod.organization_id == organization_id, SavedPaymentMethod.id == method_id))).first()


async def default_method(session: AsyncSession, organization_id: str, customer_id: str) -> SavedPaymentMethod | None:
    """The customer's default method still attached (the newest, should two say so)."""
    return (await session.scalars(select(SavedPaymentMethod).where(
        SavedPaymentMethod.organization_id == organization_id, SavedPaymentMethod.customer_id == customer_id,
        SavedPaymentMethod.is_default.is_(True), SavedPaymentMethod.status != "detached")
        .order_by(SavedPaymentMethod.updated_at.desc(), SavedPaymentMethod.id.desc()).limit(1))).first()
