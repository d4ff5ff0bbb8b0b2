"""All of invoicing's SQL. Every query on tenant data is scoped by organization id."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from duely_runtime.auth import Principal
from duely_runtime.kit.writes import insert_ignore
from duely_invoicing.models import ApiKey, Customer, Invoice, InvoicePayment, NumberSequence, Organization


def _locking(stmt, session: AsyncSession):
    # Postgres takes a row lock; SQLite already serializes writers (BEGIN IMMEDIATE).
    return stmt.with_for_update() if session.bind.dialect.name == "postgresql" else stmt


# --- organizations and keys ----------------------------------------------------

async def get_organization(session: AsyncSession, organization_id: str, *,
                           for_update: bool = False) -> Organization | None:
    if for_update:
        return (await session.scalars(_locking(select(Organization).where(Organization.id == organization_id),
                                               session))).first()
    return await session.get(Organization, organization_id)


async def list_organizations(session: AsyncSession) -> list[Organization]:
    return list((await session.scalars(select(Organization).order_by(Organization.created_at))).all())


async def find_principal(session: AsyncSession, key_hash: str) -> Principal | None:
    row = (await session.execute(
        select(ApiKey.id, ApiKey.organization_id)
        .where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None))
    )).first()
    return Principal(row.organization_id, row.id) if row else None


async def get_api_key(session: AsyncSession, organization_id: str, api_key_id: str, *,
                      for_update: bool = False) -> ApiKey | None:
    stmt = select(ApiKey).where(ApiKey.organization_id == organization_id, ApiKey.id == api_key_id)
    if for_update:
        stmt = _locking(stmt, session)
    return (await session.scalars(stmt)).first()


async def list_api_keys(session: AsyncSession, organization_id: str) -> list[ApiKey]:
    return list((await session.scalars(select(ApiKey).where(ApiKey.organization_id == organization_id)
                                       .order_by(ApiKey.created_at.desc(), ApiKey.id))).all())


async def count_active_api_keys(session: AsyncSession, organization_id: str) -> int:
    return await session.scalar(select(func.count()).select_from(ApiKey).where(
        ApiKey.organization_id == organization_id, ApiKey.revoked_at.is_(None))) or 0


# --- customers -------------------------------------------------------------------

async def get_customer(session: AsyncSession, organization_id: str, customer_id: str) -> Customer | None:
    return (await session.scalars(select(Customer).where(
        Customer.organization_id == organization_id, Customer.id == customer_id))).first()


async def list_customers(session: AsyncSession, organization_id: str, limit: int) -> list[Customer]:
    return list((await session.scalars(
        select(Customer).where(Customer.organization_id == organization_id)
        .order_by(Customer.created_at.desc(), Customer.id.desc()).limit(limit)
    )).all())


# --- invoices ----------------------------------------------------------------------

async def get_invoice(session: AsyncSession, organization_id: str, invoice_id: str, *,
                      for_update: bool = False) -> Invoice | None:
    stmt = select(Invoice).where(Invoice.organization_id == organization_id, Invoice.id == invoice_id)
    if for_update:  # re-read under the lock, whatever the session cached
        stmt = _locking(stmt, session).execution_options(populate_existing=True)
    return (await session.scalars(stmt)).first()


# Invoice listing (filters, keyset cursor) is in listing.py.


async def take_next_number(session: AsyncSession, organization_id: str, series: str) -> int:
    """The next counter of a series, taken under a row lock held until the approval commits.

    A rolled-back approval gives its number back with the rollback, so numbers stay gapless.
    """
    await insert_ignore(session, NumberSequence.__table__,
                        {"organization_id": organization_id, "series": series, "next_value": 1})
    row = (await session.scalars(_locking(select(NumberSequence).where(
        NumberSequence.organization_id == organization_id, NumberSequence.series == series), session)
        .execution_options(populate_existing=True))).one()
    value = row.next_value
    row.next_value = value + 1
    return value


async def record_payment(session: AsyncSession, values: dict) -> bool:
    """True when this payment id is new; False when it was already applied."""
    return await insert_ignore(session, InvoicePayment.__table__, values)


async def get_invoice_payment(session: AsyncSession, organization_id: str, payment_id: str) -> InvoicePayment | None:
    stmt = select(InvoicePayment).where(InvoicePayment.organization_id == organization_id,
                                        InvoicePayment.payment_id == payment_id)
    return (await session.scalars(_locking(stmt, session))).first()
